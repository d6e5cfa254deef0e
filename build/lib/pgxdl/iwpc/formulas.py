"""The published IWPC warfarin dosing formulas and the fixed 35 mg/week dose.

Coefficients are those of the supplementary appendix of The International Warfarin
Pharmacogenetics Consortium, "Estimation of the warfarin dose with clinical and
pharmacogenetic data", N Engl J Med 2009;360:753-764. Each formula predicts the square
root of the weekly dose; the dose (mg/week) is its square. Terms are read from the
features of :func:`pgxdl.iwpc.features.derive_features`:

- ``age_decade`` (``"60 - 69"`` -> 6), ``height_cm``, ``weight_kg``;
- ``vkorc1``: ``A/G``, ``A/A`` or ``unknown`` (``G/G`` is the reference);
- ``cyp2c9``: ``*1/*2`` ... ``*3/*3`` or unknown (``*1/*1`` reference; a diplotype
  without its own term, ``other``, counts as unknown);
- ``race``: ``Asian``, ``Black or African American``, ``Unknown`` (missing or mixed race;
  ``White`` is the reference);
- ``enzyme_inducer`` (carbamazepine, phenytoin or rifampin/rifampicin), ``amiodarone``.

The estimators below follow the scikit-learn interface so that the benchmark runs them
through the same folds as the learned models; ``fit`` learns nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

#: Pharmacogenetic algorithm: term -> coefficient on the square-root weekly dose scale.
#: A term ``"name=value"`` is the indicator ``feature name == value``.
PHARMACOGENETIC_COEFFICIENTS: dict[str, float] = {
    "intercept": 5.6044,
    "age_decade": -0.2614,
    "height_cm": 0.0087,
    "weight_kg": 0.0128,
    "vkorc1=A/G": -0.8677,
    "vkorc1=A/A": -1.6974,
    "vkorc1=unknown": -0.4854,
    "cyp2c9=*1/*2": -0.5211,
    "cyp2c9=*1/*3": -0.9357,
    "cyp2c9=*2/*2": -1.0616,
    "cyp2c9=*2/*3": -1.9206,
    "cyp2c9=*3/*3": -2.3312,
    "cyp2c9=unknown": -0.2188,
    "race=Asian": -0.1092,
    "race=Black or African American": -0.2760,
    "race=Unknown": -0.1032,
    "enzyme_inducer": 1.1816,
    "amiodarone": -0.5503,
}

#: Clinical algorithm: term -> coefficient on the square-root weekly dose scale.
CLINICAL_COEFFICIENTS: dict[str, float] = {
    "intercept": 4.0376,
    "age_decade": -0.2546,
    "height_cm": 0.0118,
    "weight_kg": 0.0134,
    "race=Asian": -0.6752,
    "race=Black or African American": 0.4060,
    "race=Unknown": 0.0443,
    "enzyme_inducer": 1.2799,
    "amiodarone": -0.5695,
}

FORMULAS = {"pharmacogenetic": PHARMACOGENETIC_COEFFICIENTS, "clinical": CLINICAL_COEFFICIENTS}
FIXED_WEEKLY_DOSE_MG = 35.0
_REQUIRED_NUMERIC = ("age_decade", "height_cm", "weight_kg")


def iwpc_sqrt_dose(features: pd.DataFrame, formula: str = "pharmacogenetic") -> np.ndarray:
    """Square root of the weekly dose predicted by an IWPC formula, shape ``(N,)``.

    Raises
    ------
    KeyError
        For an unknown ``formula`` or a feature column the formula needs but lacks.
    ValueError
        When age, height or weight is missing for some patient (the formula needs all three).
    """
    if formula not in FORMULAS:
        raise KeyError(f"unknown IWPC formula {formula!r}; known: {list(FORMULAS)}")
    missing = features[list(_REQUIRED_NUMERIC)].isna().sum()
    if missing.any():
        counts = {name: int(n) for name, n in missing.items() if n}
        raise ValueError(f"the IWPC {formula} formula needs age, height and weight; missing "
                         f"for {counts} patients (select them out first)")
    cyp2c9 = features["cyp2c9"].where(features["cyp2c9"] != "other", "unknown")
    columns = {**{name: features[name] for name in features.columns}, "cyp2c9": cyp2c9}
    total = np.zeros(len(features))
    for term, coefficient in FORMULAS[formula].items():
        if term == "intercept":
            total += coefficient
            continue
        name, _, level = term.partition("=")
        values = columns[name]
        term_value = (values == level).to_numpy(dtype=float) if level else values.to_numpy(float)
        total += coefficient * term_value
    return total


def iwpc_dose(features: pd.DataFrame, formula: str = "pharmacogenetic") -> np.ndarray:
    """Weekly warfarin dose (mg/week) of an IWPC formula, shape ``(N,)``."""
    return np.square(iwpc_sqrt_dose(features, formula))


class IWPCFormula(RegressorMixin, BaseEstimator):
    """An IWPC dosing formula as a scikit-learn regressor (``fit`` learns nothing)."""

    def __init__(self, formula: str = "pharmacogenetic"):
        self.formula = formula

    def fit(self, features: pd.DataFrame, dose: np.ndarray | None = None) -> IWPCFormula:
        if self.formula not in FORMULAS:
            raise KeyError(f"unknown IWPC formula {self.formula!r}; known: {list(FORMULAS)}")
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Weekly dose (mg/week), shape ``(N,)``."""
        return iwpc_dose(features, self.formula)


class FixedDose(RegressorMixin, BaseEstimator):
    """The same weekly dose for everyone (35 mg/week, 5 mg/day, by default)."""

    def __init__(self, dose: float = FIXED_WEEKLY_DOSE_MG):
        self.dose = dose

    def fit(self, features: pd.DataFrame, dose: np.ndarray | None = None) -> FixedDose:
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """``dose`` repeated, shape ``(N,)``."""
        return np.full(len(features), float(self.dose))
