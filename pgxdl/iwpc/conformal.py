"""Split-conformal dose intervals on the square-root scale, and their coverage by group.

The score of a calibration patient is the absolute residual ``|sqrt(dose) - sqrt(pred)|``
(the square root makes the spread of warfarin doses roughly even across dose levels). For
a level ``1 - a`` and ``n`` calibration scores, the interval half-width is the
``ceil((n + 1)(1 - a))``-th smallest score (Vovk et al. 2005; Lei et al. 2018): if a new
patient is exchangeable with the calibration patients, the interval
``[(sqrt(pred) - q)^2, (sqrt(pred) + q)^2]`` (lower end clipped at 0) holds their dose with
probability at least ``1 - a`` and below ``1 - a + 1 / (n + 1)``.

At a new hospital the calibration patients are out-of-site predictions at the training
hospitals (each predicted by a model that did not see its hospital), so the new hospital
is exchangeable with them only as far as hospitals are alike: coverage at any one hospital
is not guaranteed, and is measured per held-out site. With ``groups`` (e.g. whether an
input was imputed) the quantile is taken within each group that has ``min_group``
calibration patients (Mondrian conformal), so patients with imputed inputs get their own,
usually wider, interval; smaller groups use the pooled quantile.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import binom

POOLED = "__pooled__"


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) level)``-th smallest of ``scores (n,)``; ``inf`` when n is too small.

    Raises
    ------
    ValueError
        For a level outside (0, 1) or no scores.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    scores = np.sort(np.asarray(scores, dtype=float))
    if scores.size == 0:
        raise ValueError("no calibration scores")
    rank = math.ceil((scores.size + 1) * level)
    return float(scores[rank - 1]) if rank <= scores.size else math.inf


class SqrtConformal:
    """Split-conformal intervals for weekly doses from square-root residuals.

    Parameters
    ----------
    level : coverage aimed at (0.8 for 80% intervals).
    min_group : calibration patients a group needs for its own quantile.
    """

    def __init__(self, level: float = 0.8, min_group: int = 100):
        self.level, self.min_group = level, min_group
        self.half_widths: dict[str, float] = {}

    def fit(self, dose: np.ndarray, pred: np.ndarray, groups: np.ndarray | None = None
            ) -> SqrtConformal:
        """Calibrate on doses ``(n,)`` and out-of-sample predictions ``(n,)`` (mg/week)."""
        scores = np.abs(np.sqrt(np.asarray(dose, float)) - np.sqrt(np.asarray(pred, float)))
        self.half_widths = {POOLED: conformal_quantile(scores, self.level)}
        if groups is not None:
            groups = np.asarray(groups).astype(str)
            for label in np.unique(groups):
                inside = groups == label
                if inside.sum() >= self.min_group:
                    self.half_widths[label] = conformal_quantile(scores[inside], self.level)
        return self

    def interval(self, pred: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """``(N, 2)`` lower and upper weekly doses around predictions ``pred (N,)``."""
        root = np.sqrt(np.asarray(pred, dtype=float))
        labels = (np.full(len(root), POOLED) if groups is None
                  else np.asarray(groups).astype(str))
        half = np.array([self.half_widths.get(label, self.half_widths[POOLED])
                         for label in labels])
        return np.stack([np.square(np.clip(root - half, 0.0, None)), np.square(root + half)],
                        axis=1)


def coverage_by_group(dose: np.ndarray, intervals: np.ndarray, groups: np.ndarray,
                      min_n: int = 0) -> dict[str, dict]:
    """Per group label: ``n``, ``coverage`` (share of doses inside) and ``median_width``.

    ``dose (N,)``, ``intervals (N, 2)``, ``groups (N,)``; groups under ``min_n`` are left out.
    """
    inside = (dose >= intervals[:, 0]) & (dose <= intervals[:, 1])
    width = intervals[:, 1] - intervals[:, 0]
    groups = np.asarray(groups).astype(str)
    return {str(label): {"n": int(np.sum(groups == label)),
                         "coverage": float(inside[groups == label].mean()),
                         "median_width": float(np.median(width[groups == label]))}
            for label in np.unique(groups) if np.sum(groups == label) >= min_n}


def chance_in_range(n: np.ndarray, level: float, low: float, high: float) -> np.ndarray:
    """Probability that an interval with exact coverage ``level`` covers a share in
    ``[low, high]`` of ``n (S,)`` patients: ``P(low <= Binomial(n, level) / n <= high)``.

    The floor of any per-site coverage target: even an interval calibrated perfectly at each
    site misses the range at a site by sampling noise alone with ``1 -`` this probability.
    """
    n = np.asarray(n, dtype=int)
    most = np.floor(high * n + 1e-9)
    least = np.ceil(low * n - 1e-9)
    return binom.cdf(most, n, level) - binom.cdf(least - 1, n, level)
