"""Fill missing age, height and weight so that every patient gets a dose, and flag each fill.

A dosing tool must give every patient a dose, but the IWPC formula needs age, height and
weight, and four of the nineteen shared sites report no height at all. :class:`InputImputer`
fills the three from the inputs a patient does have, fitted on the training patients only
(never on the patients it fills in at a new site, and never from the dose):

- predictors: age (decades), height (cm), weight (kg), sex (male / female / unknown) and
  race (OMB, ``Unknown`` for missing or mixed), one-hot coded;
- method: :class:`sklearn.impute.IterativeImputer` (chained linear regressions, Bayesian
  ridge), so height is predicted from weight, sex, race and age where those are known, and
  from what is left where they are not; an imputed value is clipped to the range seen in
  training;
- flags: ``age_imputed``, ``height_imputed``, ``weight_imputed`` (1.0 where the value was
  filled) and ``inputs_imputed`` (any of the three), one per patient.

Genotypes are not imputed here: an unknown VKORC1 or CYP2C9 genotype is its own category
(the IWPC formula has a term for each), after the IWPC appendix rules have filled
rs9923231 from linked SNPs where they can (:func:`pgxdl.iwpc.policy.impute_vkorc1`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.experimental import enable_iterative_imputer  # noqa: F401  (enables the class)
from sklearn.impute import IterativeImputer
from sklearn.linear_model import BayesianRidge

from pgxdl.iwpc.columns import RACES

#: Inputs of the IWPC formula that may be missing and are imputed.
IMPUTED_INPUTS = ("age_decade", "height_cm", "weight_kg")
#: Per-patient flag column of each imputed input.
IMPUTED_FLAGS = {name: name.split("_")[0] + "_imputed" for name in IMPUTED_INPUTS}
_SEXES = ("male", "female", "unknown")


def _design(features: pd.DataFrame) -> np.ndarray:
    """``(N, 3 + 3 + 4)``: the three numeric inputs (NaN missing), sex and race one-hot."""
    numeric = features[list(IMPUTED_INPUTS)].to_numpy(dtype=float)
    sex = features["gender"].astype(object).where(features["gender"].isin(_SEXES), "unknown")
    sex_onehot = np.stack([(sex == level).to_numpy(dtype=float) for level in _SEXES], axis=1)
    race_onehot = np.stack([(features["race"] == level).to_numpy(dtype=float)
                            for level in RACES], axis=1)
    return np.hstack([numeric, sex_onehot, race_onehot])


class InputImputer(TransformerMixin, BaseEstimator):
    """Impute age, height and weight from each other, sex and race; flag what was filled.

    Parameters
    ----------
    max_iter : rounds of the chained regressions.
    estimator : the regression of each input on the others (default Bayesian ridge).
    """

    def __init__(self, max_iter: int = 10, estimator=None):
        self.max_iter = max_iter
        self.estimator = estimator

    def fit(self, features: pd.DataFrame, y=None) -> InputImputer:
        """Learn the regressions from ``features (N, F)`` (:func:`derive_features` frame).

        Raises
        ------
        ValueError
            When an input to impute is missing for every training patient.
        """
        design = _design(features)
        empty = [name for name, column in zip(IMPUTED_INPUTS, design.T, strict=False)
                 if np.all(np.isnan(column))]
        if empty:
            raise ValueError(f"cannot learn to impute {empty}: no training patient has a value")
        self.imputer_ = IterativeImputer(estimator=self.estimator or BayesianRidge(),
                                         max_iter=self.max_iter, random_state=0,
                                         skip_complete=False).fit(design)
        numeric = design[:, :len(IMPUTED_INPUTS)]
        self.low_, self.high_ = np.nanmin(numeric, axis=0), np.nanmax(numeric, axis=0)
        return self

    def transform(self, features: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``features`` with the three inputs filled and the flag columns added."""
        design = _design(features)
        missing = np.isnan(design[:, :len(IMPUTED_INPUTS)])
        filled = np.clip(self.imputer_.transform(design)[:, :len(IMPUTED_INPUTS)],
                         self.low_, self.high_)
        out = features.copy()
        for index, name in enumerate(IMPUTED_INPUTS):
            out[name] = np.where(missing[:, index], filled[:, index], design[:, index])
            out[IMPUTED_FLAGS[name]] = missing[:, index].astype(float)
        out["inputs_imputed"] = missing.any(axis=1).astype(float)
        return out
