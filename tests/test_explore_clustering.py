"""Clustering: planted clusters recovered, planted k chosen, stability, DBSCAN eps, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from pgxdl.explore.clustering import CLUSTERERS, NOISE, cluster, dbscan_eps
from pgxdl.explore.stability import agreement, stability

PLANTED_K = 4


@pytest.fixture(scope="module")
def blobs():
    """Four well-separated Gaussian clusters in 2-D, 240 rows, and their planted labels."""
    return make_blobs(n_samples=240, centers=PLANTED_K, n_features=2, cluster_std=0.6,
                      center_box=(-12, 12), random_state=3)


@pytest.mark.parametrize("method", CLUSTERERS)
def test_every_method_recovers_planted_clusters(blobs, method):
    coords, planted = blobs
    result = cluster(coords, method, seed=0)
    assert result.n_clusters == PLANTED_K
    clustered = result.labels != NOISE  # DBSCAN may leave a few border rows as noise
    assert clustered.mean() >= 0.9
    assert adjusted_rand_score(planted[clustered], result.labels[clustered]) > 0.99


@pytest.mark.parametrize("method", ["kmeans", "hierarchical", "gmm"])
def test_criterion_chooses_planted_k(blobs, method):
    coords, _ = blobs
    result = cluster(coords, method, k_range=range(2, 9), seed=0)
    assert sorted(result.scores) == list(range(2, 9))
    best = (min if result.criterion == "bic" else max)(result.scores, key=result.scores.get)
    assert best == PLANTED_K == result.n_clusters
    assert result.criterion == ("bic" if method == "gmm" else "silhouette")


def test_given_k_is_used_and_hierarchical_matches_scipy(blobs):
    coords, _ = blobs
    result = cluster(coords, "hierarchical", k=3)
    assert result.criterion == "given" and result.n_clusters == 3
    reference = fcluster(linkage(coords, "ward"), 3, criterion="maxclust")
    assert adjusted_rand_score(reference, result.labels) == 1.0
    assert result.linkage.shape == (len(coords) - 1, 4)


def test_dbscan_eps_sits_between_within_and_between_cluster_distances(blobs):
    coords, planted = blobs
    eps = dbscan_eps(coords, min_samples=5)
    centres = np.array([coords[planted == c].mean(axis=0) for c in range(PLANTED_K)])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    assert 0 < eps < gaps[gaps > 0].min() / 2


def test_dbscan_marks_far_outliers_as_noise(blobs):
    coords, _ = blobs
    with_outliers = np.vstack([coords, [[60.0, 60.0], [-60.0, 60.0]]])
    labels = cluster(with_outliers, "dbscan").labels
    assert (labels[-2:] == NOISE).all()
    assert (labels[:-2] != NOISE).mean() > 0.95


def test_stability_is_high_for_planted_clusters_and_low_for_noise(blobs):
    coords, _ = blobs
    planted = stability(coords, cluster(coords, "kmeans", k=PLANTED_K), n_resamples=5)
    uniform = np.random.default_rng(0).uniform(-1, 1, size=(240, 2))
    noise = stability(uniform, cluster(uniform, "gmm", k=PLANTED_K), n_resamples=5)
    assert planted.mean_ari > 0.95 and planted.n_pairs == 10
    assert noise.mean_ari < planted.mean_ari - 0.1


def test_stability_is_seeded(blobs):
    coords, _ = blobs
    result = cluster(coords, "dbscan")
    first = stability(coords, result, n_resamples=3, seed=7)
    assert first == stability(coords, result, n_resamples=3, seed=7)


def test_agreement_matches_sklearn_on_the_masked_rows():
    rng = np.random.default_rng(1)
    labels, reference = rng.integers(0, 3, 50), rng.choice(["x", "y", "unknown"], 50)
    mask = reference != "unknown"
    scores = agreement(labels, reference, mask)
    assert scores["n"] == mask.sum()
    assert scores["ari"] == pytest.approx(adjusted_rand_score(reference[mask], labels[mask]))
    assert scores["nmi"] == pytest.approx(normalized_mutual_info_score(reference[mask],
                                                                       labels[mask]))


def test_bad_input_is_named():
    coords = np.zeros((10, 2))
    with pytest.raises(ValueError, match="unknown clustering 'spectral'"):
        cluster(coords, "spectral")
    with pytest.raises(ValueError, match="no cluster count"):
        cluster(coords[:2], "kmeans", k_range=range(2, 5))
    with pytest.raises(ValueError, match="at least 2 resamples"):
        stability(coords, cluster(coords, "kmeans", k=2), n_resamples=1)
    with pytest.raises(ValueError, match="differ"):
        agreement(np.zeros(3), np.zeros(4))
