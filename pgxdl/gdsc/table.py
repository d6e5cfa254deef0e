"""Read the GDSC release files (as GDSCTools ships them) into checked pandas frames.

Files (see ``$PGXDL_DATA/gdsc/README.md``):

- ``ic50_v17.csv.gz``: ``COSMIC_ID`` and one ``Drug_<id>_IC50`` column per drug (ln uM);
- ``genomic_features_v17.csv.gz``: ``COSMIC_ID``, ``TISSUE_FACTOR``, ``MSI_FACTOR`` and
  binary genomic features (``<GENE>_mut``, ``gain_cna...``/``loss_cna...``);
- ``drugs.csv``: ``drug_id, name, synonyms, targets, pathway, pubchem_cid, smiles``.

Every problem raises :class:`GDSCFormatError` naming the file, the row or column, and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.paths import shared_data_file

IC50_FILE = "ic50_v17.csv.gz"
FEATURES_FILE = "genomic_features_v17.csv.gz"
DRUGS_FILE = "drugs.csv"
CELL_ID = "COSMIC_ID"
TISSUE = "TISSUE_FACTOR"
#: The cohort store's group key of each cell line's tissue.
TISSUE_GROUP = "tissue"
MSI = "MSI_FACTOR"
DRUG_COLUMNS = ("drug_id", "name", "targets", "pathway", "smiles")
_DRUG_COLUMN = re.compile(r"^Drug_(\d+)_IC50$")


class GDSCFormatError(ValueError):
    """A GDSC file that does not have the expected layout or values."""


@dataclass
class GDSCTables:
    """The three GDSC tables, checked.

    ``responses``: long frame ``(P, 3)`` of measured pairs: ``COSMIC_ID``, ``drug_id``,
    ``ln_ic50``. ``features``: ``(C, 3 + F)`` indexed by row, ``COSMIC_ID`` unique.
    ``drugs``: one row per drug id of ``drugs.csv``.
    """

    responses: pd.DataFrame
    features: pd.DataFrame
    drugs: pd.DataFrame
    paths: dict[str, str]

    @property
    def genomic_columns(self) -> list[str]:
        """The binary genomic feature columns, in file order."""
        return genomic_columns(self.features)


def genomic_columns(features: pd.DataFrame) -> list[str]:
    """Columns of a genomic-features frame that are neither the ID, tissue nor MSI."""
    return [c for c in features.columns if c not in (CELL_ID, TISSUE, MSI)]


def read_features(path: str | Path) -> pd.DataFrame:
    """Read and check a genomic-features CSV: ``COSMIC_ID`` unique integers, ``TISSUE_FACTOR``
    text, ``MSI_FACTOR`` and every feature 0/1 (blank is an error: GDSC calls are complete)."""
    frame = _read_csv(path)
    missing = [c for c in (CELL_ID, TISSUE, MSI) if c not in frame.columns]
    if missing:
        raise GDSCFormatError(f"{path}: missing column(s) {missing}; a GDSC genomic-features "
                              f"file starts with {CELL_ID},{TISSUE},{MSI}")
    frame[CELL_ID] = _integer_ids(frame[CELL_ID], path, CELL_ID)
    _check_unique(frame[CELL_ID], path, CELL_ID)
    for column in [MSI, *genomic_columns(frame)]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = ~values.isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise GDSCFormatError(f"{path}: line {row + 2}, column {column!r}: value "
                                  f"{frame[column].iloc[row]!r} is not 0 or 1 (binary call)")
        frame[column] = values.astype(np.int8)
    frame[TISSUE] = frame[TISSUE].astype(str).str.strip()
    return frame


def read_responses(path: str | Path) -> pd.DataFrame:
    """The wide IC50 file as a long frame of measured pairs ``(COSMIC_ID, drug_id, ln_ic50)``."""
    frame = _read_csv(path)
    if CELL_ID not in frame.columns:
        raise GDSCFormatError(f"{path}: no {CELL_ID} column")
    frame[CELL_ID] = _integer_ids(frame[CELL_ID], path, CELL_ID)
    _check_unique(frame[CELL_ID], path, CELL_ID)
    drug_ids = {}
    for column in frame.columns.drop(CELL_ID):
        match = _DRUG_COLUMN.match(column)
        if not match:
            raise GDSCFormatError(f"{path}: column {column!r} is not Drug_<id>_IC50")
        drug_ids[column] = int(match.group(1))
    values = frame[list(drug_ids)].apply(pd.to_numeric, errors="coerce")
    unparsed = values.isna() & frame[list(drug_ids)].notna()
    if unparsed.to_numpy().any():
        row, col = (int(i[0]) for i in np.nonzero(unparsed.to_numpy()))
        raise GDSCFormatError(f"{path}: line {row + 2}, column {values.columns[col]!r}: "
                              f"{frame[values.columns[col]].iloc[row]!r} is not a number")
    long = values.set_axis(list(drug_ids.values()), axis=1).set_index(frame[CELL_ID]).stack()
    long = long.dropna().rename("ln_ic50").reset_index()
    long = long.set_axis([CELL_ID, "drug_id", "ln_ic50"], axis=1)
    if not np.isfinite(long["ln_ic50"]).all():
        raise GDSCFormatError(f"{path}: infinite ln IC50 values; blank marks 'not measured'")
    return long


def read_drugs(path: str | Path) -> pd.DataFrame:
    """``drugs.csv``: unique integer ``drug_id``; SMILES blank where unknown (kept as NaN)."""
    frame = _read_csv(path)
    missing = [c for c in DRUG_COLUMNS if c not in frame.columns]
    if missing:
        raise GDSCFormatError(f"{path}: missing column(s) {missing} (expected "
                              f"{', '.join(DRUG_COLUMNS)})")
    frame["drug_id"] = _integer_ids(frame["drug_id"], path, "drug_id")
    _check_unique(frame["drug_id"], path, "drug_id")
    for column in ("name", "targets", "pathway"):
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    frame["smiles"] = frame["smiles"].where(frame["smiles"].astype(str).str.strip() != "")
    return frame


def read_gdsc(directory: str | Path | None = None) -> GDSCTables:
    """Read the three GDSC files of ``directory`` (default ``$PGXDL_DATA/gdsc``)."""
    paths = {name: Path(directory) / name if directory else shared_data_file("gdsc", name)
             for name in (IC50_FILE, FEATURES_FILE, DRUGS_FILE)}
    return GDSCTables(read_responses(paths[IC50_FILE]), read_features(paths[FEATURES_FILE]),
                      read_drugs(paths[DRUGS_FILE]), {k: str(v) for k, v in paths.items()})


def _read_csv(path: str | Path) -> pd.DataFrame:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: GDSC file not found (set PGXDL_DATA or the config's "
                                "data_dir)")
    return pd.read_csv(path)


def _integer_ids(values: pd.Series, path, column: str) -> pd.Series:
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() | (parsed != parsed.round())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise GDSCFormatError(f"{path}: line {row + 2}, column {column!r}: "
                              f"{values.iloc[row]!r} is not an integer identifier")
    return parsed.astype(np.int64)


def _check_unique(values: pd.Series, path, column: str) -> None:
    repeated = values.duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated)[:2] + 2
        raise GDSCFormatError(f"{path}: {column} {values.iloc[rows[0] - 2]} repeated on lines "
                              f"{rows[0]} and {rows[1]}; keep one row per {column}")
