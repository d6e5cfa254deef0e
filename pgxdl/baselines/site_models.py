"""Warfarin dose models built to transfer to a hospital they never saw.

Each model learns the square root of the weekly dose, as the IWPC formula does, from the
imputed feature frame of :class:`pgxdl.iwpc.imputation.InputImputer` (every patient has
age, height and weight; unknown genotypes are their own category) and predicts mg/week.
``fit(features, dose, sites=None)``: the project site of each training patient is used only
by the models that model sites (random intercept, group DRO); prediction never needs it.

``refit_formula``   ordinary least squares on the IWPC formula's own terms;
``anchored``        the published formula's linear predictor plus a ridge correction on the
                    formula's terms and extra inputs, shrunk toward zero (``alpha``);
``monotone_gbm``    histogram gradient boosting with the signs pharmacology fixes: dose
                    falls with age, each VKORC1 -1639A allele, each CYP2C9 *2 and *3 allele
                    and amiodarone, and rises with height, weight and enzyme inducers;
``random_intercept`` a linear mixed model with a site random intercept (Henderson's mixed
                    model equations, variance ratio by the method of moments), predicting
                    at a new site with the site effect at its mean, 0;
``group_dro``       least squares on the formula's terms with site weights raised on the
                    worst-fitted sites (exponentiated gradient; Sagawa et al. 2020);
``anchored_mlp``    the formula plus a small neural network's correction;
``average``         members averaged on the square-root scale; ``published`` the formula.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.neural_network import MLPRegressor

from pgxdl.iwpc.columns import RACES
from pgxdl.iwpc.formulas import PHARMACOGENETIC_COEFFICIENTS, iwpc_sqrt_dose

#: The terms of the IWPC pharmacogenetic formula (without its intercept).
FORMULA_TERMS = tuple(term for term in PHARMACOGENETIC_COEFFICIENTS if term != "intercept")


def formula_terms(features: pd.DataFrame) -> np.ndarray:
    """``(N, 17)`` the formula's terms: numbers as they are, ``name=level`` as 0/1."""
    cyp2c9 = features["cyp2c9"].where(features["cyp2c9"] != "other", "unknown")
    columns = []
    for term in FORMULA_TERMS:
        name, _, level = term.partition("=")
        values = cyp2c9 if name == "cyp2c9" else features[name]
        columns.append((values == level).to_numpy(float) if level else values.to_numpy(float))
    return np.stack(columns, axis=1)


