"""Attribution baselines: the reference genome, training-set means, and Shap background sets.

With the reference sequence as the sequence baseline, ``input - baseline`` is non-zero only
where a person carries a variant, so path and difference-from-reference methods attribute
to that person's variants and nothing else. Numeric features are normalised with the
training split's statistics, so their training-set means are zeros; a zero missing
indicator means "observed"; categorical code 0 means "missing or unknown".

Shap methods (DeepLiftShap, GradientShap) average over a *set* of baselines: the reference
plus the sequences and features of other people of the training part (a background
sample). Other people differ from a person only at variant sites, so these attributions
still concentrate on variants.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from pgxdl.data.batch import codes_to_sequence
from pgxdl.data.datamodule import CohortDataModule

#: Names of the baseline kinds :func:`make_baselines` builds.
BASELINE_KINDS = ("reference", "cohort")


@dataclass
class Baselines:
    """``K`` baseline rows for each attributable model input.

    sequence : ``(K, W, C, L)`` one-hot windows (row 0 is always the reference).
    numeric, numeric_missing : ``(K, F_num)`` normalised values and missing indicators.
    categorical : ``(K, F_cat)`` int64 category codes.
    """

    sequence: torch.Tensor
    numeric: torch.Tensor
    numeric_missing: torch.Tensor
    categorical: torch.Tensor

    @property
    def size(self) -> int:
        """Number of baseline rows ``K``."""
        return int(self.sequence.shape[0])

    def first(self) -> Baselines:
        """Only the first (reference) row, ``K = 1``."""
        return Baselines(*(getattr(self, f.name)[:1] for f in fields(self)))

    def to(self, device: torch.device | str) -> Baselines:
        return Baselines(*(getattr(self, f.name).to(device) for f in fields(self)))


def reference_baselines(datamodule: CohortDataModule) -> Baselines:
    """One baseline row: the reference sequence and the training means of every feature."""
    spec = datamodule.spec
    if datamodule.with_sequence:
        sequence = datamodule.reference_sequence()[None]
    else:  # tabular-only models see an empty sequence (N, 0, C, 0)
        sequence = torch.zeros(1, 0, spec.channels, 0)
    return Baselines(
        sequence=sequence,
        numeric=torch.zeros(1, spec.n_numeric),
        numeric_missing=torch.zeros(1, spec.n_numeric),
        categorical=torch.zeros(1, len(spec.categorical_features), dtype=torch.int64),
    )


def cohort_baselines(datamodule: CohortDataModule, n_people: int, seed: int = 0,
                     part: str = "train") -> Baselines:
    """The reference row plus ``n_people`` people drawn at random from ``part``.

    Parameters
    ----------
    datamodule : the data the model was trained on.
    n_people : background people (fewer when ``part`` is smaller).
    seed : seed of the draw.
    part : part to draw from (the training part, so test people never explain themselves).
    """
    reference = reference_baselines(datamodule)
    dataset = datamodule.dataset(part)
    if len(dataset) == 0:
        raise ValueError(f"part {part!r} is empty: no people to use as baselines")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(dataset), min(n_people, len(dataset)), replace=False))
    batch = dataset.__getitems__(rows.tolist())
    sequence = (codes_to_sequence(batch["codes"], datamodule.haplotypes) if "codes" in batch
                else torch.zeros(len(rows), *reference.sequence.shape[1:]))
    return Baselines(
        sequence=torch.cat([reference.sequence, sequence]),
        numeric=torch.cat([reference.numeric, batch["numeric"]]),
        numeric_missing=torch.cat([reference.numeric_missing, batch["numeric_missing"]]),
        categorical=torch.cat([reference.categorical, batch["categorical"]]),
    )


def make_baselines(datamodule: CohortDataModule, kind: str = "reference", n_people: int = 16,
                   seed: int = 0) -> Baselines:
    """Baselines of ``kind``: ``reference`` (one row) or ``cohort`` (reference + people)."""
    if kind == "reference":
        return reference_baselines(datamodule)
    if kind == "cohort":
        return cohort_baselines(datamodule, n_people, seed)
    raise ValueError(f"unknown baseline kind {kind!r}; use one of {list(BASELINE_KINDS)}")
