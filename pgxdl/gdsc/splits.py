"""The four GDSC split designs, each a train/val/test assignment (0/1/2).

- ``mixed``: random (cell line, drug) pairs; a cell line and a drug are both seen in
  training, only the pair is new (observation-level split);
- ``cell_blind``: whole cell lines (subject-level): test cell lines were never seen;
- ``drug_blind``: whole compounds (observation-level): test drugs were never seen; drug
  ids sharing one canonical SMILES (the same compound screened twice) fall together;
- ``tissue_out_<tissue>``: leave one tissue out (subject-level): the test part is every cell
  line of that tissue, validation a random share of the other cell lines.
"""

from __future__ import annotations

import re

import numpy as np

from pgxdl.data.splits import TEST, TRAIN, VAL, holdout_split


def mixed_split(n_pairs: int, val_fraction: float, test_fraction: float, seed: int
                ) -> np.ndarray:
    """``(P,)`` int8: random pairs."""
    return holdout_split(n_pairs, val_fraction, test_fraction, seed)


def cell_blind_split(tissues: np.ndarray, val_fraction: float, test_fraction: float,
                     seed: int) -> np.ndarray:
    """``(C,)`` int8 over cell lines, stratified by tissue (tissues of one cell line go
    to train)."""
    names, counts = np.unique(tissues, return_counts=True)
    rare = set(names[counts < 3])
    strata = np.where(np.isin(tissues, list(rare)), "_rare", tissues)
    return holdout_split(len(tissues), val_fraction, test_fraction, seed, stratify=strata)


def drug_blind_split(pair_drug: np.ndarray, drug_compound: np.ndarray, val_fraction: float,
                     test_fraction: float, seed: int) -> np.ndarray:
    """``(P,)`` int8: pairs follow their drug; drugs follow their compound (canonical SMILES).

    ``pair_drug (P,)`` drug index of each pair, ``drug_compound (D,)`` compound key of each drug.
    """
    _, compound = np.unique(drug_compound, return_inverse=True)
    drug_part = holdout_split(len(drug_compound), val_fraction, test_fraction, seed,
                              groups=compound)
    if val_fraction > 0 and not (drug_part == VAL).any():  # few drugs: one compound at least
        train = np.unique(compound[drug_part == TRAIN])
        chosen = np.random.default_rng(seed).choice(train)
        drug_part[compound == chosen] = VAL
    return drug_part[pair_drug]


def tissue_out_split(tissues: np.ndarray, tissue: str, val_fraction: float, seed: int
                     ) -> np.ndarray:
    """``(C,)`` int8: ``tissue`` is the test part, ``val_fraction`` of the rest validation."""
    parts = np.full(len(tissues), TRAIN, dtype=np.int8)
    held = tissues == tissue
    if not held.any():
        raise ValueError(f"tissue {tissue!r} has no cell lines")
    rest = np.flatnonzero(~held)
    rng = np.random.default_rng(seed)
    parts[rng.choice(rest, size=round(val_fraction * len(rest)), replace=False)] = VAL
    parts[held] = TEST
    return parts


def tissue_split_name(tissue: str) -> str:
    """Stored name of the leave-``tissue``-out split (``tissue_out_lung_nsclc``)."""
    return "tissue_out_" + re.sub(r"[^a-z0-9]+", "_", tissue.lower()).strip("_")


def gdsc_splits(tissues: np.ndarray, pair_drug: np.ndarray, drug_compound: np.ndarray,
                config: dict, seed: int
                ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Subject-level and observation-level split schemes of the builder config's ``split``.

    ``config`` keys: ``val_fraction``, ``test_fraction``, ``tissue_min_cells`` (tissues
    with at least this many cell lines get a leave-out split).
    """
    val, test = config.get("val_fraction", 0.1), config.get("test_fraction", 0.1)
    subject = {"cell_blind": cell_blind_split(tissues, val, test, seed)}
    names, counts = np.unique(tissues, return_counts=True)
    for tissue in names[counts >= config.get("tissue_min_cells", 20)]:
        subject[tissue_split_name(tissue)] = tissue_out_split(tissues, tissue, val, seed)
    observation = {"mixed": mixed_split(len(pair_drug), val, test, seed),
                   "drug_blind": drug_blind_split(pair_drug, drug_compound, val, test, seed)}
    return subject, observation

