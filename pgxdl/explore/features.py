"""Subject features to explore and the targets of their rows, read from a cohort store.

A :class:`FeatureMatrix` is what reduction and clustering work on: one row per subject (or
per observation of one drug, for learned embeddings), with the store's subject index of
each row, so group labels, targets and genotypes can be matched to it. Rows carry store
indices only, never subject identifiers. Genotype dosages come from
:func:`pgxdl.explore.genotypes.dosage_matrix`, embeddings from
:func:`pgxdl.explore.embeddings.model_embeddings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgxdl.data.spec import TaskSpec
from pgxdl.data.store import CohortStore, StoreError
from pgxdl.tasks import task_kind


@dataclass(frozen=True)
class FeatureMatrix:
    """Features of ``N`` rows.

    Attributes
    ----------
    values : ``(N, D)`` float32 features (allele dosages 0/1/2, or embedding units).
    subject_index : ``(N,)`` int64 store subject index of each row.
    names : ``(D,)`` str feature names (variant keys ``chrom:pos:ref:alt``, or ``emb<i>``).
    source : what the features are: ``genotype`` or ``embedding``.
    """

    values: np.ndarray
    subject_index: np.ndarray
    names: np.ndarray
    source: str

    def __post_init__(self) -> None:
        n, d = self.values.shape
        if self.subject_index.shape != (n,) or self.names.shape != (d,):
            raise ValueError(f"{self.source} features: values {self.values.shape} do not match "
                             f"subject_index {self.subject_index.shape} / names "
                             f"{self.names.shape}")

    def rows_of(self, subject_index: np.ndarray) -> FeatureMatrix:
        """The rows for ``subject_index (M,)`` in that order; raises on a missing subject."""
        where = pd.Index(self.subject_index).get_indexer(subject_index)
        if (where < 0).any():
            raise ValueError(f"{self.source} features lack subject index "
                             f"{int(np.asarray(subject_index)[where < 0][0])}")
        return FeatureMatrix(self.values[where], np.asarray(subject_index, np.int64),
                             self.names, self.source)


def subject_targets(store: CohortStore, subject_index: np.ndarray, drug: str | None = None
                    ) -> tuple[pd.DataFrame, list[TaskSpec]]:
    """Target values of ``subject_index (N,)`` for one drug: ``(N, T)`` frame, NaN missing.

    Values are in each task's reported units (the inverse of its target transform).

    ``drug`` may be omitted when the store holds one drug. A subject without an
    observation of the drug gets NaN in every task.
    """
    names = store.drug_names
    if drug is None:
        if len(names) != 1:
            raise ValueError(f"{store.path}: the store holds {len(names)} drugs; name one "
                             f"with drug= (e.g. {names[:3]})")
        drug = names[0]
    if drug not in names:
        raise ValueError(f"{store.path}: no drug {drug!r}; stored drugs include {names[:5]}")
    obs = store.observations()
    rows = np.flatnonzero(obs["drug_index"] == names.index(drug))
    subjects = obs["subject_index"][rows]
    unique, counts = np.unique(subjects, return_counts=True)
    if (counts > 1).any():
        raise StoreError(f"{store.path}: subject index {int(unique[counts > 1][0])} has "
                         f"{int(counts.max())} observations of {drug!r}; expected one")
    where = pd.Index(subjects).get_indexer(subject_index)
    values = np.full((len(subject_index), len(store.tasks)), np.nan)
    found = where >= 0
    values[found] = obs["values"][rows[where[found]]]
    reported = {t.name: task_kind(t).reported_target(values[:, i])
                for i, t in enumerate(store.tasks)}
    return pd.DataFrame(reported), store.tasks
