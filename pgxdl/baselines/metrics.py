"""Warfarin dose metrics with seeded, vectorised bootstrap confidence intervals, by subgroup too.

Metrics (each reduces the last axis, so one call scores many prediction sets at once):

``mae``            mean absolute error, mg/week;
``pw20``           percentage of patients whose predicted dose is within 20% of the actual
                   dose (``|pred - true| <= 0.2 * true``);
``r2``             coefficient of determination, ``1 - SS_res / SS_tot``;
``band_accuracy``  percentage of patients whose predicted dose falls in the same dose band
                   as the actual dose: low ``< 21``, intermediate ``21-49`` (both ends
                   included), high ``> 49`` mg/week.

:func:`evaluate_doses` scores ``R`` repeated prediction sets of the same patients (e.g. the
out-of-fold predictions of ``R`` seeds): the point value is the mean over repeats; the
confidence interval is the percentile interval of that mean over bootstrap resamples of
patients (the same resample for every repeat). Within a subgroup, patients are resampled
within the subgroup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

#: Dose band edges (mg/week): low < 21 <= intermediate <= 49 < high.
LOW_DOSE_BELOW = 21.0
HIGH_DOSE_ABOVE = 49.0
DOSE_BAND_NAMES = ("low (<21)", "intermediate (21-49)", "high (>49)")


def dose_band(dose: np.ndarray) -> np.ndarray:
    """Band index of each dose: 0 low (< 21), 1 intermediate (21-49), 2 high (> 49)."""
    dose = np.asarray(dose, dtype=float)
    return (dose >= LOW_DOSE_BELOW).astype(np.int8) + (dose > HIGH_DOSE_ABOVE).astype(np.int8)


def mae(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean absolute error over the last axis (mg/week)."""
    return np.mean(np.abs(pred - true), axis=-1)


def pw20(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Percentage within 20% of the actual dose, over the last axis."""
    return 100.0 * np.mean(np.abs(pred - true) <= 0.2 * true, axis=-1)


def r2(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Coefficient of determination over the last axis (NaN when ``true`` is constant)."""
    residual = np.sum((true - pred) ** 2, axis=-1)
    total = np.sum((true - np.mean(true, axis=-1, keepdims=True)) ** 2, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), np.nan)


def band_accuracy(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Percentage of patients whose predicted dose band matches the actual one."""
    return 100.0 * np.mean(dose_band(pred) == dose_band(true), axis=-1)


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "mae": mae, "pw20": pw20, "r2": r2, "band_accuracy": band_accuracy,
}


def bootstrap_indices(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` indices of patients drawn with replacement."""
    return rng.integers(0, n, size=(n_boot, n), dtype=np.int64)


def _score(true: np.ndarray, preds: np.ndarray, n_boot: int, level: float,
           rng: np.random.Generator, chunk: int) -> dict:
    """Point values, bootstrap CIs and spread over repeats, for ``preds (R, N)``."""
    result = {}
    draws = {name: [] for name in METRICS}
    for start in range(0, n_boot, chunk):
        index = bootstrap_indices(len(true), min(chunk, n_boot - start), rng)  # (B, N)
        sampled_true, sampled_pred = true[index], preds[:, index]  # (B, N), (R, B, N)
        for name, metric in METRICS.items():
            draws[name].append(np.mean(metric(sampled_true, sampled_pred), axis=0))  # (B,)
    tail = 100.0 * (1.0 - level) / 2.0
    for name, metric in METRICS.items():
        per_repeat = metric(true, preds)  # (R,)
        samples = np.concatenate(draws[name]) if n_boot else np.empty(0)
        finite = samples[np.isfinite(samples)]
        low, high = (np.percentile(finite, [tail, 100.0 - tail]) if finite.size
                     else (np.nan, np.nan))
        result[name] = {
            "value": float(np.mean(per_repeat)),
            "ci": [float(low), float(high)],
            "sd_over_repeats": float(np.std(per_repeat, ddof=1)) if len(per_repeat) > 1 else 0.0,
        }
    return result


def evaluate_doses(
    true: np.ndarray,
    preds: np.ndarray,
    subgroups: Mapping[str, np.ndarray] | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    chunk: int = 100,
) -> dict:
    """Every metric, overall and per subgroup, with bootstrap confidence intervals.

    Parameters
    ----------
    true : ``(N,)`` actual weekly doses (mg/week), all positive and finite.
    preds : ``(N,)`` or ``(R, N)`` predicted weekly doses (R repeats of the same patients).
    subgroups : name -> ``(N,)`` labels (e.g. ``{"race": race}``); each label is scored apart.
    n_boot : bootstrap resamples (0 for none: the intervals are then NaN).
    level : confidence level of the percentile intervals.
    seed : seed of the ``numpy.random.Generator`` drawing the resamples.
    chunk : resamples drawn at a time (bounds memory to ``R * chunk * N`` floats).

    Returns
    -------
    ``{"n", "metrics": {name: {"value", "ci", "sd_over_repeats"}},
    "subgroups": {name: {label: {"n", "metrics"}}}}``

    Raises
    ------
    ValueError
        When shapes disagree, a dose is not positive and finite, or a prediction is not finite.
    """
    true = np.asarray(true, dtype=float)
    preds = np.atleast_2d(np.asarray(preds, dtype=float))
    if true.ndim != 1 or preds.shape[1] != len(true):
        raise ValueError(f"true must be (N,) and preds (N,) or (R, N); got {true.shape} and "
                         f"{preds.shape}")
    if not np.all(np.isfinite(true) & (true > 0)):
        raise ValueError(f"{int(np.sum(~(np.isfinite(true) & (true > 0))))} actual doses are "
                         "missing or not positive: select the scoreable patients first")
    if not np.all(np.isfinite(preds)):
        raise ValueError(f"{int(np.sum(~np.isfinite(preds)))} predictions are not finite")
    rng = np.random.default_rng(seed)
    report = {"n": len(true), "metrics": _score(true, preds, n_boot, level, rng, chunk),
              "subgroups": {}}
    for name, labels in (subgroups or {}).items():
        labels = np.asarray(labels)
        if labels.shape != true.shape:
            raise ValueError(f"subgroup {name!r} labels have shape {labels.shape}, "
                             f"expected {true.shape}")
        report["subgroups"][name] = {
            str(label): {"n": int(np.sum(labels == label)),
                         "metrics": _score(true[labels == label], preds[:, labels == label],
                                           n_boot, level, rng, chunk)}
            for label in np.unique(labels)
        }
    return report
