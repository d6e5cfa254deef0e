"""Dimensionality reduction: PCA against an eigendecomposition, seeded t-SNE/UMAP, planted
populations recovered from genotypes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from pgxdl.builders.simulated_genotypes import random_reference, sample_population_genotypes
from pgxdl.explore.clustering import cluster
from pgxdl.explore.reduction import reduce


@pytest.fixture(scope="module")
def populations():
    """Dosages ``(180, 120)`` of three populations with Fst 0.3, and each row's population."""
    rng = np.random.default_rng(0)
    sim = sample_population_genotypes(random_reference(3, 200, rng), 180, ["A", "B", "C"], 40,
                                      0.3, rng)
    return sim.genotypes.sum(axis=2).astype(np.float32), sim.population


def test_pca_matches_the_eigendecomposition_of_the_correlation_matrix(populations):
    dosage, _ = populations
    result = reduce(dosage, "pca", n_components=5)
    kept = dosage[:, dosage.std(axis=0) > 0]
    scaled = (kept - kept.mean(axis=0)) / kept.std(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(scaled, rowvar=False))
    order = np.argsort(eigenvalues)[::-1][:5]
    np.testing.assert_allclose(result.explained_variance_ratio,
                               eigenvalues[order] / eigenvalues.sum(), rtol=1e-6)
    projected = scaled @ eigenvectors[:, order]
    np.testing.assert_allclose(np.abs(result.coords), np.abs(projected), atol=1e-5)


def test_pca_of_planted_populations_clusters_them(populations):
    dosage, population = populations
    coords = reduce(dosage, "pca").coords
    assert coords.shape == (180, 10)
    labels = cluster(coords, "kmeans", seed=0).labels
    assert adjusted_rand_score(population, labels) > 0.95


@pytest.mark.slow
@pytest.mark.parametrize("method", ["tsne", "umap"])
def test_nonlinear_maps_are_seeded_and_separate_planted_populations(populations, method):
    dosage, population = populations
    first = reduce(dosage, method, seed=3)
    np.testing.assert_array_equal(first.coords, reduce(dosage, method, seed=3).coords)
    assert first.coords.shape == (180, 2) and first.explained_variance_ratio is None
    labels = cluster(first.coords, "kmeans", k=3, seed=0).labels
    assert adjusted_rand_score(population, labels) > 0.9


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown reduction 'mds'"):
        reduce(np.zeros((10, 3)), "mds")
    with pytest.raises(ValueError, match="at least 4 rows"):
        reduce(np.zeros((3, 3)), "pca")
