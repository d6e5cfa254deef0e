"""Metric functions over weighted observations, vectorised over bootstrap resamples.

A bootstrap resample is the original observations, each counted as often as it was drawn.
So every metric takes the original data and a ``(B, N)`` matrix ``w`` of counts (``B``
resamples, ``N`` observations; ``w = 1`` for the point estimate) and returns ``(B,)``.
Metrics that rank (Spearman, AUROC, average precision) sort the data once, not once per
resample. The data dict holds:

``target``  ``(N,)``     observed value (regression), 0/1 label (binary), class (multiclass)
``pred``    ``(N,)``     predicted value (regression), 0/1 (binary) or class (multiclass)
``prob``    ``(N,)``     predicted P(y = 1) (binary) or ``(N, K)`` class probabilities
``std``     ``(N,)``     predicted standard deviation (heteroscedastic regression only)
``low``, ``high`` ``(N,)`` central :data:`INTERVAL_LEVEL` prediction interval (idem)

All values are in the task's reported units (after the inverse of its target transform).
Which metrics a task reports, and under which names, is decided by its kind
(:mod:`pgxdl.tasks`); the functions here only compute.

A metric that is undefined on a resample (e.g. AUROC with one class present) gives NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Arrays = dict[str, np.ndarray]
MetricFn = Callable[[Arrays, np.ndarray], np.ndarray]

#: Central probability of the prediction interval whose coverage is reported.
INTERVAL_LEVEL = 0.9
#: Equal-width probability bins of the expected calibration error.
CALIBRATION_BINS = 10


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


def weighted_mean(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``(B,)`` weighted means of ``values (N,)`` under weights ``w (B, N)``."""
    return _safe_divide(w @ values, w.sum(axis=1))


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort ``values (N,)``: ``order (N,)``, start of each run of equal values ``(U,)``,
    and the run index of every observation ``(N,)`` (in the original order)."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    run_of_sorted = np.cumsum(np.concatenate([[True], ordered[1:] != ordered[:-1]])) - 1
    run = np.empty_like(run_of_sorted)
    run[order] = run_of_sorted
    return order, starts, run