def extra_inputs(features: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """``(N, len(names))`` extra numeric inputs; a missing value is 0 (with its own
    ``<name>_missing`` input when asked for by that name)."""
    columns = []
    for name in names:
        base = name.removesuffix("_missing")
        values = features[base].to_numpy(float) if base != "male" else (
            features["gender"] == "male").to_numpy(float)
        columns.append(np.isnan(values).astype(float) if name.endswith("_missing")
                       else np.nan_to_num(values))
    return np.stack(columns, axis=1) if columns else np.empty((len(features), 0))


def _square(sqrt_dose: np.ndarray) -> np.ndarray:
    return np.square(np.clip(sqrt_dose, 0.0, None))


class SqrtDoseModel(RegressorMixin, BaseEstimator):
    """Base: subclasses fit and predict the square-root dose; ``predict`` gives mg/week."""

    def fit(self, features: pd.DataFrame, dose: np.ndarray, sites: np.ndarray | None = None):
        """Learn from ``features (N, F)``, weekly doses ``(N,)`` and, for some, sites ``(N,)``."""
        return self.fit_sqrt(features, np.sqrt(np.asarray(dose, dtype=float)), sites)

    def fit_sqrt(self, features: pd.DataFrame, target: np.ndarray,
                 sites: np.ndarray | None = None):
        """Learn from square-root doses ``target (N,)``."""
        self._fit_sqrt(features, target, sites)
        return self

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Weekly dose (mg/week), ``(N,)``."""
        return _square(self.predict_sqrt(features))


class RefitFormula(SqrtDoseModel):
    """Least squares on the IWPC formula's terms, refitted on the training patients."""

    def _fit_sqrt(self, features, target, sites):
        self.model_ = LinearRegression().fit(formula_terms(features), target)

    def predict_sqrt(self, features):
        return self.model_.predict(formula_terms(features))


class AnchoredFormula(SqrtDoseModel):
    """Published formula + ridge correction on standardised terms and ``extras``."""

    def __init__(self, alpha: float = 100.0, extras: Sequence[str] = (), terms: bool = True,
                 shift: bool = False):
        self.alpha, self.extras, self.terms, self.shift = alpha, extras, terms, shift

    def _design(self, features):
        terms = formula_terms(features) if self.terms else np.empty((len(features), 0))
        return np.hstack([terms, extra_inputs(features, self.extras)])

    def _fit_sqrt(self, features, target, sites):
        design = self._design(features)
        self.mean_, self.scale_ = design.mean(axis=0), design.std(axis=0) + 1e-9
        self.model_ = Ridge(alpha=self.alpha, fit_intercept=self.shift).fit(
            (design - self.mean_) / self.scale_, target - iwpc_sqrt_dose(features))

    def predict_sqrt(self, features):
        correction = self.model_.predict((self._design(features) - self.mean_) / self.scale_)
        return iwpc_sqrt_dose(features) + correction


_VKORC1_A = {"G/G": 0.0, "A/G": 1.0, "A/A": 2.0}
#: Monotonic constraint of each input of :class:`MonotoneGBM` (-1 dose falls, +1 rises).
MONOTONE_INPUTS = {"age_decade": -1, "height_cm": 1, "weight_kg": 1, "vkorc1_a": -1,
                   "cyp2c9_star2": -1, "cyp2c9_star3": -1, "amiodarone": -1,
                   "enzyme_inducer": 1, "race": 0}


def monotone_inputs(features: pd.DataFrame, extras: Sequence[str] = ()) -> np.ndarray:
    """``(N, 9 + len(extras))``: allele counts (NaN unknown), race code, other inputs."""
    cyp2c9 = features["cyp2c9"]
    known = cyp2c9.isin(["*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3"])
    star2 = np.where(known, cyp2c9.str.count(r"\*2").to_numpy(float), np.nan)
    star3 = np.where(known, cyp2c9.str.count(r"\*3").to_numpy(float), np.nan)
    columns = {
        "age_decade": features["age_decade"].to_numpy(float),
        "height_cm": features["height_cm"].to_numpy(float),
        "weight_kg": features["weight_kg"].to_numpy(float),
        "vkorc1_a": features["vkorc1"].map(_VKORC1_A).to_numpy(float),
        "cyp2c9_star2": star2, "cyp2c9_star3": star3,
        "amiodarone": features["amiodarone"].to_numpy(float),
        "enzyme_inducer": features["enzyme_inducer"].to_numpy(float),
        "race": features["race"].map({race: i for i, race in enumerate(RACES)}).to_numpy(float),
    }
    return np.hstack([np.stack(list(columns.values()), axis=1), extra_inputs(features, extras)])


class MonotoneGBM(SqrtDoseModel):
    """Histogram gradient boosting with pharmacological monotonic constraints."""

    def __init__(self, max_iter: int = 100, learning_rate: float = 0.1,
                 max_leaf_nodes: int = 15, min_samples_leaf: int = 40,
                 monotone: bool = True, extras: Sequence[str] = (), seed: int = 0):
        self.max_iter, self.learning_rate = max_iter, learning_rate
        self.max_leaf_nodes, self.min_samples_leaf = max_leaf_nodes, min_samples_leaf
        self.monotone, self.extras, self.seed = monotone, extras, seed

    def _fit_sqrt(self, features, target, sites):
        signs = [*MONOTONE_INPUTS.values(), *([0] * len(self.extras))]
        categorical = [name == "race" for name in MONOTONE_INPUTS] + [False] * len(self.extras)
        self.model_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            monotonic_cst=signs if self.monotone else None,
            categorical_features=categorical, early_stopping=False, random_state=self.seed,
        ).fit(monotone_inputs(features, self.extras), target)

    def predict_sqrt(self, features):
        return self.model_.predict(monotone_inputs(features, self.extras))


def _site_codes(sites: np.ndarray | None, n: int) -> np.ndarray:
    if sites is None or len(sites) != n:
        raise ValueError("this model needs the (N,) training site of every patient: "
                         "pass fit(features, dose, sites=...)")
    return np.unique(np.asarray(sites).astype(str), return_inverse=True)[1]


