"""Dimensionality reduction of a feature matrix: PCA, t-SNE and UMAP, seeded.

Features are standardised first (each column to mean 0, variance 1: for allele dosages this
is the usual genotype scaling of population-genetic PCA, Patterson et al. 2006). t-SNE and
UMAP then run on the top principal components (at most ``pca_components``), which removes
noise and makes them fast on thousands of variants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.preprocessing import StandardScaler

REDUCERS = ("pca", "tsne", "umap")


@dataclass(frozen=True)
class Reduction:
    """Coordinates of ``N`` rows in a reduced space.

    Attributes
    ----------
    method : ``pca``, ``tsne`` or ``umap``.
    coords : ``(N, K)`` float64 coordinates (plots use the first two columns).
    explained_variance_ratio : ``(K,)`` fraction of variance per component (PCA only).
    """

    method: str
    coords: np.ndarray
    explained_variance_ratio: np.ndarray | None = None


def standardise(values: np.ndarray) -> np.ndarray:
    """Columns of ``values (N, D)`` scaled to mean 0 and variance 1 (constant columns to 0)."""
    return StandardScaler().fit_transform(np.asarray(values, dtype=np.float64))


def reduce(values: np.ndarray, method: str, n_components: int | None = None, seed: int = 0,
           pca_components: int = 50) -> Reduction:
    """Reduce ``values (N, D)`` to ``(N, K)`` coordinates with ``method``.

    Parameters
    ----------
    values : features, one row per subject.
    method : one of :data:`REDUCERS`.
    n_components : ``K``; default 10 for PCA (clusters are found on these), 2 otherwise.
    seed : random state of the randomised solvers.
    pca_components : t-SNE and UMAP run on at most this many top principal components.
    """
    if method not in REDUCERS:
        raise ValueError(f"unknown reduction {method!r}; use one of {REDUCERS}")
    n, d = values.shape
    if n < 4:
        raise ValueError(f"dimensionality reduction needs at least 4 rows, got {n}")
    scaled = standardise(values)
    if method == "pca":
        k = min(n_components or 10, n, d)
        pca = PCA(n_components=k, random_state=seed).fit(scaled)
        return Reduction("pca", pca.transform(scaled), pca.explained_variance_ratio_)
    k = n_components or 2
    if d > pca_components:
        scaled = PCA(n_components=min(pca_components, n), random_state=seed).fit_transform(scaled)
    if method == "tsne":
        perplexity = float(min(30.0, (n - 1) / 3))
        coords = TSNE(n_components=k, perplexity=perplexity, init="pca", random_state=seed,
                      method="barnes_hut" if k < 4 else "exact").fit_transform(scaled)
        return Reduction("tsne", coords)
    from umap import UMAP  # imported late: numba compilation costs seconds

    coords = UMAP(n_components=k, n_neighbors=min(15, n - 1), random_state=seed,
                  n_jobs=1).fit_transform(scaled)
    return Reduction("umap", np.asarray(coords, dtype=np.float64))
