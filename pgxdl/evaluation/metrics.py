"""Metric functions, vectorised over bootstrap resamples.

Every metric takes a dict of arrays whose first axis ``B`` indexes resamples (``B = 1`` for
the point estimate) and whose second axis ``N`` indexes observations, and returns ``(B,)``:

``target``  ``(B, N)``     observed value (regression), 0/1 label (binary), class (multiclass)
``pred``    ``(B, N)``     predicted mean (regression), predicted class (binary, multiclass)
``prob``    ``(B, N)``     predicted P(y = 1) (binary) or ``(B, N, K)`` class probabilities
``std``     ``(B, N)``     predicted standard deviation (heteroscedastic regression only)

A metric that is undefined on a resample (e.g. AUROC with one class present) gives NaN.
:data:`METRICS_BY_KIND` lists which metrics apply to each task kind; regression metrics
that need ``std`` are in :data:`INTERVAL_METRICS`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import norm, rankdata

Arrays = dict[str, np.ndarray]
MetricFn = Callable[[Arrays], np.ndarray]

#: Central probability of the prediction interval whose coverage is reported.
INTERVAL_LEVEL = 0.9
#: Equal-width probability bins of the expected calibration error.
CALIBRATION_BINS = 10


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1),
                        np.nan)


# -- regression ------------------------------------------------------------------------------
def mae(d: Arrays) -> np.ndarray:
    """Mean absolute error."""
    return np.mean(np.abs(d["pred"] - d["target"]), axis=1)


def rmse(d: Arrays) -> np.ndarray:
    """Root mean squared error."""
    return np.sqrt(np.mean((d["pred"] - d["target"]) ** 2, axis=1))


def r2(d: Arrays) -> np.ndarray:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (NaN for a constant target)."""
    residual = np.sum((d["target"] - d["pred"]) ** 2, axis=1)
    total = np.sum((d["target"] - d["target"].mean(axis=1, keepdims=True)) ** 2, axis=1)
    return 1.0 - _safe_divide(residual, total)


def _correlation(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Pearson correlation of ``(B, N)`` arrays (NaN when a row is constant)."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    return _safe_divide(np.sum(x * y, axis=1),
                        np.sqrt(np.sum(x * x, axis=1) * np.sum(y * y, axis=1)))


def pearson(d: Arrays) -> np.ndarray:
    """Pearson correlation of prediction and target."""
    return _correlation(d["pred"], d["target"])


def spearman(d: Arrays) -> np.ndarray:
    """Spearman rank correlation (average ranks for ties)."""
    return _correlation(rankdata(d["pred"], axis=1), rankdata(d["target"], axis=1))


def interval_coverage(d: Arrays) -> np.ndarray:
    """Fraction of targets inside the central :data:`INTERVAL_LEVEL` Gaussian interval."""
    z = norm.ppf(0.5 + INTERVAL_LEVEL / 2)
    return np.mean(np.abs(d["target"] - d["pred"]) <= z * d["std"], axis=1)


def gaussian_nll(d: Arrays) -> np.ndarray:
    """Mean Gaussian negative log-likelihood of the targets (nats, constant included)."""
    var = d["std"] ** 2
    return np.mean(0.5 * (np.log(2 * np.pi * var) + (d["target"] - d["pred"]) ** 2 / var),
                   axis=1)