class RandomIntercept(SqrtDoseModel):
    """Linear mixed model ``sqrt dose = X b + u_site + e``; predicts ``X b`` at a new site."""

    def _fit_sqrt(self, features, target, sites):
        codes = _site_codes(sites, len(target))
        design = np.hstack([np.ones((len(target), 1)), formula_terms(features)])
        residual = target - design @ np.linalg.lstsq(design, target, rcond=None)[0]
        counts = np.bincount(codes)
        site_means = np.bincount(codes, residual) / counts
        noise = residual.var()
        between = max(site_means.var() - np.mean(noise / counts), 1e-6)
        self.variance_ratio_ = noise / between
        onehot = np.eye(len(counts))[codes]
        # Henderson: least squares on [X, Z] with a ridge penalty on the site effects only.
        augmented = np.vstack([np.hstack([design, onehot]),
                               np.hstack([np.zeros((len(counts), design.shape[1])),
                                          np.sqrt(self.variance_ratio_) * np.eye(len(counts))])])
        solution = np.linalg.lstsq(augmented, np.r_[target, np.zeros(len(counts))],
                                   rcond=None)[0]
        self.coef_, self.site_effects_ = solution[:design.shape[1]], solution[design.shape[1]:]

    def predict_sqrt(self, features):
        return self.coef_[0] + formula_terms(features) @ self.coef_[1:]


class GroupDRO(SqrtDoseModel):
    """Least squares on the formula's terms, site weights tilted toward the worst sites."""

    def __init__(self, rounds: int = 30, step: float = 0.5):
        self.rounds, self.step = rounds, step

    def _fit_sqrt(self, features, target, sites):
        codes = _site_codes(sites, len(target))
        counts = np.bincount(codes)
        design = formula_terms(features)
        log_q = np.zeros(len(counts))
        for _ in range(self.rounds):
            q = np.exp(log_q - log_q.max())
            q /= q.sum()
            model = LinearRegression().fit(design, target, sample_weight=(q / counts)[codes])
            loss = np.bincount(codes, (model.predict(design) - target) ** 2) / counts
            log_q += self.step * loss / loss.mean()
        self.site_weights_, self.model_ = q, model

    def predict_sqrt(self, features):
        return self.model_.predict(formula_terms(features))


class SqrtAverage(SqrtDoseModel):
    """Equal-weight average of member models on the square-root scale."""

    def __init__(self, members: Sequence[SqrtDoseModel] = ()):
        self.members = members

    def _fit_sqrt(self, features, target, sites):
        self.fitted_ = [clone(m).fit_sqrt(features, target, sites) for m in self.members]

    def predict_sqrt(self, features):
        return np.mean([m.predict_sqrt(features) for m in self.fitted_], axis=0)


class AnchoredMLP(SqrtDoseModel):
    """Published formula + a small neural network's correction (weight decay ``alpha``,
    early stopping on a tenth of the training patients), on the formula's terms and
    ``extras``: the learned, non-linear cousin of :class:`AnchoredFormula`."""

    def __init__(self, extras: Sequence[str] = (), alpha: float = 1.0,
                 hidden: tuple[int, ...] = (32, 16), seed: int = 0):
        self.extras, self.alpha, self.hidden, self.seed = extras, alpha, hidden, seed

    def _design(self, features):
        return np.hstack([formula_terms(features), extra_inputs(features, self.extras)])

    def _fit_sqrt(self, features, target, sites):
        design = self._design(features)
        self.mean_, self.scale_ = design.mean(axis=0), design.std(axis=0) + 1e-9
        self.model_ = MLPRegressor(hidden_layer_sizes=self.hidden, alpha=self.alpha,
                                   early_stopping=True, n_iter_no_change=20, max_iter=500,
                                   random_state=self.seed).fit(
            (design - self.mean_) / self.scale_, target - iwpc_sqrt_dose(features))

    def predict_sqrt(self, features):
        correction = self.model_.predict((self._design(features) - self.mean_) / self.scale_)
        return iwpc_sqrt_dose(features) + correction


class PublishedFormula(SqrtDoseModel):
    """The IWPC pharmacogenetic formula as published (learns nothing)."""

    def _fit_sqrt(self, features, target, sites):
        return None

    def predict_sqrt(self, features):
        return iwpc_sqrt_dose(features)
