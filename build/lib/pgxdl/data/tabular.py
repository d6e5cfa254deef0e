"""EHR features: a declared schema, unit harmonisation, encoding and normalisation.

A :class:`TabularSchema` declares each feature once (kind, units, allowed range, categories)
and turns a raw table (a pandas DataFrame, one row a subject) into the store's tabular
block: ``numeric (S, F_num)`` float32 with NaN for missing and ``categorical (S, F_cat)``
int32 codes with 0 for missing. Binary features are numeric 0/1. Normalisation statistics
are fitted on the rows of a training split only (:func:`fit_normalisation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

FeatureKind = Literal["numeric", "binary", "categorical"]

#: Multiplicative factors to the canonical unit, for the units pgxdl harmonises.
UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("lb", "kg"): 0.45359237,
    ("g", "kg"): 0.001,
    ("in", "cm"): 2.54,
    ("m", "cm"): 100.0,
    ("mm", "cm"): 0.1,
    ("months", "years"): 1.0 / 12.0,
    ("decades", "years"): 10.0,
}

_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


class TabularValueError(ValueError):
    """A value of the raw table breaks the schema (names the source, row and column)."""


@dataclass(frozen=True)
class FeatureSpec:
    """One declared EHR feature.

    Parameters
    ----------
    name : feature name in the store.
    kind : ``numeric``, ``binary`` or ``categorical``.
    column : source column in the raw table (defaults to ``name``).
    units : canonical unit of the stored values (numeric only).
    source_units : unit of the source column, converted to ``units`` when they differ.
    units_column : a column giving each row's unit instead (e.g. ``kg``/``lb`` per row).
    min, max : allowed range after harmonisation; values outside raise an error.
    categories : the vocabulary of a categorical feature (codes 1..K; 0 is missing).
    unknown : what a category outside the vocabulary does: ``error`` or ``missing``.
    """

    name: str
    kind: FeatureKind
    column: str | None = None
    units: str = ""
    source_units: str | None = None
    units_column: str | None = None
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()
    unknown: Literal["error", "missing"] = "error"

    @property
    def source(self) -> str:
        return self.column or self.name


@dataclass
class TabularBlock:
    """The encoded tabular part of a cohort, one row per subject."""

    numeric: np.ndarray  # (S, F_num) float32, NaN = missing
    categorical: np.ndarray  # (S, F_cat) int32, 0 = missing
    schema: TabularSchema


@dataclass
class TabularSchema:
    """An ordered list of :class:`FeatureSpec`, with encoding to arrays."""

    features: list[FeatureSpec] = field(default_factory=list)

    @classmethod
    def from_config(cls, items: list[dict]) -> TabularSchema:
        """Build from a list of dicts (as in a YAML config)."""
        specs = []
        for item in items:
            item = dict(item)
            item["categories"] = tuple(str(c) for c in item.get("categories", ()))
            specs.append(FeatureSpec(**item))
        return cls(specs)

    def to_config(self) -> list[dict]:
        return [{k: (list(v) if isinstance(v, tuple) else v) for k, v in f.__dict__.items()}
                for f in self.features]

    @property
    def numeric_features(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.kind != "categorical"]

    @property
    def categorical_features(self) -> list[FeatureSpec]:
        return [f for f in self.features if f.kind == "categorical"]

    def encode(self, table: pd.DataFrame, source: str = "table") -> TabularBlock:
        """Harmonise and encode ``table`` (S rows); raise :class:`TabularValueError` on bad values.

        ``source`` names the input in error messages (e.g. a file path); rows are
        reported 1-based as data lines (header excluded).
        """
        numeric = np.column_stack(
            [self._numeric_column(table, f, source) for f in self.numeric_features]
        ) if self.numeric_features else np.zeros((len(table), 0))
        categorical = np.column_stack(
            [self._categorical_column(table, f, source) for f in self.categorical_features]
        ) if self.categorical_features else np.zeros((len(table), 0))
        return TabularBlock(numeric.astype(np.float32), categorical.astype(np.int32), self)

    def _column(self, table: pd.DataFrame, feature: FeatureSpec, source: str) -> pd.Series:
        if feature.source not in table.columns:
            raise TabularValueError(
                f"{source}: column {feature.source!r} (feature {feature.name!r}) is missing; "
                f"columns are {list(table.columns)}"
            )
        return table[feature.source]

    def _numeric_column(self, table: pd.DataFrame, feature: FeatureSpec, source: str):
        raw = self._column(table, feature, source)
        if feature.kind == "binary":
            values = _parse_binary(raw, feature, source)
        else:
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
            unparsed = raw.notna().to_numpy() & np.isnan(values)
            _fail_rows(unparsed, raw, feature, source, "is not a number")
            values = values * self._unit_factors(table, feature, source)
        bad = np.isinf(values)
        if feature.min is not None:
            bad |= values < feature.min
        if feature.max is not None:
            bad |= values > feature.max
        _fail_rows(bad, pd.Series(values, index=raw.index), feature, source,
                   f"is outside the allowed range [{feature.min}, {feature.max}] {feature.units}")
        return values

    def _unit_factors(self, table: pd.DataFrame, feature: FeatureSpec, source: str):
        if feature.units_column is None:
            return _unit_factor(feature.source_units or feature.units, feature.units, feature)
        units = table[feature.units_column].fillna(feature.units).astype(str).str.strip()
        factors = np.ones(len(table))
        for unit in units.unique():
            factors[(units == unit).to_numpy()] = _unit_factor(unit, feature.units, feature)
        return factors

    def _categorical_column(self, table: pd.DataFrame, feature: FeatureSpec, source: str):
        raw = self._column(table, feature, source)
        lookup = {c: i + 1 for i, c in enumerate(feature.categories)}
        present = raw.notna().to_numpy()
        text = raw.astype(str).str.strip()
        codes = text.map(lookup).fillna(0).to_numpy(dtype=np.int32)
        codes[~present] = 0
        unknown = present & (codes == 0)
        if feature.unknown == "error":
            _fail_rows(unknown, raw, feature, source,
                       f"is not one of the categories {list(feature.categories)}")
        return codes


def _unit_factor(unit: str, canonical: str, feature: FeatureSpec) -> float:
    if unit == canonical:
        return 1.0
    if (unit, canonical) not in UNIT_FACTORS:
        raise TabularValueError(
            f"feature {feature.name!r}: no conversion from unit {unit!r} to {canonical!r} "
            f"(known: {sorted(UNIT_FACTORS)})"
        )
    return UNIT_FACTORS[(unit, canonical)]


def _parse_binary(raw: pd.Series, feature: FeatureSpec, source: str) -> np.ndarray:
    text = raw.astype(str).str.strip().str.lower()
    values = np.full(len(raw), np.nan)
    values[text.isin(_TRUE).to_numpy()] = 1.0
    values[text.isin(_FALSE).to_numpy()] = 0.0
    unparsed = raw.notna().to_numpy() & np.isnan(values)
    _fail_rows(unparsed, raw, feature, source, "is not a binary value (0/1, yes/no, true/false)")
    return values


def _fail_rows(bad: np.ndarray, raw: pd.Series, feature: FeatureSpec, source: str, what: str):
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    values = [raw.iloc[r] for r in rows[:3]]
    examples = ", ".join(f"row {r + 1}: {getattr(v, 'item', lambda v=v: v)()!r}"
                         for r, v in zip(rows, values, strict=False))
    raise TabularValueError(
        f"{source}: column {feature.source!r} (feature {feature.name!r}): {len(rows)} value(s) "
        f"{what} ({examples})"
    )


def fit_normalisation(numeric: np.ndarray, train_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per numeric feature over the training rows only.

    Parameters
    ----------
    numeric : ``(S, F)`` float array with NaN for missing.
    train_rows : boolean mask ``(S,)`` or integer indices of the training subjects.

    Returns
    -------
    ``mean (F,)`` and ``std (F,)`` float32; a constant or all-missing feature gets std 1.
    """
    train = numeric[train_rows]
    with np.errstate(invalid="ignore"):
        count = np.sum(~np.isnan(train), axis=0)
        mean = np.where(count > 0, np.nansum(train, axis=0) / np.maximum(count, 1), 0.0)
        var = np.where(count > 1, np.nansum((train - mean) ** 2, axis=0)
                       / np.maximum(count - 1, 1), 1.0)
    std = np.sqrt(var)
    std[~(std > 1e-8)] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)
