"""Warfarin dose metrics, bootstrapped with the project's engine, overall and by subgroup.

Metrics follow :mod:`pgxdl.tasks.metrics`: each takes the data ``d`` and a ``(B, N)``
matrix ``w`` of resample counts (``w = 1`` for the point value) and returns ``(B,)``. Here
``d["target"]`` is ``(N,)`` actual weekly doses and ``d["pred"]`` ``(N, R)`` predictions of
``R`` repeats (seeds) of the same patients; a metric is the mean over repeats.

``mae``            mean absolute error, mg/week;
``pw20``           percentage of patients whose predicted dose is within 20% of the actual
                   dose (``|pred - true| <= 0.2 * true``);
``r2``             coefficient of determination, ``1 - SS_res / SS_tot``;
``band_accuracy``  percentage of patients whose predicted dose falls in the same dose band
                   as the actual dose: low ``< 21``, intermediate ``21-49`` (both ends
                   included), high ``> 49`` mg/week.

:func:`evaluate_doses` gives the point value (mean over repeats), the percentile interval
of that mean over bootstrap resamples of patients (the same resample for every repeat;
:func:`pgxdl.evaluation.bootstrap.bootstrap_metrics`), and the spread over repeats. Within
a subgroup, patients are resampled within the subgroup.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from pgxdl.evaluation.bootstrap import bootstrap_metrics
from pgxdl.tasks import metrics as weighted

#: Dose band edges (mg/week): low < 21 <= intermediate <= 49 < high.
LOW_DOSE_BELOW = 21.0
HIGH_DOSE_ABOVE = 49.0
DOSE_BAND_NAMES = ("low (<21)", "intermediate (21-49)", "high (>49)")

Arrays = dict[str, np.ndarray]


def dose_band(dose: np.ndarray) -> np.ndarray:
    """Band index of each dose: 0 low (< 21), 1 intermediate (21-49), 2 high (> 49)."""
    dose = np.asarray(dose, dtype=float)
    return (dose >= LOW_DOSE_BELOW).astype(np.int8) + (dose > HIGH_DOSE_ABOVE).astype(np.int8)


def _repeats(d: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """Target ``(N, 1)`` and predictions ``(N, R)``."""
    target = np.asarray(d["target"], dtype=float)
    return target[:, None], np.asarray(d["pred"], dtype=float).reshape(len(target), -1)


def _mean_over_repeats(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``(B,)``: weighted mean over patients of ``values (N, R)``, then mean over repeats."""
    return np.mean((w @ values) / w.sum(axis=1, keepdims=True), axis=1)


