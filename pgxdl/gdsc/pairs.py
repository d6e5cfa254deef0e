"""The GDSC store read whole for baselines and metrics: pairs, cell features, drug table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgxdl.data.store import CohortStore
from pgxdl.gdsc.table import TISSUE_GROUP


@dataclass
class GDSCPairs:
    """Every measured pair and what describes its cell line and drug.

    ``ln_ic50, cell, drug`` ``(P,)``; ``features`` ``(C, F)`` raw 0/1 calls (numeric block,
    unnormalised) named ``feature_names``; ``tissue`` ``(C,)`` labels; ``fingerprints``
    ``(D, B)``, ``descriptors`` ``(D, k)``, ``drug_names``, ``drug_ids`` ``(D,)``.
    """

    ln_ic50: np.ndarray
    cell: np.ndarray
    drug: np.ndarray
    features: np.ndarray
    feature_names: list[str]
    tissue: np.ndarray
    fingerprints: np.ndarray
    descriptors: np.ndarray
    drug_names: list[str]
    drug_ids: np.ndarray
    store: str

    @classmethod
    def read(cls, store: str | Path) -> GDSCPairs:
        with CohortStore(store) as cohort:
            obs = cohort.observations()
            drugs = cohort.drug_table()
            return cls(obs["values"][:, 0].astype(float), obs["subject_index"],
                       obs["drug_index"], cohort.h5["tabular/numeric"][:].astype(float),
                       [f.name for f in cohort.schema.numeric_features],
                       cohort.groups(TISSUE_GROUP), drugs["features"], drugs["descriptors"],
                       list(drugs["name"]), drugs["drug_id"], str(store))

    def parts(self, split: str) -> np.ndarray:
        """``(P,)`` part of each pair (0 train, 1 val, 2 test) under stored ``split``."""
        with CohortStore(self.store) as cohort:
            return cohort.observation_parts(split)

    def cell_matrix(self) -> np.ndarray:
        """``(C, F + T)`` cell-line design: the calls and a one-hot tissue."""
        names = np.unique(self.tissue)
        return np.hstack([self.features, (self.tissue[:, None] == names).astype(float)])
