"""Seeded percentile bootstrap of any metric, vectorised over resamples.

Metrics follow the convention of :mod:`pgxdl.evaluation.metrics`: they take a dict of
arrays shaped ``(B, N, ...)`` (``B`` resamples of ``N`` observations) and return ``(B,)``.
Resamples are drawn in chunks of ``chunk`` so memory stays at ``chunk * N`` per array.
Observations are resampled independently (one row per subject when the store has one
drug; rows of one subject are not resampled together).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pgxdl.evaluation.metrics import Arrays, MetricFn


def bootstrap_indices(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` observation indices drawn with replacement."""
    return rng.integers(0, n, size=(n_boot, n), dtype=np.int64)


def point_estimates(data: Mapping[str, np.ndarray], metrics: Mapping[str, MetricFn]
                    ) -> dict[str, float]:
    """Each metric on the full data ``{key: (N, ...)}``."""
    batch = {key: np.asarray(value)[None] for key, value in data.items()}
    return {name: float(metric(batch)[0]) for name, metric in metrics.items()}


def bootstrap_samples(data: Mapping[str, np.ndarray], metrics: Mapping[str, MetricFn],
                      n_boot: int, rng: np.random.Generator, chunk: int = 200
                      ) -> dict[str, np.ndarray]:
    """``(n_boot,)`` resampled values of each metric (NaN where undefined on a resample)."""
    arrays = {key: np.asarray(value) for key, value in data.items()}
    n = len(next(iter(arrays.values())))
    draws: dict[str, list[np.ndarray]] = {name: [] for name in metrics}
    for start in range(0, n_boot, chunk):
        index = bootstrap_indices(n, min(chunk, n_boot - start), rng)  # (b, N)
        resampled: Arrays = {key: value[index] for key, value in arrays.items()}
        for name, metric in metrics.items():
            draws[name].append(metric(resampled))
    return {name: np.concatenate(parts) if parts else np.empty(0)
            for name, parts in draws.items()}


def bootstrap_metrics(data: Mapping[str, np.ndarray], metrics: Mapping[str, MetricFn],
                      n_boot: int = 1000, seed: int | np.random.Generator = 0,
                      level: float = 0.95, chunk: int = 200) -> dict[str, dict]:
    """Point estimate and percentile confidence interval of each metric.

    Parameters
    ----------
    data : ``{key: (N, ...)}`` arrays (see :mod:`pgxdl.evaluation.metrics` for the keys).
    metrics : ``{name: metric}``.
    n_boot : resamples; 0 gives no interval (``ci`` is ``[nan, nan]``).
    seed : seed of (or a ready) ``numpy.random.Generator``; equal seeds give equal CIs.
    level : confidence level of the percentile interval.
    chunk : resamples evaluated at once.

    Returns
    -------
    ``{name: {"value", "ci": [low, high], "n_boot_valid"}}``; resamples on which a metric
    is undefined are left out of its interval and counted out of ``n_boot_valid``.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    lengths = {key: len(value) for key, value in data.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"arrays disagree in length: {lengths}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    values = point_estimates(data, metrics)
    samples = bootstrap_samples(data, metrics, n_boot, rng, chunk)
    tail = 100.0 * (1.0 - level) / 2.0
    result = {}
    for name in metrics:
        finite = samples[name][np.isfinite(samples[name])]
        low, high = (np.percentile(finite, [tail, 100.0 - tail]) if finite.size
                     else (np.nan, np.nan))
        result[name] = {"value": values[name], "ci": [float(low), float(high)],
                        "n_boot_valid": int(finite.size)}
    return result