def mae(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Mean absolute error (mg/week)."""
    target, pred = _repeats(d)
    return _mean_over_repeats(np.abs(pred - target), w)


def pw20(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Percentage of patients within 20% of the actual dose."""
    target, pred = _repeats(d)
    return 100.0 * _mean_over_repeats((np.abs(pred - target) <= 0.2 * target).astype(float), w)


def r2(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Coefficient of determination (NaN for a constant target)."""
    target, pred = _repeats(d)
    return np.mean([weighted.r2({"target": target[:, 0], "pred": column}, w)
                    for column in pred.T], axis=0)


def band_accuracy(d: Arrays, w: np.ndarray) -> np.ndarray:
    """Percentage of patients whose predicted dose band matches the actual one."""
    target, pred = _repeats(d)
    return 100.0 * _mean_over_repeats((dose_band(pred) == dose_band(target)).astype(float), w)


METRICS: dict[str, Callable[[Arrays, np.ndarray], np.ndarray]] = {
    "mae": mae, "pw20": pw20, "r2": r2, "band_accuracy": band_accuracy,
}


def _clusters_or_none(clusters: np.ndarray | None) -> np.ndarray | None:
    """``clusters`` when they hold two units or more; else None (resample patients)."""
    return None if clusters is None or len(np.unique(clusters)) < 2 else clusters


def _resampled(clusters: np.ndarray | None) -> str:
    """What a bootstrap over ``clusters`` resamples: ``clusters`` or ``patients``."""
    return "patients" if _clusters_or_none(clusters) is None else "clusters"


def _score(true: np.ndarray, preds: np.ndarray, n_boot: int, level: float,
           rng: np.random.Generator, chunk: int, clusters: np.ndarray | None = None) -> dict:
    """Point values, bootstrap CIs and spread over repeats, for ``preds (N, R)``."""
    clusters = _clusters_or_none(clusters)
    result = bootstrap_metrics({"target": true, "pred": preds}, METRICS, n_boot=n_boot,
                               seed=rng, level=level, chunk=chunk, clusters=clusters)
    ones = np.ones((1, len(true)))
    for name, metric in METRICS.items():
        per_repeat = [metric({"target": true, "pred": column}, ones)[0] for column in preds.T]
        result[name]["sd_over_repeats"] = (float(np.std(per_repeat, ddof=1))
                                           if len(per_repeat) > 1 else 0.0)
    return result


def paired_difference(true: np.ndarray, preds: np.ndarray, reference: np.ndarray,
                      n_boot: int = 1000, level: float = 0.95, seed: int = 0,
                      chunk: int = 250, clusters: np.ndarray | None = None) -> dict:
    """Every metric of ``preds`` minus that of ``reference``, with a paired bootstrap CI.

    Both are scored on the same resamples of patients, so the interval is that of the
    difference itself (much narrower than comparing two separate intervals when the
    models' errors are correlated). A negative MAE difference, or a positive PW20 one,
    favours ``preds``.

    Parameters
    ----------
    true : ``(N,)`` actual weekly doses.
    preds, reference : ``(N,)`` or ``(R, N)`` predictions of the two models (their repeat
        counts may differ; each metric is a mean over the model's own repeats).
    clusters : ``(N,)`` labels (e.g. sites) resampled whole instead of patients, so the
        interval reflects variation between clusters (ignored with fewer than two).

    Returns
    -------
    ``{name: {"value", "ci", "n_boot_valid"}}``.
    """
    true = np.asarray(true, dtype=float)
    data = {"target": true, "pred": np.atleast_2d(preds).T,
            "reference": np.atleast_2d(reference).T}
    if data["pred"].shape[0] != len(true) or data["reference"].shape[0] != len(true):
        raise ValueError(f"preds {np.shape(preds)} and reference {np.shape(reference)} must "
                         f"have (N,) or (R, N) shape with N = {len(true)}")

    def difference(metric):
        def scored(d: Arrays, w: np.ndarray) -> np.ndarray:
            return (metric(d, w)
                    - metric({"target": d["target"], "pred": d["reference"]}, w))
        return scored

    return bootstrap_metrics(data, {name: difference(m) for name, m in METRICS.items()},
                             n_boot=n_boot, seed=seed, level=level, chunk=chunk,
                             clusters=_clusters_or_none(clusters))


def evaluate_doses(
    true: np.ndarray,
    preds: np.ndarray,
    subgroups: Mapping[str, np.ndarray] | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    chunk: int = 250,
    clusters: np.ndarray | None = None,
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
    chunk : resamples evaluated at a time (bounds memory to ``chunk * N * R`` floats).
    clusters : ``(N,)`` labels (e.g. sites) resampled whole: a cluster bootstrap, within
        each subgroup too; a subgroup inside one cluster resamples its patients instead
        (each report's ``resampled`` says which).

    Returns
    -------
    ``{"n", "metrics": {name: {"value", "ci", "n_boot_valid", "sd_over_repeats"}},
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
    preds = preds.T  # (N, R)
    rng = np.random.default_rng(seed)
    clusters = None if clusters is None else np.asarray(clusters).astype(str)
    report = {"n": len(true),
              "metrics": _score(true, preds, n_boot, level, rng, chunk, clusters),
              "resampled": _resampled(clusters), "subgroups": {}}
    for name, labels in (subgroups or {}).items():
        labels = np.asarray(labels)
        if labels.shape != true.shape:
            raise ValueError(f"subgroup {name!r} labels have shape {labels.shape}, "
                             f"expected {true.shape}")
        report["subgroups"][name] = {}
        for label in np.unique(labels):
            inside = labels == label
            within = None if clusters is None else clusters[inside]
            report["subgroups"][name][str(label)] = {
                "n": int(inside.sum()), "resampled": _resampled(within),
                "metrics": _score(true[inside], preds[inside], n_boot, level, rng, chunk,
                                  within)}
    return report