# -- binary ----------------------------------------------------------------------------------
def _auroc(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Row-wise AUROC by the Mann-Whitney rank sum (ties count one half)."""
    positives = labels.sum(axis=1)
    negatives = labels.shape[1] - positives
    rank_sum = np.sum(rankdata(scores, axis=1) * labels, axis=1)
    return _safe_divide(rank_sum - positives * (positives + 1) / 2, positives * negatives)


def auroc(d: Arrays) -> np.ndarray:
    """Area under the ROC curve of ``prob`` for the positive class."""
    return _auroc(d["target"].astype(bool), d["prob"])


def auprc(d: Arrays) -> np.ndarray:
    """Average precision, ``sum_k (R_k - R_{k-1}) P_k`` over distinct thresholds.

    Equal scores form one threshold, as in :func:`sklearn.metrics.average_precision_score`.
    """
    order = np.argsort(-d["prob"], axis=1, kind="stable")
    scores = np.take_along_axis(d["prob"], order, axis=1)
    labels = np.take_along_axis(d["target"].astype(bool), order, axis=1)
    n = scores.shape[1]
    true_positives = np.cumsum(labels, axis=1)
    precision = true_positives / np.arange(1, n + 1)
    # every position takes the precision at the end of its run of equal scores
    run_end = np.ones_like(labels)
    run_end[:, :-1] = scores[:, 1:] != scores[:, :-1]
    end_index = np.where(run_end, np.arange(n), n)
    next_end = np.minimum.accumulate(end_index[:, ::-1], axis=1)[:, ::-1]
    precision_at_run = np.take_along_axis(precision, next_end, axis=1)
    return _safe_divide(np.sum(precision_at_run * labels, axis=1), labels.sum(axis=1))


def binary_accuracy(d: Arrays) -> np.ndarray:
    """Fraction of correct labels at the 0.5 threshold."""
    return np.mean((d["prob"] >= 0.5) == d["target"].astype(bool), axis=1)


def brier(d: Arrays) -> np.ndarray:
    """Mean squared difference between ``prob`` and the 0/1 label."""
    return np.mean((d["prob"] - d["target"]) ** 2, axis=1)


def calibration_bins(prob: np.ndarray, n_bins: int = CALIBRATION_BINS) -> np.ndarray:
    """Equal-width, left-closed bin index in ``[0, n_bins)`` of each probability.

    Bin ``b`` holds ``[b / n_bins, (b + 1) / n_bins)``; 1.0 falls in the last bin.
    """
    return np.clip(np.floor(prob * n_bins).astype(np.int64), 0, n_bins - 1)


def expected_calibration_error(d: Arrays) -> np.ndarray:
    """``sum_b n_b / N * |mean label_b - mean prob_b|`` over equal-width probability bins."""
    b, n = d["prob"].shape
    flat = (np.arange(b)[:, None] * CALIBRATION_BINS + calibration_bins(d["prob"])).ravel()
    size = b * CALIBRATION_BINS
    labels = np.bincount(flat, weights=d["target"].ravel().astype(float), minlength=size)
    probs = np.bincount(flat, weights=d["prob"].ravel(), minlength=size)
    return np.abs(labels - probs).reshape(b, CALIBRATION_BINS).sum(axis=1) / n


# -- multiclass ------------------------------------------------------------------------------
def multiclass_accuracy(d: Arrays) -> np.ndarray:
    """Fraction of observations whose predicted class is the observed one."""
    return np.mean(d["pred"] == d["target"], axis=1)


def balanced_accuracy(d: Arrays) -> np.ndarray:
    """Mean recall over the classes present in the target."""
    n_classes = d["prob"].shape[2]
    target = d["target"].astype(np.int64)
    recalls = []
    for k in range(n_classes):
        is_k = target == k
        recalls.append(_safe_divide(np.sum(is_k & (d["pred"] == k), axis=1), is_k.sum(axis=1)))
    return np.nanmean(np.stack(recalls, axis=1), axis=1)


def macro_auroc(d: Arrays) -> np.ndarray:
    """Unweighted mean of one-vs-rest AUROCs (NaN unless every class is present)."""
    target = d["target"].astype(np.int64)
    per_class = [_auroc(target == k, d["prob"][..., k]) for k in range(d["prob"].shape[2])]
    return np.mean(np.stack(per_class, axis=1), axis=1)


METRICS_BY_KIND: dict[str, dict[str, MetricFn]] = {
    "regression": {"mae": mae, "rmse": rmse, "r2": r2, "pearson": pearson,
                   "spearman": spearman},
    "binary": {"auroc": auroc, "auprc": auprc, "accuracy": binary_accuracy, "brier": brier,
               "ece": expected_calibration_error},
    "multiclass": {"accuracy": multiclass_accuracy, "macro_auroc": macro_auroc,
                   "balanced_accuracy": balanced_accuracy},
}

#: Regression metrics of a heteroscedastic head (they need ``std``).
INTERVAL_METRICS: dict[str, MetricFn] = {"coverage_90": interval_coverage,
                                         "nll": gaussian_nll}

#: The metric each plot and summary shows first for a task kind.
HEADLINE_METRIC = {"regression": "mae", "binary": "auroc", "multiclass": "accuracy"}


def metrics_for(kind: str, has_std: bool = False) -> dict[str, MetricFn]:
    """The metrics of a task of ``kind`` (with the interval metrics when ``has_std``)."""
    if kind not in METRICS_BY_KIND:
        raise ValueError(f"unknown task kind {kind!r}; expected one of {sorted(METRICS_BY_KIND)}")
    extra = INTERVAL_METRICS if kind == "regression" and has_std else {}
    return {**METRICS_BY_KIND[kind], **extra}