def weighted_ranks(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``(B, N)`` average ranks (1-based, ties share their mean rank) of each observation
    within each resample, where observation ``i`` occurs ``w[b, i]`` times."""
    order, starts, run = _runs(values)
    per_run = np.add.reduceat(w[:, order], starts, axis=1)  # (B, U)
    below = np.cumsum(per_run, axis=1) - per_run
    return (below + (per_run + 1) / 2)[:, run]


def _weighted_correlation(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Pearson correlation per resample; ``x``, ``y`` ``(N,)`` or ``(B, N)``."""
    total = w.sum(axis=1, keepdims=True)
    x = x - _safe_divide(np.sum(w * x, axis=1, keepdims=True), total)
    y = y - _safe_divide(np.sum(w * y, axis=1, keepdims=True), total)
    return _safe_divide(np.sum(w * x * y, axis=1),
                        np.sqrt(np.sum(w * x * x, axis=1) * np.sum(w * y * y, axis=1)))


# -- regression ------------------------------------------------------------------------------
def mae(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Mean absolute error."""
    return weighted_mean(np.abs(d["pred"] - d["target"]), w)


def rmse(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Root mean squared error."""
    return np.sqrt(weighted_mean((d["pred"] - d["target"]) ** 2, w))


def r2(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (NaN for a constant target)."""
    target = d["target"] - d["target"].mean()  # centred once, for numerical stability
    spread = target - weighted_mean(target, w)[:, None]  # (B, N)
    total = np.sum(w * spread ** 2, axis=1)
    constant = total <= 1e-12 * (w @ target ** 2)  # all drawn targets equal, up to rounding
    return 1.0 - _safe_divide(w @ (d["target"] - d["pred"]) ** 2, np.where(constant, 0, total))


def pearson(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Pearson correlation of prediction and target."""
    return _weighted_correlation(d["pred"], d["target"], w)


def spearman(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Spearman rank correlation (average ranks for ties)."""
    return _weighted_correlation(weighted_ranks(d["pred"], w), weighted_ranks(d["target"], w),
                                 w)


def within_20_percent(d: Arrays, w: np.ndarray) -> np.ndarray:
    """PW20: fraction of predictions within 20% of the observed (positive) value."""
    return weighted_mean((np.abs(d["pred"] - d["target"]) <= 0.2 * d["target"]).astype(float),
                         w)


def interval_coverage(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Fraction of targets inside the predicted interval ``[low, high]``."""
    inside = (d["target"] >= d["low"]) & (d["target"] <= d["high"])
    return weighted_mean(inside.astype(float), w)


def gaussian_nll(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Mean Gaussian negative log-likelihood of the targets (nats, constant included)."""
    var = d["std"] ** 2
    return weighted_mean(0.5 * (np.log(2 * np.pi * var) + (d["target"] - d["pred"]) ** 2 / var),
                         w)


# -- binary ----------------------------------------------------------------------------------
def _auroc(labels: np.ndarray, scores: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUROC per resample by the Mann-Whitney rank sum (ties count one half)."""
    labels = labels.astype(float)
    positives = w @ labels
    negatives = w.sum(axis=1) - positives
    rank_sum = np.sum(w * weighted_ranks(scores, w) * labels, axis=1)
    return _safe_divide(rank_sum - positives * (positives + 1) / 2, positives * negatives)


def auroc(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Area under the ROC curve of ``prob`` for the positive class."""
    return _auroc(d["target"], d["prob"], w)


def auprc(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Average precision, ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds.

    Equal scores form one threshold, as in :func:`sklearn.metrics.average_precision_score`.
    """
    order, starts, _ = _runs(-d["prob"])  # descending scores
    weights = w[:, order]
    hits = np.add.reduceat(weights * d["target"][order], starts, axis=1)  # (B, U)
    seen = np.cumsum(np.add.reduceat(weights, starts, axis=1), axis=1)
    precision = _safe_divide(np.cumsum(hits, axis=1), seen)
    return _safe_divide(np.sum(hits * np.nan_to_num(precision), axis=1), hits.sum(axis=1))


def binary_accuracy(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Fraction of correct labels at the 0.5 threshold."""
    return weighted_mean(((d["prob"] >= 0.5) == d["target"].astype(bool)).astype(float), w)


def brier(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Mean squared difference between ``prob`` and the 0/1 label."""
    return weighted_mean((d["prob"] - d["target"]) ** 2, w)


def calibration_bins(prob: np.ndarray, n_bins: int = CALIBRATION_BINS) -> np.ndarray:
    """Equal-width, left-closed bin index in ``[0, n_bins)`` of each probability.

    Bin ``b`` holds ``[b / n_bins, (b + 1) / n_bins)``; 1.0 falls in the last bin.
    """
    return np.clip(np.floor(prob * n_bins).astype(np.int64), 0, n_bins - 1)


def _calibration_gap(confidence: np.ndarray, outcome: np.ndarray, w: np.ndarray
                     ) -> np.ndarray:
    """``sum_b n_b / N * |mean outcome_b - mean confidence_b|`` over equal-width bins."""
    in_bin = np.eye(CALIBRATION_BINS)[calibration_bins(confidence)]  # (N, bins)
    gap = (outcome - confidence)[:, None] * in_bin
    return _safe_divide(np.abs(w @ gap).sum(axis=1), w.sum(axis=1))


def expected_calibration_error(d: Arrays, w: np.ndarray) -> np.ndarray:
    """ECE of ``prob`` = P(y = 1) against the 0/1 label, equal-width probability bins."""
    return _calibration_gap(d["prob"], d["target"].astype(float), w)


# -- multiclass ------------------------------------------------------------------------------
def multiclass_accuracy(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Fraction of observations whose predicted class is the observed one."""
    return weighted_mean((d["pred"] == d["target"]).astype(float), w)


def balanced_accuracy(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in the target."""
    classes = np.arange(d["prob"].shape[1])
    is_class = (d["target"][:, None] == classes).astype(float)  # (N, K)
    correct = is_class * (d["pred"] == d["target"])[:, None]
    recalls = _safe_divide(w @ correct, w @ is_class)  # (B, K), NaN for absent classes
    present = np.isfinite(recalls)
    return _safe_divide(np.where(present, recalls, 0).sum(axis=1), present.sum(axis=1))


def top_label_calibration_error(d: Arrays, w: np.ndarray) -> np.ndarray:
    """ECE of the top-label confidence ``max_k prob`` against ``pred == target``."""
    confidence = d["prob"].max(axis=1)
    return _calibration_gap(confidence, (d["pred"] == d["target"]).astype(float), w)


def macro_auroc(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Unweighted mean of one-vs-rest AUROCs (NaN unless every class is present)."""
    per_class = [_auroc(d["target"] == k, d["prob"][:, k], w)
                 for k in range(d["prob"].shape[1])]
    return np.mean(np.stack(per_class, axis=1), axis=1)
