"""Evaluation metrics against sklearn / scipy / torchmetrics, and bootstrap behaviour."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn import metrics as skm
from torchmetrics.classification import BinaryCalibrationError, MulticlassCalibrationError

from pgxdl.data.spec import TaskSpec
from pgxdl.evaluation.bootstrap import bootstrap_metrics, resample_counts
from pgxdl.tasks import metrics as M
from pgxdl.tasks import task_kind


def one(fn, **arrays) -> float:
    """A metric on one (un-resampled) set of observations: every weight 1."""
    n = len(arrays["target"])
    return float(fn({k: np.asarray(v) for k, v in arrays.items()}, np.ones((1, n)))[0])


@pytest.fixture
def regression():
    rng = np.random.default_rng(1)
    target = rng.normal(30, 10, 300)
    pred = target + rng.normal(0, 5, 300)
    std = rng.uniform(2, 8, 300)
    return target, pred, std


@pytest.fixture
def binary():
    rng = np.random.default_rng(2)
    target = rng.integers(0, 2, 400)
    prob = 0.3 * target + rng.uniform(0, 0.6, 400)
    prob[:50] = np.round(prob[:50], 1) + 0.05  # ties, away from the calibration bin edges
    return target, prob


def test_regression_metrics_match_sklearn_and_scipy(regression):
    target, pred, std = regression
    kw = {"target": target, "pred": pred}
    assert one(M.mae, **kw) == pytest.approx(skm.mean_absolute_error(target, pred))
    assert one(M.rmse, **kw) == pytest.approx(np.sqrt(skm.mean_squared_error(target, pred)))
    assert one(M.r2, **kw) == pytest.approx(skm.r2_score(target, pred))
    assert one(M.pearson, **kw) == pytest.approx(stats.pearsonr(pred, target)[0])
    tied = np.round(pred / 5)  # many ties: average ranks
    assert one(M.spearman, target=target, pred=tied) == pytest.approx(
        stats.spearmanr(tied, target)[0])
    nll = -np.mean(stats.norm.logpdf(target, pred, std))
    assert one(M.gaussian_nll, std=std, **kw) == pytest.approx(nll)
    low, high = stats.norm.interval(0.9, pred, std)
    covered = np.mean((target >= low) & (target <= high))
    assert one(M.interval_coverage, low=low, high=high, **kw) == pytest.approx(covered)
    within = np.mean(np.abs(pred - target) / target <= 0.2)
    assert one(M.within_20_percent, **kw) == pytest.approx(within)


def test_binary_metrics_match_sklearn_and_torchmetrics(binary):
    target, prob = binary
    kw = {"target": target, "prob": prob}
    assert one(M.auroc, **kw) == pytest.approx(skm.roc_auc_score(target, prob))
    assert one(M.auprc, **kw) == pytest.approx(skm.average_precision_score(target, prob))
    assert one(M.binary_accuracy, **kw) == pytest.approx(
        skm.accuracy_score(target, prob >= 0.5))
    assert one(M.brier, **kw) == pytest.approx(skm.brier_score_loss(target, prob))
    ece = BinaryCalibrationError(n_bins=M.CALIBRATION_BINS, norm="l1")(
        torch.tensor(prob, dtype=torch.float64), torch.tensor(target))
    assert one(M.expected_calibration_error, **kw) == pytest.approx(float(ece), abs=1e-6)


def test_multiclass_metrics_match_sklearn():
    rng = np.random.default_rng(3)
    target = rng.integers(0, 3, 300)
    logits = rng.normal(0, 1, (300, 3))
    logits[np.arange(300), target] += 1.0
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = prob.argmax(axis=1)
    kw = {"target": target, "pred": pred, "prob": prob}
    assert one(M.multiclass_accuracy, **kw) == pytest.approx(skm.accuracy_score(target, pred))
    assert one(M.balanced_accuracy, **kw) == pytest.approx(
        skm.balanced_accuracy_score(target, pred))
    assert one(M.macro_auroc, **kw) == pytest.approx(
        skm.roc_auc_score(target, prob, multi_class="ovr", average="macro"))
    ece = MulticlassCalibrationError(num_classes=3, n_bins=M.CALIBRATION_BINS, norm="l1")(
        torch.tensor(prob, dtype=torch.float64), torch.tensor(target))
    assert one(M.top_label_calibration_error, **kw) == pytest.approx(float(ece), abs=1e-6)


def test_undefined_metrics_are_nan():
    assert np.isnan(one(M.auroc, target=np.ones(5), prob=np.linspace(0, 1, 5)))
    assert np.isnan(one(M.r2, target=np.ones(5), pred=np.arange(5.0)))
    with pytest.raises(ValueError, match="unknown kind 'ordinal'; registered kinds"):
        task_kind(TaskSpec("grade", "ordinal"))


def test_bootstrap_is_seeded_and_contains_the_point_estimate(regression):
    target, pred, _ = regression
    data = {"target": target, "pred": pred}
    chosen = {"mae": M.mae, "r2": M.r2}
    first = bootstrap_metrics(data, chosen, n_boot=300, seed=7)
    again = bootstrap_metrics(data, chosen, n_boot=300, seed=7, chunk=64)
    other = bootstrap_metrics(data, chosen, n_boot=300, seed=8)
    assert first == again
    assert first["mae"]["ci"] != other["mae"]["ci"]
    for name, metric in chosen.items():
        value = one(metric, **data)
        low, high = first[name]["ci"]
        assert low < value < high == pytest.approx(high)
        assert first[name]["value"] == value
        assert first[name]["n_boot_valid"] == 300


def test_bootstrap_interval_shrinks_with_n_and_matches_the_standard_error():
    rng = np.random.default_rng(4)
    widths = []
    for n in (100, 1600):
        target, pred = rng.normal(0, 1, n), np.zeros(n)
        ci = bootstrap_metrics({"target": target, "pred": pred}, {"mae": M.mae}, 2000,
                               seed=0)["mae"]["ci"]
        widths.append(ci[1] - ci[0])
        # MAE of N(0, 1) errors: sd of |e| is sqrt(1 - 2/pi); 95% width ~ 2 * 1.96 * se
        expected = 2 * 1.96 * np.sqrt((1 - 2 / np.pi) / n)
        assert ci[1] - ci[0] == pytest.approx(expected, rel=0.15)
    assert widths[1] < widths[0] / 3


def test_bootstrap_drops_undefined_resamples_and_checks_input():
    target = np.array([0, 0, 0, 0, 0, 0, 0, 1])  # many resamples have no positive
    result = bootstrap_metrics({"target": target, "prob": np.linspace(0, 1, 8)},
                               {"auroc": M.auroc}, n_boot=200, seed=0)
    assert 0 < result["auroc"]["n_boot_valid"] < 200
    with pytest.raises(ValueError, match="disagree in length"):
        bootstrap_metrics({"target": np.zeros(3), "pred": np.zeros(4)}, {"mae": M.mae})
    with pytest.raises(ValueError, match="level must be in"):
        bootstrap_metrics({"target": np.zeros(3), "pred": np.zeros(3)}, {"mae": M.mae},
                          level=95)


def test_resample_weights_equal_explicitly_resampled_data(regression, binary):
    """A metric under resample counts equals the reference metric on the resampled rows."""
    target, pred, _ = regression
    labels, prob = binary
    rng = np.random.default_rng(5)
    for n, check in ((len(target), "regression"), (len(labels), "binary")):
        counts = resample_counts(n, 3, np.random.default_rng(9))
        draws = np.random.default_rng(9).integers(0, n, size=(3, n))
        for b in range(3):
            rows = draws[b]
            assert np.array_equal(np.bincount(rows, minlength=n), counts[b])
            w = counts[b:b + 1]
            if check == "regression":
                tied = np.round(pred / 5)
                d = {"target": target, "pred": tied}
                assert M.spearman(d, w)[0] == pytest.approx(
                    stats.spearmanr(tied[rows], target[rows])[0])
                assert M.r2(d, w)[0] == pytest.approx(skm.r2_score(target[rows], tied[rows]))
            else:
                d = {"target": labels, "prob": prob}
                assert M.auroc(d, w)[0] == pytest.approx(
                    skm.roc_auc_score(labels[rows], prob[rows]))
                assert M.auprc(d, w)[0] == pytest.approx(
                    skm.average_precision_score(labels[rows], prob[rows]))
    three = rng.integers(0, 3, 200)
    probs = rng.dirichlet(np.ones(3), 200)
    d = {"target": three, "pred": probs.argmax(1), "prob": probs}
    w = resample_counts(200, 1, rng)
    rows = np.repeat(np.arange(200), w[0].astype(int))
    assert M.balanced_accuracy(d, w)[0] == pytest.approx(
        skm.balanced_accuracy_score(three[rows], probs[rows].argmax(1)))
    assert M.macro_auroc(d, w)[0] == pytest.approx(
        skm.roc_auc_score(three[rows], probs[rows], multi_class="ovr"))
    ece = BinaryCalibrationError(n_bins=M.CALIBRATION_BINS, norm="l1")(
        torch.tensor(probs[rows, 1]), torch.tensor(three[rows] == 1))
    assert M.expected_calibration_error({"target": (three == 1).astype(float),
                                         "prob": probs[:, 1]}, w)[0] == pytest.approx(float(ece))


def test_cluster_bootstrap_resamples_whole_clusters(regression):
    target, pred, _ = regression
    chosen = {"mae": M.mae, "spearman": M.spearman}
    rows = bootstrap_metrics({"target": target, "pred": pred}, chosen, 300, seed=2)
    # every subject twice (two drugs, same outcome): clusters must give the same interval
    doubled = {"target": np.repeat(target, 2), "pred": np.repeat(pred, 2)}
    subjects = np.repeat(np.arange(len(target)) * 7 + 3, 2)  # any labels
    clustered = bootstrap_metrics(doubled, chosen, 300, seed=2, clusters=subjects)
    naive = bootstrap_metrics(doubled, chosen, 300, seed=2)
    for name in chosen:
        np.testing.assert_allclose(clustered[name]["ci"], rows[name]["ci"])
        naive_width = naive[name]["ci"][1] - naive[name]["ci"][0]
        assert naive_width < 0.85 * (rows[name]["ci"][1] - rows[name]["ci"][0])
