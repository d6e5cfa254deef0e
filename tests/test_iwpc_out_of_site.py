"""Out-of-site IWPC pieces checked against independent computations: input imputation,
split-conformal coverage, the site bootstrap, site folds and the site-robust models."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from pgxdl.baselines.site_models import (
    AnchoredFormula,
    MonotoneGBM,
    PublishedFormula,
    RandomIntercept,
    RefitFormula,
    formula_terms,
)
from pgxdl.baselines.site_recipes import ForwardSelectedAnchor
from pgxdl.evaluation.bootstrap import resample_counts
from pgxdl.iwpc.conformal import (
    SqrtConformal,
    chance_in_range,
    conformal_quantile,
    coverage_by_group,
)
from pgxdl.iwpc.dose_metrics import evaluate_doses, paired_difference
from pgxdl.iwpc.formulas import PHARMACOGENETIC_COEFFICIENTS, iwpc_sqrt_dose
from pgxdl.iwpc.imputation import InputImputer
from pgxdl.iwpc.policy import PREDICTABLE, STABLE_DOSE, select_patients
from pgxdl.iwpc.site_folds import grouped_site_folds, leave_sites_out

RACES = np.array(["White", "Asian", "Black or African American", "Unknown"])


def _features(n: int, seed: int = 0) -> pd.DataFrame:
    """A derive_features-like frame of ``n`` random patients (no missing value)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age_decade": rng.integers(3, 9, n).astype(float),
        "height_cm": rng.normal(168, 10, n), "weight_kg": rng.normal(78, 15, n),
        "gender": rng.choice(["male", "female", "unknown"], n), "race": rng.choice(RACES, n),
        "vkorc1": rng.choice(["G/G", "A/G", "A/A", "unknown"], n),
        "cyp2c9": rng.choice(["*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3", "other",
                              "unknown"], n),
        "enzyme_inducer": (rng.random(n) < 0.05).astype(float),
        "amiodarone": (rng.random(n) < 0.1).astype(float),
        "smoker": (rng.random(n) < 0.2).astype(float)})


def test_imputed_height_is_the_least_squares_prediction_from_the_other_inputs():
    train = _features(300, seed=1)
    train["height_cm"] += 0.4 * (train["weight_kg"] - 78)
    train.loc[train.index[:40], "height_cm"] = np.nan
    imputer = InputImputer(estimator=LinearRegression()).fit(train)
    filled = imputer.transform(train)
    complete = train["height_cm"].notna().to_numpy()
    design = np.column_stack([
        np.ones(len(train)), train["age_decade"], train["weight_kg"],
        *[(train["gender"] == s).to_numpy(float) for s in ("male", "female")],
        *[(train["race"] == r).to_numpy(float) for r in RACES[1:]]])
    coef = np.linalg.lstsq(design[complete], train["height_cm"][complete], rcond=None)[0]
    expected = np.clip(design[~complete] @ coef, train["height_cm"].min(),
                       train["height_cm"].max())
    np.testing.assert_allclose(filled["height_cm"][~complete], expected, rtol=1e-6)
    np.testing.assert_array_equal(filled["height_cm"][complete], train["height_cm"][complete])
    np.testing.assert_array_equal(filled["height_imputed"], (~complete).astype(float))
    assert filled["weight_imputed"].sum() == 0
    np.testing.assert_array_equal(filled["inputs_imputed"], (~complete).astype(float))


def test_imputer_refuses_an_input_no_training_patient_has():
    train = _features(50)
    train["height_cm"] = np.nan
    with pytest.raises(ValueError, match="height_cm"):
        InputImputer().fit(train)


def test_every_patient_is_predictable_and_stable_dose_is_scored():
    frame = pd.DataFrame({"dose_mg_week": [35.0, np.nan, 0.0, 20.0],
                          "reached_stable_dose": [1.0, 1.0, 1.0, 0.0],
                          "age_decade": [np.nan] * 4, "height_cm": [np.nan] * 4,
                          "weight_kg": [np.nan] * 4})
    assert select_patients(frame, PREDICTABLE)[0].all()
    kept, report = select_patients(frame, STABLE_DOSE)
    np.testing.assert_array_equal(kept, [True, False, False, False])
    assert report.excluded == {"no_therapeutic_dose": 2, "stable_dose_not_reached": 1}


def test_conformal_quantile_is_the_ceil_n_plus_one_rank():
    scores = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6])  # n = 9
    assert conformal_quantile(scores, 0.8) == 0.8  # rank ceil(10 * 0.8) = 8
    assert conformal_quantile(scores, 0.5) == 0.5  # rank 5
    assert math.isinf(conformal_quantile(scores[:3], 0.8))  # rank 4 > 3
    with pytest.raises(ValueError, match="level"):
        conformal_quantile(scores, 1.0)


