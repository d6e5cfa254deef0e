"""Classical dose models and the CV / leave-site-out protocols on a synthetic IWPC table."""

from __future__ import annotations

import numpy as np
import pytest
from iwpc_fixtures import synthetic_rows, write_iwpc_csv
from sklearn.base import BaseEstimator, RegressorMixin

from pgxdl.baselines.deep_models import interval_coverage, load_model_config
from pgxdl.baselines.models import CLASSICAL_REGRESSORS, MODEL_NAMES, make_model
from pgxdl.iwpc.features import FEATURE_SETS, derive_features
from pgxdl.iwpc.folds import (
    out_of_fold_predictions,
    protocol_folds,
    sklearn_fold_predictor,
)
from pgxdl.iwpc.formulas import iwpc_dose
from pgxdl.iwpc.policy import select_patients
from pgxdl.iwpc.table import read_iwpc_table


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    path = write_iwpc_csv(tmp_path_factory.mktemp("iwpc") / "synthetic.csv",
                          synthetic_rows(160, seed=5))
    frame = read_iwpc_table(path).frame
    frame = frame[select_patients(frame, ["no_therapeutic_dose"])[0]].reset_index(drop=True)
    return derive_features(frame), frame["dose_mg_week"].to_numpy(), frame["site"].to_numpy()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_fits_and_predicts_positive_doses(cohort, name):
    features, dose, _ = cohort
    complete = features["height_cm"].notna().to_numpy()
    train = features if name in CLASSICAL_REGRESSORS else features[complete]
    model = make_model(name, FEATURE_SETS["extended"], seed=0, quick=True)
    pred = model.fit(train, dose[train.index]).predict(train)
    assert pred.shape == (len(train),)
    assert np.all(np.isfinite(pred)) and np.all(pred >= 0)


def test_linear_model_recovers_a_noise_free_iwpc_formula(cohort):
    features, _, _ = cohort
    features = features[features["height_cm"].notna()]
    target = iwpc_dose(features)  # linear in the iwpc features on the square-root scale
    model = make_model("linear", FEATURE_SETS["iwpc"]).fit(features, target)
    np.testing.assert_allclose(model.predict(features), target, rtol=1e-8)


def test_imputation_is_fitted_on_the_training_rows_only(cohort):
    features, dose, _ = cohort
    train = np.arange(len(dose)) < len(dose) // 2
    features = features.copy()
    features.loc[~train, "height_cm"] = 500.0  # would move a median fitted on all rows
    model = make_model("ridge", FEATURE_SETS["iwpc"]).fit(features[train], dose[train])
    imputer = model.regressor_.named_steps["prepare"].named_transformers_["numeric"][0]
    expected = np.nanmedian(features.loc[train, "height_cm"])
    assert imputer.statistics_[list(FEATURE_SETS["iwpc"].numeric).index("height_cm")] == expected
    with pytest.raises(KeyError, match="unknown model 'xgboost'"):
        make_model("xgboost", FEATURE_SETS["iwpc"])


def test_cv_folds_partition_patients_and_depend_on_the_seed():
    folds = list(protocol_folds("cv", 50, seeds=[0, 1], k=5))
    assert len(folds) == 10
    for seed in (0, 1):
        tests = [f.test for f in folds if f.seed == seed]
        np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(50))
        for fold in (f for f in folds if f.seed == seed):
            assert np.intersect1d(fold.train, fold.test).size == 0
            assert len(fold.train) + len(fold.test) == 50
    assert not np.array_equal(folds[0].test, folds[5].test)


def test_leave_site_out_holds_out_one_whole_site_per_fold():
    sites = np.repeat(["1", "3", "7", "9"], [5, 8, 4, 6])
    folds = list(protocol_folds("leave_site_out", len(sites), seeds=[0], sites=sites))
    held_out = [np.unique(sites[f.test]) for f in folds]
    assert all(len(site) == 1 for site in held_out)
    assert sorted(site[0] for site in held_out) == ["1", "3", "7", "9"]
    for fold in folds:
        assert sites[fold.test[0]] not in set(sites[fold.train])
        assert len(fold.test) == np.sum(sites == sites[fold.test[0]])
    with pytest.raises(ValueError, match="project site"):
        list(protocol_folds("leave_site_out", 10, seeds=[0]))
    with pytest.raises(ValueError, match="unknown protocol 'bootstrap'"):
        list(protocol_folds("bootstrap", 10, seeds=[0]))


class _TrainingMean(RegressorMixin, BaseEstimator):
    def fit(self, features, dose):
        self.mean_ = float(np.mean(dose))
        return self

    def predict(self, features):
        return np.full(len(features), self.mean_)


def test_out_of_fold_predictions_use_each_fold_model(cohort):
    features, dose, sites = cohort
    folds = list(protocol_folds("leave_site_out", len(dose), seeds=[0, 2], sites=sites))
    predictor = sklearn_fold_predictor(lambda seed: _TrainingMean(), features, dose)
    predictions = out_of_fold_predictions(predictor, len(dose), folds)
    assert sorted(predictions) == [0, 2]
    for site in np.unique(sites):
        expected = np.mean(dose[sites != site])
        np.testing.assert_allclose(predictions[0][sites == site], expected)
    with pytest.raises(ValueError, match="seed 0 predict .* more than once"):
        out_of_fold_predictions(predictor, len(dose), folds[:1] * 2)


def test_deep_model_configs_and_interval_coverage():
    assert "network" in load_model_config("cnn_gated")
    with pytest.raises(FileNotFoundError, match="known models: .*cnn_gated"):
        load_model_config("transformer_xl")
    dose = np.array([10.0, 20.0, 30.0, 40.0])
    bounds = np.array([[5.0, 15.0], [21.0, 30.0], [25.0, 30.0], [30.0, 60.0]])
    inside = [lo <= d <= hi for d, (lo, hi) in zip(dose, bounds, strict=True)]
    result = interval_coverage(dose, bounds)
    assert result["coverage"] == sum(inside) / 4
    assert result["median_width"] == np.median(bounds[:, 1] - bounds[:, 0])
