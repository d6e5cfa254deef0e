"""Classical machine-learning dose models from the warfarin literature, as scikit-learn pipelines.

Every learned model is one :class:`~sklearn.pipeline.Pipeline`, so imputation, scaling and
encoding are fitted on the training fold only:

``numeric``      median imputation with a missing-value indicator column, then standard scaling;
``categorical``  one-hot encoding (a category unseen in training encodes as all zeros).

The regressor learns the square root of the weekly dose, as the IWPC formulas do
(:class:`~sklearn.compose.TransformedTargetRegressor`), and predicts mg/week. Models:
ordinary least squares, ridge, lasso, degree-2 polynomial regression (ridge-penalised),
support vector regression (RBF), random forest, gradient boosting and a multilayer
perceptron, as compared by e.g. Liu et al. (PLoS One 2015) and Truda & Marais (JBI 2021).
The reference models (fixed 35 mg/week, IWPC clinical and pharmacogenetic formulas) take the
same feature frame and learn nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler
from sklearn.svm import SVR

from pgxdl.iwpc.features import FeatureSet
from pgxdl.iwpc.formulas import FixedDose, IWPCFormula

#: Name -> ``(seed, quick) -> regressor`` on the preprocessed inputs (sqrt dose scale).
CLASSICAL_REGRESSORS: dict[str, Callable[[int, bool], RegressorMixin]] = {
    "linear": lambda seed, quick: LinearRegression(),
    "ridge": lambda seed, quick: Ridge(alpha=1.0),
    "lasso": lambda seed, quick: Lasso(alpha=1e-3, max_iter=10_000),
    "polynomial": lambda seed, quick: make_pipeline(
        PolynomialFeatures(degree=2, include_bias=False), Ridge(alpha=10.0)),
    "svr": lambda seed, quick: SVR(kernel="rbf", C=1.0, epsilon=0.1, gamma="scale"),
    "random_forest": lambda seed, quick: RandomForestRegressor(
        n_estimators=30 if quick else 300, min_samples_leaf=5, max_features=0.5,
        random_state=seed, n_jobs=1),
    "gradient_boosting": lambda seed, quick: GradientBoostingRegressor(
        n_estimators=30 if quick else 300, learning_rate=0.05, max_depth=3, subsample=0.8,
        random_state=seed),
    "mlp": lambda seed, quick: MLPRegressor(
        hidden_layer_sizes=(64, 32), alpha=1e-3, learning_rate_init=1e-3,
        max_iter=50 if quick else 500, early_stopping=True, n_iter_no_change=20,
        random_state=seed),
}

#: Name -> ``() -> regressor`` of the models that learn nothing.
REFERENCE_MODELS: dict[str, Callable[[], RegressorMixin]] = {
    "fixed_35mg": FixedDose,
    "iwpc_clinical": lambda: IWPCFormula("clinical"),
    "iwpc_pharmacogenetic": lambda: IWPCFormula("pharmacogenetic"),
}

MODEL_NAMES = (*REFERENCE_MODELS, *CLASSICAL_REGRESSORS)


def preprocessor(features: FeatureSet) -> ColumnTransformer:
    """Imputation + scaling of numeric and one-hot encoding of categorical columns."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True,
                                                 keep_empty_features=True)),
                        ("scale", StandardScaler())])
    categorical = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer([("numeric", numeric, list(features.numeric)),
                              ("categorical", categorical, list(features.categorical))])


def make_model(name: str, features: FeatureSet, seed: int = 0,
               quick: bool = False) -> RegressorMixin:
    """A fresh, unfitted dose model: ``fit(frame (N, F), dose (N,))``, ``predict -> (N,)``.

    Parameters
    ----------
    name : one of :data:`MODEL_NAMES`.
    features : the columns a learned model reads (reference models read their own).
    seed : random state of stochastic models.
    quick : smaller ensembles and fewer epochs, for smoke tests.

    Raises
    ------
    KeyError
        For an unknown model name (the known ones are listed).
    """
    if name in REFERENCE_MODELS:
        return REFERENCE_MODELS[name]()
    if name not in CLASSICAL_REGRESSORS:
        raise KeyError(f"unknown model {name!r}; known: {list(MODEL_NAMES)}")
    pipeline = Pipeline([("prepare", preprocessor(features)),
                         ("regress", CLASSICAL_REGRESSORS[name](seed, quick))])
    return TransformedTargetRegressor(regressor=pipeline, func=np.sqrt, inverse_func=_square,
                                      check_inverse=False)


def _square(values: np.ndarray) -> np.ndarray:
    """Inverse of the square-root target, clipped at 0 so a negative root is no dose."""
    return np.square(np.clip(values, 0.0, None))