def test_split_conformal_covers_exchangeable_patients_at_the_promised_rate():
    rng = np.random.default_rng(0)
    n_cal, level, hits = 40, 0.8, []
    for _ in range(3000):
        root = 6 + rng.standard_t(4, n_cal + 1)  # heavy-tailed sqrt doses, pred sqrt = 6
        conformal = SqrtConformal(level).fit(root[:-1] ** 2, np.full(n_cal, 36.0))
        low, high = conformal.interval(np.array([36.0]))[0]
        hits.append(low <= root[-1] ** 2 <= high)
    # Vovk: level <= coverage <= level + 1 / (n + 1); Monte Carlo error ~0.007
    assert level - 0.02 <= np.mean(hits) <= level + 1 / (n_cal + 1) + 0.02


def test_chance_in_range_matches_simulated_sites_with_exact_coverage():
    rng = np.random.default_rng(2)
    n = np.array([100, 104, 300, 828])
    shares = rng.binomial(n, 0.8, size=(20000, len(n))) / n  # sites covered exactly at 80%
    simulated = ((shares >= 0.75) & (shares <= 0.85)).mean(axis=0)
    np.testing.assert_allclose(chance_in_range(n, 0.8, 0.75, 0.85), simulated, atol=0.01)
    assert chance_in_range(np.array([10_000]), 0.8, 0.75, 0.85)[0] > 0.999


def test_mondrian_groups_get_their_own_width_and_small_groups_the_pooled_one():
    rng = np.random.default_rng(1)
    dose = np.r_[rng.normal(6, 0.5, 200), rng.normal(6, 2.0, 200), 6.0 + rng.random(10)] ** 2
    groups = np.r_[np.zeros(200), np.ones(200), np.full(10, 2)].astype(int)
    conformal = SqrtConformal(0.8, min_group=100).fit(dose, np.full(410, 36.0), groups)
    assert conformal.half_widths["1"] > 2.5 * conformal.half_widths["0"]
    assert "2" not in conformal.half_widths
    bounds = conformal.interval(np.full(3, 36.0), np.array([0, 1, 2]))
    widths = bounds[:, 1] - bounds[:, 0]
    assert widths[0] < widths[2] < widths[1]
    coverage = coverage_by_group(dose, conformal.interval(np.full(410, 36.0), groups), groups)
    assert 0.75 < coverage["0"]["coverage"] < 0.86 and coverage["2"]["n"] == 10


def test_site_bootstrap_interval_matches_resampling_whole_sites_by_hand():
    rng = np.random.default_rng(2)
    sites = np.repeat(np.array(list("abcdef")), [30, 50, 20, 40, 25, 35])
    shift = dict(zip("abcdef", [0, 5, -4, 3, 8, -2], strict=True))
    true = rng.uniform(15, 60, len(sites))
    pred = true + rng.normal(0, 4, len(sites)) + np.array([shift[s] for s in sites])
    report = evaluate_doses(true, pred, n_boot=400, seed=3, clusters=sites)
    draws = np.random.default_rng(3).integers(0, 6, size=(400, 6))
    labels = np.unique(sites)
    by_hand = [np.mean(np.abs(np.concatenate(
        [pred[sites == labels[k]] - true[sites == labels[k]] for k in draw]))) for draw in draws]
    np.testing.assert_allclose(report["metrics"]["mae"]["ci"],
                               np.percentile(by_hand, [2.5, 97.5]), rtol=1e-9)
    patients = evaluate_doses(true, pred, n_boot=400, seed=3)
    width = np.diff(report["metrics"]["mae"]["ci"])[0]
    assert width > 2 * np.diff(patients["metrics"]["mae"]["ci"])[0]
    assert report["resampled"] == "clusters" and patients["resampled"] == "patients"


def test_one_patient_per_cluster_is_the_patient_bootstrap():
    rng = np.random.default_rng(4)
    true, pred = rng.uniform(10, 50, 80), rng.uniform(10, 50, 80)
    reference = rng.uniform(10, 50, 80)
    assert np.array_equal(resample_counts(80, 5, np.random.default_rng(0), np.arange(80)),
                          resample_counts(80, 5, np.random.default_rng(0)))
    clustered = paired_difference(true, pred, reference, n_boot=200, clusters=np.arange(80))
    plain = paired_difference(true, pred, reference, n_boot=200)
    assert clustered["mae"]["ci"] == plain["mae"]["ci"]


def test_leave_sites_out_holds_out_every_site_once_per_repeat():
    sites = np.repeat([f"s{i}" for i in range(7)], 5)
    folds = list(leave_sites_out(sites))
    assert len(folds) == 7
    for _, train, test in folds:
        assert len(set(sites[test])) == 1 and not set(sites[train]) & set(sites[test])
    several = list(leave_sites_out(sites, per_fold=3, repeats=2, seed=1))
    for repeat in (0, 1):
        tests = [set(sites[test]) for r, _, test in several if r == repeat]
        assert sorted(len(t) for t in tests) == [3, 4]
        assert set.union(*tests) == set(sites) and sum(map(len, tests)) == 7
    with pytest.raises(ValueError, match="cannot hold out"):
        next(leave_sites_out(sites[:10], per_fold=2))


