"""New people's records: CSV, TSV, Parquet or a FHIR R4 Bundle, one row per person.

A record table has an ID column (the user's own IDs; they go only to the output file the
user asked for) and one column per model feature, named as in the training schema
(its ``column``, or the feature name). A FHIR Bundle is turned into the same kind of table
by :mod:`pgxdl.clinical.fhir_records`. Columns the model does not know are ignored; a
feature column that is absent is treated as missing for everyone (and each row says so).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pgxdl.clinical.fhir_records import FhirRecords, read_fhir_bundle

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet")


@dataclass
class PatientRecords:
    """Records of new people.

    Attributes
    ----------
    table : one row per person; ``id`` column first (str), then the raw columns.
    genotypes : genotype/diplotype columns found with the records (FHIR genotype
        observations), indexed like ``table``; empty when none.
    orders : per person, the drugs ordered (FHIR MedicationRequest), lower case.
    source : the file read (for messages).
    features_canonical : True when columns are feature names in canonical units (FHIR),
        False when they are the raw source columns of the training schema.
    """

    table: pd.DataFrame
    genotypes: pd.DataFrame = field(default_factory=pd.DataFrame)
    orders: dict[str, list[str]] = field(default_factory=dict)
    source: str = "records"
    features_canonical: bool = False

    @property
    def ids(self) -> list[str]:
        return self.table["id"].tolist()


def read_records(path: str | Path, id_column: str = "id", as_of: str | None = None
                 ) -> PatientRecords:
    """Read a record file; a ``.json`` file must be a FHIR R4 Bundle.

    Parameters
    ----------
    path : ``.csv``, ``.tsv``/``.txt``, ``.parquet`` or ``.json`` (FHIR Bundle).
    id_column : the ID column of a table (ignored for FHIR: ``Patient.id``).
    as_of : ISO date at which ages are computed from FHIR birth dates (default today).

    Raises
    ------
    FileNotFoundError, ValueError naming the file, column or row.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"record file {path} not found")
    if path.suffix == ".json":
        try:
            bundle = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error}); a .json record file must be a "
                             f"FHIR R4 Bundle") from None
        return from_fhir(read_fhir_bundle(bundle, str(path), as_of), str(path))
    if path.suffix not in TABLE_SUFFIXES:
        raise ValueError(f"{path}: unknown record format {path.suffix!r}; use .csv, .tsv, "
                         f".parquet or a FHIR Bundle .json")
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, sep="\t" if path.suffix in (".tsv", ".txt") else ",",
                            dtype={id_column: str})
    return from_table(table, id_column, str(path))


def from_table(table: pd.DataFrame, id_column: str, source: str) -> PatientRecords:
    """Check the ID column (present, no blanks, no duplicates) and put it first as ``id``."""
    if id_column not in table.columns:
        raise ValueError(f"{source}: ID column {id_column!r} not found; columns are "
                         f"{list(table.columns)[:20]} (set --id-column)")
    ids = table[id_column]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        raise ValueError(f"{source}: data row {int(blank.to_numpy().argmax()) + 1}, column "
                         f"{id_column!r}: empty ID; every person needs one")
    ids = ids.astype(str).str.strip()
    duplicated = ids.duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        raise ValueError(f"{source}: data row {row + 1}, column {id_column!r}: ID repeated "
                         f"from an earlier row; one row per person")
    table = table.drop(columns=[id_column]).reset_index(drop=True)
    table.insert(0, "id", ids.to_numpy())
    return PatientRecords(table, source=source)


def from_fhir(records: FhirRecords, source: str) -> PatientRecords:
    """The :class:`PatientRecords` of a parsed FHIR Bundle (features in canonical units)."""
    return PatientRecords(records.features, records.genotypes, records.orders, source,
                          features_canonical=True)
