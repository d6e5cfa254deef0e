"""Agreement between clusterings, and cluster stability under resampling.

Stability follows Ben-Hur, Elisseeff and Guyon (2002): cluster many random subsamples with
the same settings, and average the adjusted Rand index of every pair of clusterings over
the rows the two subsamples share. Values near 1 mean the clusters do not depend on which
subjects happened to be sampled.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pgxdl.explore.clustering import Clustering, fit_labels


def agreement(labels: np.ndarray, reference: np.ndarray, mask: np.ndarray | None = None
              ) -> dict[str, float]:
    """ARI and NMI between ``labels (N,)`` and ``reference (N,)`` over ``mask (N,)`` rows.

    Returns ``{"ari": ..., "nmi": ..., "n": rows compared}``.
    """
    labels, reference = np.asarray(labels), np.asarray(reference)
    if labels.shape != reference.shape:
        raise ValueError(f"labels {labels.shape} and reference {reference.shape} differ")
    keep = np.ones(len(labels), bool) if mask is None else np.asarray(mask, bool)
    return {"ari": float(adjusted_rand_score(reference[keep], labels[keep])),
            "nmi": float(normalized_mutual_info_score(reference[keep], labels[keep])),
            "n": int(keep.sum())}


@dataclass(frozen=True)
class Stability:
    """Mean and standard deviation of pairwise ARI over ``n_pairs`` subsample pairs."""

    mean_ari: float
    std_ari: float
    n_pairs: int


def stability(coords: np.ndarray, clustering: Clustering, n_resamples: int = 10,
              fraction: float = 0.8, seed: int = 0) -> Stability:
    """Stability of ``clustering`` of ``coords (N, K)`` over ``n_resamples`` subsamples.

    Each subsample draws ``fraction`` of the rows without replacement and is clustered with
    the same method and settings (the same cluster count; DBSCAN's ``eps``).
    """
    if n_resamples < 2:
        raise ValueError(f"stability needs at least 2 resamples, got {n_resamples}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    rng = np.random.default_rng(seed)
    n = len(coords)
    size = max(int(round(fraction * n)), 3)
    draws = []
    for _ in range(n_resamples):
        rows = np.sort(rng.choice(n, size, replace=False))
        full = np.full(n, -2)
        full[rows] = _refit(coords[rows], clustering, seed)
        draws.append((rows, full))
    scores = []
    for (rows_a, full_a), (rows_b, full_b) in combinations(draws, 2):
        shared = np.intersect1d(rows_a, rows_b)
        scores.append(adjusted_rand_score(full_a[shared], full_b[shared]))
    return Stability(float(np.mean(scores)), float(np.std(scores)), len(scores))


def _refit(coords: np.ndarray, clustering: Clustering, seed: int) -> np.ndarray:
    if clustering.method == "dbscan":
        return DBSCAN(eps=clustering.eps, min_samples=clustering.min_samples).fit_predict(coords)
    return fit_labels(coords, clustering.method, max(clustering.n_clusters, 2), seed)
