"""Seeded percentile bootstrap of any metric, vectorised over resamples.

A resample is represented by how often each observation was drawn: a ``(B, N)`` count
matrix that the metrics of :mod:`pgxdl.tasks.metrics` take as weights, so no
resampled copy of the data is made and ranking metrics sort the data once. With
``clusters`` (e.g. the subject of each observation when a subject has rows for several
drugs), whole clusters are drawn with replacement and each observation counts as often as
its cluster was drawn (cluster bootstrap). Resamples are evaluated ``chunk`` at a time.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pgxdl.tasks.metrics import MetricFn


def resample_counts(n: int, n_boot: int, rng: np.random.Generator,
                    clusters: np.ndarray | None = None) -> np.ndarray:
    """``(n_boot, n)`` float counts: how often each observation is in each resample.

    Without ``clusters`` each resample draws ``n`` observations with replacement; with
    ``clusters (n,)`` it draws as many clusters as there are, with replacement.
    """
    if clusters is None:
        codes, n_units = np.arange(n), n
    else:
        _, codes = np.unique(clusters, return_inverse=True)
        n_units = int(codes.max()) + 1 if n else 0
    draws = rng.integers(0, n_units, size=(n_boot, n_units), dtype=np.int64)
    flat = (np.arange(n_boot)[:, None] * n_units + draws).ravel()
    per_unit = np.bincount(flat, minlength=n_boot * n_units).reshape(n_boot, n_units)
    return per_unit[:, codes].astype(float)


def bootstrap_metrics(data: Mapping[str, np.ndarray], metrics: Mapping[str, MetricFn],
                      n_boot: int = 1000, seed: int | np.random.Generator = 0,
                      level: float = 0.95, chunk: int = 250,
                      clusters: np.ndarray | None = None) -> dict[str, dict]:
    """Point estimate and percentile confidence interval of each metric.

    Parameters
    ----------
    data : ``{key: (N, ...)}`` arrays (see :mod:`pgxdl.tasks.metrics` for the keys).
    metrics : ``{name: metric}``.
    n_boot : resamples; 0 gives no interval (``ci`` is ``[nan, nan]``).
    seed : seed of (or a ready) ``numpy.random.Generator``; equal seeds give equal CIs.
    level : confidence level of the percentile interval.
    chunk : resamples evaluated at once (memory ``chunk * N`` floats per array).
    clusters : ``(N,)`` labels of units resampled together (``None``: observations).

    Returns
    -------
    ``{name: {"value", "ci": [low, high], "n_boot_valid"}}``; resamples on which a metric
    is undefined are left out of its interval and counted out of ``n_boot_valid``.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    arrays = {key: np.asarray(value) for key, value in data.items()}
    lengths = {key: len(value) for key, value in arrays.items()}
    if clusters is not None:
        lengths["clusters"] = len(clusters)
    if len(set(lengths.values())) != 1:
        raise ValueError(f"arrays disagree in length: {lengths}")
    n = next(iter(lengths.values()))
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ones = np.ones((1, n))
    draws: dict[str, list[np.ndarray]] = {name: [] for name in metrics}
    for start in range(0, n_boot, chunk):
        counts = resample_counts(n, min(chunk, n_boot - start), rng, clusters)
        for name, metric in metrics.items():
            draws[name].append(metric(arrays, counts))
    tail = 100.0 * (1.0 - level) / 2.0
    result = {}
    for name, metric in metrics.items():
        samples = np.concatenate(draws[name]) if draws[name] else np.empty(0)
        finite = samples[np.isfinite(samples)]
        low, high = (np.percentile(finite, [tail, 100.0 - tail]) if finite.size
                     else (np.nan, np.nan))
        result[name] = {"value": float(metric(arrays, ones)[0]),
                        "ci": [float(low), float(high)], "n_boot_valid": int(finite.size)}
    return result
