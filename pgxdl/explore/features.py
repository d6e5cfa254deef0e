"""Subject features to explore, read from a cohort store: genotype dosages and targets.

A :class:`FeatureMatrix` is what reduction and clustering work on: one row per subject (or
per observation of one drug, for learned embeddings), with the store's subject index of
each row, so group labels, targets and genotypes can be matched to it. Rows carry store
indices only, never subject identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgxdl.data.spec import TaskSpec
from pgxdl.data.store import CohortStore, StoreError


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


def alt_frequencies(dosage: np.ndarray) -> np.ndarray:
    """Alternate-allele frequency of each variant ``(V,)`` from dosages ``(N, V)``."""
    return dosage.mean(axis=0) / 2.0


def dosage_matrix(store: CohortStore, min_maf: float = 0.01, key: str = "position"
                  ) -> FeatureMatrix:
    """Alternate-allele dosage of every subject at every carried variant.

    Parameters
    ----------
    store : an open cohort store with a carried-variant table.
    min_maf : keep variants whose minor-allele frequency over all subjects is at least this
        (monomorphic variants are always dropped).
    key : variant names: ``position`` (``chrom:pos:ref:alt``) or ``id`` (the stored ID,
        the position key where the ID is missing or ``.``).

    Returns
    -------
    FeatureMatrix of ``(S, V)`` dosages (0, 1 or 2; a variant a subject does not carry
    counts 0), rows in store subject order, variants ordered by chromosome and position;
    a variant listed by two overlapping windows is one column.
    """
    if key not in ("position", "id"):
        raise ValueError(f"key must be 'position' or 'id', got {key!r}")
    if "variants" not in store.h5:
        raise StoreError(f"{store.path}: no carried-variant table (/variants); build the store "
                         "from genotypes to explore genotype clusters")
    carried = store.variants()
    counts = np.unique(carried["allele_count"])
    if not np.isin(counts, (1, 2)).all():
        raise StoreError(f"{store.path}: /variants/allele_count holds {counts.tolist()}; "
                         "expected 1 (heterozygous) or 2 (homozygous alternate)")
    chroms = np.array([w["chrom"] for w in store.windows] or [""])
    table = pd.DataFrame({"chrom": chroms[carried["window_index"]], "pos": carried["pos"],
                          "ref": carried["ref"], "alt": carried["alt"],
                          "ids": carried["ids"]})
    groups = table.groupby(["chrom", "pos", "ref", "alt"], sort=True)
    column = groups.ngroup().to_numpy()
    first = table.loc[groups.head(1).index].sort_values(["chrom", "pos", "ref", "alt"])
    dosage = np.zeros((store.n_subjects, len(first)), dtype=np.float32)
    # maximum, not sum: overlapping windows list one carried variant once per window
    np.maximum.at(dosage, (carried["subject_index"], column), carried["allele_count"])
    names = np.array([_name(row, key) for row in first.itertuples()], dtype=str)
    frequency = alt_frequencies(dosage)
    keep = np.minimum(frequency, 1 - frequency) >= max(min_maf, np.finfo(np.float32).tiny)
    return FeatureMatrix(dosage[:, keep], np.arange(store.n_subjects, dtype=np.int64),
                         names[keep], "genotype")


def _name(row, key: str) -> str:
    if key == "id" and row.ids not in ("", "."):
        return str(row.ids)
    return f"{row.chrom}:{int(row.pos)}:{row.ref}:{row.alt}"


def subject_targets(store: CohortStore, subject_index: np.ndarray, drug: str | None = None
                    ) -> tuple[pd.DataFrame, list[TaskSpec]]:
    """Target values of ``subject_index (N,)`` for one drug: ``(N, T)`` frame, NaN missing.

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
    return pd.DataFrame(values, columns=[t.name for t in store.tasks]), store.tasks
