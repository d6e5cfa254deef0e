"""Turn a loaded batch into model inputs: one-hot the sequence codes late, on device."""

from __future__ import annotations

import numpy as np
import torch

from pgxdl.genome.encoding import one_hot

MODEL_INPUTS = ("sequence", "numeric", "numeric_missing", "categorical", "drug")


def codes_to_sequence(codes: torch.Tensor, haplotypes: str = "dosage") -> torch.Tensor:
    """One-hot uint8 codes ``(N, W, H, L)`` to model input ``(N, W, C, L)``.

    ``dosage`` averages the H haplotype tracks (C = 4; an unphased store already holds
    dosage IUPAC codes); ``concat`` stacks the two phased tracks' channels (C = 8).
    """
    hot = one_hot(codes)  # (N, W, H, 4, L)
    if haplotypes == "dosage":
        return hot.squeeze(2) if hot.shape[2] == 1 else hot.mean(dim=2)
    if haplotypes == "concat":
        n, w, h, c, length = hot.shape
        return hot.reshape(n, w, h * c, length)
    raise ValueError(f"haplotypes must be 'dosage' or 'concat', got {haplotypes!r}")


def reference_sequence(store, haplotypes: str = "dosage") -> torch.Tensor:
    """The reference windows of ``store`` (an open CohortStore) as model input,
    ``(W, C, L)`` float32.

    Every haplotype track is the reference, so ``concat`` inputs (C = 8) repeat it.
    """
    if not store.has_sequence:
        raise ValueError(f"{store.path}: the store has no sequence windows")
    codes = store.h5["windows/reference"][:]  # (W, L)
    tracks = store.h5["sequence/codes"].shape[2]
    tiled = np.repeat(codes[None, :, None, :], tracks, axis=2)  # (1, W, H, L)
    return codes_to_sequence(torch.from_numpy(tiled), haplotypes)[0]


def finalize_batch(batch: dict[str, torch.Tensor], haplotypes: str = "dosage"
                   ) -> dict[str, torch.Tensor]:
    """Replace ``codes`` by the one-hot ``sequence`` (an empty one when there is none).

    Batches without sequence get ``sequence`` of shape ``(N, 0, 4, 0)`` so every model
    sees the same keyword set (see the batch contract in :mod:`pgxdl.data.spec`).
    """
    batch = dict(batch)
    codes = batch.pop("codes", None)
    if codes is None:
        n = batch["target"].shape[0]
        batch["sequence"] = torch.zeros((n, 0, 4, 0), device=batch["target"].device)
    else:
        batch["sequence"] = codes_to_sequence(codes, haplotypes)
    return batch


def model_inputs(batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """The positional inputs of every pgxdl model, in order: ``forward(sequence, *others)``."""
    return tuple(batch[k] for k in MODEL_INPUTS)
