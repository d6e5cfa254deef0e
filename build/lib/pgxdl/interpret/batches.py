"""Iterate loader batches up to a number of observations (for quick explanations)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch


def limit_batches(loader: Iterable[dict[str, torch.Tensor]], max_observations: int | None
                  ) -> Iterator[dict[str, torch.Tensor]]:
    """The batches of ``loader``, the last one cut so at most ``max_observations`` come out."""
    seen = 0
    for batch in loader:
        if max_observations is not None:
            if seen >= max_observations:
                return
            batch = {k: v[:max_observations - seen] for k, v in batch.items()}
        seen += len(batch["index"])
        yield batch
