"""Dose metrics against scikit-learn and plain loops; bootstrap CIs against a weighted loop."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score

from pgxdl.evaluation.bootstrap import resample_counts
from pgxdl.iwpc.dose_metrics import (
    METRICS,
    band_accuracy,
    dose_band,
    evaluate_doses,
    mae,
    paired_difference,
    pw20,
    r2,
)


@pytest.fixture
def doses():
    rng = np.random.default_rng(3)
    true = rng.lognormal(np.log(30), 0.5, size=300)
    pred = true * rng.lognormal(0, 0.3, size=300)
    return true, pred


def _point(metric, true, pred):
    return float(metric({"target": true, "pred": pred}, np.ones((1, len(true))))[0])


def _band_by_hand(dose):
    return [0 if d < 21 else (2 if d > 49 else 1) for d in dose]


def test_mae_and_r2_match_sklearn(doses):
    true, pred = doses
    assert _point(mae, true, pred) == pytest.approx(mean_absolute_error(true, pred), rel=1e-12)
    assert _point(r2, true, pred) == pytest.approx(r2_score(true, pred), rel=1e-10)


def test_pw20_and_band_accuracy_match_loops(doses):
    true, pred = doses
    within = [abs(p - t) <= 0.2 * t for t, p in zip(true, pred, strict=True)]
    assert _point(pw20, true, pred) == pytest.approx(100 * sum(within) / len(true))
    expected = 100 * accuracy_score(_band_by_hand(true), _band_by_hand(pred))
    assert _point(band_accuracy, true, pred) == pytest.approx(expected)


def test_band_edges_and_pw20_boundary():
    np.testing.assert_array_equal(dose_band([20.99, 21.0, 35.0, 49.0, 49.01]), [0, 1, 1, 1, 2])
    assert _point(pw20, np.array([50.0, 50.0]), np.array([60.0, 60.5])) == 50.0  # 20% is in


def test_weights_are_resample_counts(doses):
    true, pred = doses
    counts = resample_counts(len(true), 4, np.random.default_rng(0))  # (4, N)
    for name, metric in METRICS.items():
        batched = metric({"target": true, "pred": pred}, counts)
        assert batched.shape == (4,)
        drawn = np.repeat(np.arange(len(true)), counts[2].astype(int))
        assert batched[2] == pytest.approx(_point(metric, true[drawn], pred[drawn])), name


def test_bootstrap_interval_matches_a_weighted_loop(doses):
    true, pred = doses
    report = evaluate_doses(true, pred, n_boot=200, seed=11, chunk=64)
    rng = np.random.default_rng(11)
    draws = [mean_absolute_error(true, pred, sample_weight=row)  # same seeded draws, 64 at once
             for size in (64, 64, 64, 8) for row in resample_counts(len(true), size, rng)]
    low, high = np.percentile(draws, [2.5, 97.5])
    assert report["metrics"]["mae"]["ci"] == pytest.approx([low, high], rel=1e-12)
    assert low < report["metrics"]["mae"]["value"] < high
    assert evaluate_doses(true, pred, n_boot=200, seed=11, chunk=64) == report


def test_repeats_are_averaged_and_subgroups_scored_apart(doses):
    true, pred = doses
    preds = np.stack([pred, pred * 0.9])
    group = np.where(np.arange(len(true)) % 3 == 0, "a", "b")
    report = evaluate_doses(true, preds, {"site": group}, n_boot=50, seed=0)
    expected = np.mean([mean_absolute_error(true, p) for p in preds])
    assert report["metrics"]["mae"]["value"] == pytest.approx(expected)
    spread = np.std([r2_score(true, p) for p in preds], ddof=1)
    assert report["metrics"]["r2"]["sd_over_repeats"] == pytest.approx(spread)
    part = report["subgroups"]["site"]["a"]
    assert part["n"] == int(np.sum(group == "a"))
    expected_a = np.mean([r2_score(true[group == "a"], p[group == "a"]) for p in preds])
    assert part["metrics"]["r2"]["value"] == pytest.approx(expected_a)


def test_bad_inputs_are_refused(doses):
    true, pred = doses
    with pytest.raises(ValueError, match="not positive"):
        evaluate_doses(np.r_[true[:-1], 0.0], pred)
    with pytest.raises(ValueError, match="not finite"):
        evaluate_doses(true, np.r_[pred[:-1], np.nan])
    with pytest.raises(ValueError, match=r"got \(300,\) and \(1, 299\)"):
        evaluate_doses(true, pred[:-1])
    with pytest.raises(ValueError, match="subgroup 'race'"):
        evaluate_doses(true, pred, {"race": np.zeros(3)})


def test_paired_difference_is_the_difference_on_each_resample(doses):
    true, pred = doses
    better = true + 0.5 * (pred - true)  # halves every error
    paired = paired_difference(true, better, pred, n_boot=200, seed=5, chunk=64)
    assert paired["mae"]["value"] == pytest.approx(
        mean_absolute_error(true, better) - mean_absolute_error(true, pred))
    rng = np.random.default_rng(5)
    draws = [mean_absolute_error(true, better, sample_weight=row)
             - mean_absolute_error(true, pred, sample_weight=row)
             for size in (64, 64, 64, 8) for row in resample_counts(len(true), size, rng)]
    assert paired["mae"]["ci"] == pytest.approx(np.percentile(draws, [2.5, 97.5]), rel=1e-10)
    assert paired["mae"]["ci"][1] < 0 < paired["pw20"]["ci"][0]  # clearly better, paired
    close = true + 0.9 * (pred - true) + np.random.default_rng(1).normal(0, 0.5, len(true))
    paired = paired_difference(true, close, pred, n_boot=200)["mae"]["ci"]
    separate = evaluate_doses(true, close, n_boot=200)["metrics"]["mae"]["ci"]
    assert np.diff(paired) < 0.5 * np.diff(separate)  # correlated errors: pairing narrows
    same = paired_difference(true, pred, np.stack([pred, pred]), n_boot=20)
    assert all(abs(score["value"]) < 1e-9 for score in same.values())
    with pytest.raises(ValueError, match="N = 300"):
        paired_difference(true, pred[:-1], pred)