def test_grouped_site_folds_never_split_a_site_and_balance_sizes():
    sites = np.repeat(list("abcdefgh"), [50, 40, 30, 30, 20, 20, 10, 10])
    folds = grouped_site_folds(sites, n_folds=3)
    assert sorted(np.concatenate([test for _, test in folds])) == list(range(len(sites)))
    for train, test in folds:
        assert not set(sites[train]) & set(sites[test])
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 20
    with pytest.raises(ValueError, match="at least 2"):
        grouped_site_folds(np.array(["a", "a"]))


def test_refit_formula_recovers_the_published_coefficients_without_noise():
    features = _features(400, seed=5)
    dose = np.square(iwpc_sqrt_dose(features))
    refit = RefitFormula().fit(features, dose)
    expected = [PHARMACOGENETIC_COEFFICIENTS[t] for t in PHARMACOGENETIC_COEFFICIENTS
                if t != "intercept"]
    np.testing.assert_allclose(refit.model_.coef_, expected, atol=1e-8)
    np.testing.assert_allclose(refit.predict(features), dose, rtol=1e-9)


def test_random_intercept_is_the_gls_estimate_and_predicts_the_marginal_dose():
    features = _features(600, seed=6)
    sites = np.repeat(np.arange(12).astype(str), 50)
    rng = np.random.default_rng(6)
    effects = rng.normal(0, 0.4, 12)
    root = iwpc_sqrt_dose(features) + effects[sites.astype(int)] + rng.normal(0, 0.3, 600)
    model = RandomIntercept().fit(features, np.square(root), sites)
    design = np.column_stack([np.ones(600), formula_terms(features)])
    onehot = (sites[:, None] == np.unique(sites)[None, :]).astype(float)
    covariance = np.eye(600) + onehot @ onehot.T / model.variance_ratio_  # V / sigma_e^2
    inverse = np.linalg.inv(covariance)
    gls = np.linalg.solve(design.T @ inverse @ design, design.T @ inverse @ root)
    np.testing.assert_allclose(model.coef_, gls, atol=1e-8)
    np.testing.assert_allclose(model.coef_[1:], list(PHARMACOGENETIC_COEFFICIENTS.values())[1:],
                               atol=0.1)
    np.testing.assert_allclose(model.predict_sqrt(features), design @ model.coef_)
    with pytest.raises(ValueError, match="sites"):
        RandomIntercept().fit(features, np.square(root))


def test_anchored_model_shrinks_to_the_published_formula():
    features = _features(300, seed=7)
    dose = np.square(iwpc_sqrt_dose(features) + 0.5 * features["smoker"]
                     + np.random.default_rng(7).normal(0, 0.3, 300))
    published = PublishedFormula().predict(features)
    rigid = AnchoredFormula(alpha=1e9, extras=("smoker",)).fit(features, dose)
    np.testing.assert_allclose(rigid.predict(features), published, rtol=1e-5)
    free = AnchoredFormula(alpha=1e-3, extras=("smoker",), terms=False).fit(features, dose)
    # the correction acts on the standardised input: its slope per smoker is coef / sd
    assert free.model_.coef_[0] / free.scale_[0] == pytest.approx(0.5, abs=0.1)


def test_monotone_gbm_keeps_the_pharmacological_signs():
    features = _features(500, seed=8)
    features["vkorc1"] = np.random.default_rng(8).choice(["G/G", "A/G", "A/A"], 500)
    noise = np.random.default_rng(9).normal(0, 0.6, 500)
    dose = np.square(iwpc_sqrt_dose(features) + noise)
    model = MonotoneGBM(max_iter=50).fit(features, dose)
    patient = features.iloc[[0] * 6].copy()
    patient["age_decade"] = np.arange(3, 9, dtype=float)
    assert np.all(np.diff(model.predict(patient)) <= 1e-9)
    patient = features.iloc[[1] * 3].copy()
    patient["vkorc1"] = ["G/G", "A/G", "A/A"]
    assert np.all(np.diff(model.predict(patient)) <= 1e-9)


def test_forward_selection_keeps_the_input_that_helps_out_of_site_and_drops_noise():
    features = _features(600, seed=10)
    rng = np.random.default_rng(10)
    features["noise"] = rng.normal(size=600)
    dose = np.square(iwpc_sqrt_dose(features) + 0.6 * features["smoker"]
                     + rng.normal(0, 0.2, 600))
    sites = np.repeat(np.arange(6).astype(str), 100)
    model = ForwardSelectedAnchor(alpha=1.0, groups={"smoker": ("smoker",),
                                                     "noise": ("noise",)})
    model.fit(features, dose, sites)
    assert model.selected_ == ("smoker",)
    assert np.mean(np.abs(model.predict(features) - dose)) < np.mean(
        np.abs(PublishedFormula().predict(features) - dose))
