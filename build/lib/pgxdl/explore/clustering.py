"""Clustering of reduced coordinates, with the number of clusters chosen from the data.

k-means and agglomerative (Ward) clustering choose ``k`` by the mean silhouette, Gaussian
mixtures by the Bayesian information criterion, and DBSCAN finds its own clusters with
``eps`` set by the k-distance heuristic (the knee of the sorted distances to the
``min_samples``-th neighbour, Ester et al. 1996). Hierarchical clustering keeps its Ward
linkage so the dendrogram and the clusters come from one tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import DBSCAN, KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

CLUSTERERS = ("kmeans", "hierarchical", "gmm", "dbscan")
NOISE = -1
_SILHOUETTE_SAMPLE = 5000


@dataclass(frozen=True)
class Clustering:
    """Cluster labels of ``N`` rows and how their number was chosen.

    Attributes
    ----------
    method : one of :data:`CLUSTERERS`.
    labels : ``(N,)`` int cluster of each row, 0-based; :data:`NOISE` (-1) for DBSCAN noise.
    criterion : ``silhouette`` (higher is better), ``bic`` (lower is better), ``k-distance``
        (DBSCAN) or ``given`` (``k`` was fixed by the caller).
    scores : criterion value for each ``k`` tried.
    eps, min_samples : DBSCAN's neighbourhood radius and core-point size (else ``None``).
    linkage : ``(N - 1, 4)`` Ward linkage matrix (hierarchical only), for the dendrogram.
    """

    method: str
    labels: np.ndarray
    criterion: str
    scores: dict[int, float] = field(default_factory=dict)
    eps: float | None = None
    min_samples: int | None = None
    linkage: np.ndarray | None = None

    @property
    def n_clusters(self) -> int:
        """Number of clusters, noise excluded."""
        return len(np.unique(self.labels[self.labels != NOISE]))


def ward_linkage(coords: np.ndarray) -> np.ndarray:
    """Ward linkage ``(N - 1, 4)`` of ``coords (N, K)`` (scipy's format)."""
    return linkage(coords, method="ward")


def dbscan_eps(coords: np.ndarray, min_samples: int) -> float:
    """The k-distance heuristic: ``eps`` at the knee of the sorted ``min_samples``-distances.

    The knee is the sorted distance farthest from the chord joining the smallest and the
    largest (both axes scaled to [0, 1]).
    """
    neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(coords))).fit(coords)
    distance = np.sort(neighbours.kneighbors(coords)[0][:, -1])
    x = np.linspace(0.0, 1.0, len(distance))
    span = distance[-1] - distance[0]
    y = (distance - distance[0]) / span if span > 0 else np.zeros_like(distance)
    eps = float(distance[int(np.argmax(np.abs(y - x)))])
    return eps if eps > 0 else max(float(distance[-1]), 1e-9)  # many identical rows


def fit_labels(coords: np.ndarray, method: str, k: int, seed: int = 0,
               tree: np.ndarray | None = None) -> np.ndarray:
    """Labels ``(N,)`` of ``coords (N, K)`` in ``k`` clusters by ``method`` (not DBSCAN)."""
    if method == "kmeans":
        return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(coords)
    if method == "hierarchical":
        tree = ward_linkage(coords) if tree is None else tree
        return fcluster(tree, t=k, criterion="maxclust").astype(np.int64) - 1
    if method == "gmm":
        return _gmm(coords, k, seed).predict(coords)
    raise ValueError(f"unknown clustering {method!r} with a cluster count; use one of "
                     f"{[m for m in CLUSTERERS if m != 'dbscan']}")


def cluster(coords: np.ndarray, method: str, k: int | None = None,
            k_range: range = range(2, 9), seed: int = 0,
            min_samples: int | None = None) -> Clustering:
    """Cluster ``coords (N, K)``, choosing the cluster count unless ``k`` is given.

    ``min_samples`` is DBSCAN's core-point size (default ``max(5, 2 K)``); ``k`` and
    ``k_range`` do not apply to DBSCAN.
    """
    if method not in CLUSTERERS:
        raise ValueError(f"unknown clustering {method!r}; use one of {CLUSTERERS}")
    coords = np.asarray(coords, dtype=np.float64)
    if method == "dbscan":
        min_samples = min_samples or max(5, 2 * coords.shape[1])
        eps = dbscan_eps(coords, min_samples)
        labels = DBSCAN(eps=eps, min_samples=min_samples).fit_predict(coords)
        return Clustering("dbscan", labels, "k-distance", eps=eps, min_samples=min_samples)
    tree = ward_linkage(coords) if method == "hierarchical" else None
    if k is not None:
        return Clustering(method, fit_labels(coords, method, k, seed, tree), "given",
                          linkage=tree)
    candidates = [c for c in k_range if 2 <= c < len(coords)]
    if not candidates:
        raise ValueError(f"no cluster count in {k_range} fits {len(coords)} rows")
    if method == "gmm":
        scores = {c: float(_gmm(coords, c, seed).bic(coords)) for c in candidates}
        best = min(scores, key=scores.get)
        return Clustering("gmm", fit_labels(coords, "gmm", best, seed), "bic", scores)
    labelled = {c: fit_labels(coords, method, c, seed, tree) for c in candidates}
    scores = {c: _silhouette(coords, labels, seed) for c, labels in labelled.items()}
    best = max(scores, key=scores.get)
    return Clustering(method, labelled[best], "silhouette", scores, linkage=tree)


def _gmm(coords: np.ndarray, k: int, seed: int) -> GaussianMixture:
    return GaussianMixture(n_components=k, covariance_type="full", n_init=2,
                           reg_covar=1e-5, random_state=seed).fit(coords)


def _silhouette(coords: np.ndarray, labels: np.ndarray, seed: int) -> float:
    if len(np.unique(labels)) < 2:
        return -1.0
    sample = _SILHOUETTE_SAMPLE if len(coords) > _SILHOUETTE_SAMPLE else None
    return float(silhouette_score(coords, labels, sample_size=sample, random_state=seed))
