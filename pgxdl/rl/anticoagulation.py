"""Anticoagulation quality metrics and confidence intervals over replicates.

Bootstrap intervals over patients use the one engine of :mod:`pgxdl.evaluation.bootstrap`.

Daily metrics use the error-free model INR at the end of each day, shape ``(N, D)`` for
``N`` patients and ``D`` days. The clinical PTTR (Rosendaal et al., Thromb Haemost
1993;69:236) interpolates linearly between measured INRs.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from pgxdl.rl.simulator.parameters import CYP2C9_GENOTYPES, VKORC1_GENOTYPES

THERAPEUTIC_RANGE = (2.0, 3.0)


def pttr_daily(inr: np.ndarray, low: float = 2.0, high: float = 3.0) -> np.ndarray:
    """Fraction of days with ``low <= INR <= high``, shape ``(N,)`` from ``(N, D)``."""
    inr = np.asarray(inr, dtype=float)
    return np.mean((inr >= low) & (inr <= high), axis=-1)


def fraction_above(inr: np.ndarray, threshold: float = 4.0) -> np.ndarray:
    """Fraction of days with INR > ``threshold``, shape ``(N,)``."""
    return np.mean(np.asarray(inr) > threshold, axis=-1)


def fraction_below(inr: np.ndarray, threshold: float = 1.5) -> np.ndarray:
    """Fraction of days with INR < ``threshold``, shape ``(N,)``."""
    return np.mean(np.asarray(inr) < threshold, axis=-1)


def days_to_therapeutic(inr: np.ndarray, low: float = 2.0, high: float = 3.0) -> np.ndarray:
    """Day (1-based) the INR first ends a day in range, ``D + 1`` if never; shape ``(N,)``.

    Column ``d`` of ``inr`` is the INR at the end of day ``d + 1``.
    """
    inr = np.asarray(inr, dtype=float)
    in_range = (inr >= low) & (inr <= high)
    first = np.argmax(in_range, axis=-1) + 1
    return np.where(in_range.any(axis=-1), first, inr.shape[-1] + 1).astype(float)


def _segment_time_in_range(v0: float, v1: float, low: float, high: float) -> float:
    """Fraction of a unit segment, INR linear from ``v0`` to ``v1``, spent in [low, high]."""
    if v0 == v1:
        return float(low <= v0 <= high)
    t_low, t_high = sorted(((low - v0) / (v1 - v0), (high - v0) / (v1 - v0)))
    return float(max(0.0, min(1.0, t_high) - max(0.0, t_low)))


def pttr_rosendaal(days: np.ndarray, values: np.ndarray, low: float = 2.0,
                   high: float = 3.0) -> float:
    """Rosendaal PTTR of one patient's measurements (``days`` increasing, shape ``(M,)``).

    NaN when fewer than two measurements span a positive time.
    """
    days = np.asarray(days, dtype=float)
    values = np.asarray(values, dtype=float)
    if len(days) != len(values):
        raise ValueError(f"days ({len(days)}) and values ({len(values)}) differ in length")
    if np.any(np.diff(days) <= 0):
        raise ValueError("measurement days must be strictly increasing")
    total = days[-1] - days[0] if len(days) > 1 else 0.0
    if total <= 0:
        return float("nan")
    inside = sum((d1 - d0) * _segment_time_in_range(v0, v1, low, high)
                 for d0, d1, v0, v1 in zip(days[:-1], days[1:], values[:-1], values[1:],
                                           strict=True))
    return float(inside / total)


def genotype_groups(cyp2c9: np.ndarray, vkorc1: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean masks ``(N,)`` of the reported subgroups, keyed by name (``all`` first)."""
    cyp = np.asarray([CYP2C9_GENOTYPES[i] for i in cyp2c9])
    vkor = np.asarray([VKORC1_GENOTYPES[i] for i in vkorc1])
    return {
        "all": np.ones(len(cyp), dtype=bool),
        "CYP2C9 *1/*1": cyp == "*1/*1",
        "CYP2C9 *2 carrier": np.char.count(cyp.astype(str), "*2") > 0,
        "CYP2C9 *3 carrier": np.char.count(cyp.astype(str), "*3") > 0,
        "VKORC1 G/G": vkor == "G/G",
        "VKORC1 G/A": vkor == "G/A",
        "VKORC1 A/A": vkor == "A/A",
    }


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval over independent replicates (e.g. seeds), shape ``(R,)``.

    With one replicate the interval is ``(mean, mean)``; NaNs are dropped.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(values.mean())
    if len(values) == 1:
        return mean, mean, mean
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, float(mean - half), float(mean + half)

