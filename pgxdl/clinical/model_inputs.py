"""Model inputs of new people, built as the store builders built them for training.

Tabular: the training schema encodes the record (unit harmonisation, allowed ranges,
vocabularies); a feature column the record lacks is missing for everyone, a category the
training never saw is missing (code 0) and flagged. Genome: the person's variants are
applied to the reference windows with the training's missing-call policy; dosage models
get one IUPAC track (the same one-hot as the mean of two phased tracks), concat models
two phased tracks. A person whose record breaks the schema fails alone, with the reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pgxdl.clinical.records import PatientRecords
from pgxdl.clinical.serving_spec import ServingSpec
from pgxdl.data.tabular import TabularSchema, TabularValueError
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.variants.callset import CallSet


@dataclass
class TabularInputs:
    """Encoded records of ``S`` people (raw scale: checkpoints normalise their own way).

    ``numeric (S, F_num)`` float32 NaN = missing, canonical units; ``categorical
    (S, F_cat)`` int64 0 = missing/unseen; ``raw`` the record rows the values came from;
    ``absent`` feature names the record did not carry; ``unseen`` per person the
    ``(feature, value)`` pairs outside the vocabulary; ``failed`` ID -> reason.
    """

    ids: list[str]
    numeric: np.ndarray
    categorical: np.ndarray
    raw: pd.DataFrame
    absent: list[str] = field(default_factory=list)
    unseen: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def serving_schema(serving: ServingSpec, canonical: bool) -> TabularSchema:
    """The training schema with unseen categories read as missing; with ``canonical`` each
    feature reads the column named after it, already in its canonical units (FHIR)."""
    features = []
    for feature in serving.schema.features:
        changes = {"unknown": "missing"}
        if canonical:
            changes.update(column=None, source_units=None, units_column=None)
        features.append(dataclasses.replace(feature, **changes))
    return TabularSchema(features)


def encode_records(records: PatientRecords, serving: ServingSpec) -> TabularInputs:
    """Encode ``records`` with the checkpoint's schema (see the module doc)."""
    schema = serving_schema(serving, records.features_canonical)
    table = records.table.copy()
    absent = [f.name for f in schema.features if f.source not in table.columns]
    for feature in schema.features:
        if feature.source not in table.columns:
            table[feature.source] = np.nan
        if feature.units_column and feature.units_column not in table.columns:
            table[feature.units_column] = feature.units
    failed: dict[str, str] = {}
    try:
        block = schema.encode(table, source=records.source)
        kept = table
    except TabularValueError:
        rows, failed = _readable_rows(table, schema, records.source)
        kept = table.iloc[rows].reset_index(drop=True)
        block = schema.encode(kept, source=records.source)
    unseen = _unseen_categories(kept, schema)
    return TabularInputs(kept["id"].tolist(), block.numeric,
                         block.categorical.astype(np.int64), kept, absent, unseen, failed)


def _readable_rows(table: pd.DataFrame, schema: TabularSchema, source: str
                   ) -> tuple[list[int], dict[str, str]]:
    rows, failed = [], {}
    for row in range(len(table)):
        try:
            schema.encode(table.iloc[[row]], source=source)
        except TabularValueError as error:
            message = str(error).removeprefix(f"{source}: ")
            failed[str(table["id"].iloc[row])] = message.replace("(row 1: ", "(")
            continue
        rows.append(row)
    return rows, failed


def _unseen_categories(table: pd.DataFrame, schema: TabularSchema
                       ) -> dict[str, list[tuple[str, str]]]:
    unseen: dict[str, list[tuple[str, str]]] = {}
    for feature in schema.categorical_features:
        values = table[feature.source]
        text = values.astype(str).str.strip()
        outside = values.notna().to_numpy() & ~text.isin(feature.categories).to_numpy()
        for row in np.flatnonzero(outside):
            unseen.setdefault(str(table["id"].iloc[row]), []).append(
                (feature.name, str(text.iloc[row])))
    return unseen


def genome_codes(callset: CallSet, serving: ServingSpec, reference: ReferenceGenome
                 ) -> np.ndarray:
    """Personal window codes ``(S, W, H, L)`` uint8 of ``callset``'s people.

    ``H = 2`` for a model reading two phased tracks (C = 8), else one dosage track.
    """
    phased = serving.spec.channels == 8
    builder = PersonalWindowBuilder(reference, serving.windows, phased=phased,
                                    missing_policy=serving.missing_policy)
    return np.asarray(builder.build(callset).codes)
