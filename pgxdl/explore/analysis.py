"""Run a whole exploration: every reducer x clusterer on one feature matrix, then subgroups.

:func:`explore` takes arrays (a :class:`FeatureMatrix`, optional genotypes, targets and a
reference label) and returns an :class:`Exploration`; :mod:`pgxdl.explore.outputs` writes
it as tables and plots, and :func:`pgxdl.explore.store_exploration.explore_store` runs it
on a cohort store (genotypes and, given a checkpoint, learned embeddings).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pgxdl.data.spec import TaskSpec
from pgxdl.explore.clustering import Clustering, cluster
from pgxdl.explore.features import FeatureMatrix
from pgxdl.explore.reduction import Reduction, reduce
from pgxdl.explore.stability import Stability, agreement, stability
from pgxdl.explore.subgroups import (
    band_separation,
    characteristic_variants,
    cluster_sizes,
    target_summary,
    target_tests,
)
from pgxdl.tasks import task_kind

UNLABELLED = ("unknown", "", "nan")


@dataclass(frozen=True)
class ExploreSettings:
    """Choices of an exploration.

    ``k`` fixes the cluster count of k-means, hierarchical and GMM (default: chosen by
    silhouette / BIC over ``2..k_max``); ``n_resamples`` subsamples measure stability
    (0 skips it); ``band_task`` names a regression target whose quantile bands
    (``n_bands``) the clusters are scored against (e.g. warfarin dose);
    ``dbscan_min_samples`` is DBSCAN's core-point size (default ``max(5, 2 dims)``).
    """

    methods: tuple[str, ...] = ("pca", "umap")
    clusterers: tuple[str, ...] = ("kmeans", "gmm", "hierarchical", "dbscan")
    k: int | None = None
    k_max: int = 8
    n_resamples: int = 10
    resample_fraction: float = 0.8
    pca_components: int = 10
    min_maf: float = 0.01
    alpha: float = 0.05
    top_variants: int = 20
    band_task: str | None = None
    n_bands: int = 3
    dbscan_min_samples: int | None = None
    seed: int = 0


@dataclass
class ClusterOutcome:
    """One reducer x clusterer: the clustering and everything measured on it."""

    method: str
    clusterer: str
    clustering: Clustering
    stability: Stability | None
    agreement: dict[str, float] | None
    sizes: pd.DataFrame
    variants: pd.DataFrame | None
    tests: pd.DataFrame | None
    summary: pd.DataFrame | None
    bands: dict[str, float] | None


@dataclass
class Exploration:
    """All results of :func:`explore` on one feature source (``N`` rows)."""

    features: FeatureMatrix
    label: np.ndarray | None
    targets: pd.DataFrame | None
    tasks: list[TaskSpec]
    genotypes: FeatureMatrix | None = None
    reductions: dict[str, Reduction] = field(default_factory=dict)
    outcomes: list[ClusterOutcome] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """One row per reducer x clusterer: cluster count, stability, ARI/NMI with the label."""
        rows = []
        for o in self.outcomes:
            row = {"source": self.features.source, "method": o.method, "clusterer": o.clusterer,
                   "n_clusters": o.clustering.n_clusters, "criterion": o.clustering.criterion}
            if o.stability is not None:
                row["stability_ari"] = o.stability.mean_ari
            if o.agreement is not None:
                row.update({"ari": o.agreement["ari"], "nmi": o.agreement["nmi"]})
            if o.bands is not None:
                row.update({f"band_{k}": v for k, v in o.bands.items() if k != "n"})
            rows.append(row)
        return pd.DataFrame(rows)


def explore(features: FeatureMatrix, settings: ExploreSettings | None = None,
            genotypes: FeatureMatrix | None = None, targets: pd.DataFrame | None = None,
            tasks: list[TaskSpec] = (), label: np.ndarray | None = None) -> Exploration:
    """Reduce, cluster and characterise ``features`` (``N`` rows).

    Parameters
    ----------
    features : what to cluster (genotype dosages or learned embeddings), ``(N, D)``.
    settings : reducers, clusterers and test settings (default :class:`ExploreSettings`).
    genotypes : ``(N, V)`` dosages with the same rows, for characteristic variants
        (default: ``features`` themselves when they are genotypes).
    targets : ``(N, T)`` target values (NaN missing), described by ``tasks``.
    label : ``(N,)`` reference groups (e.g. super-population) to score clusters against;
        values in :data:`UNLABELLED` are left out of the score.
    """
    if genotypes is not None and not np.array_equal(genotypes.subject_index,
                                                    features.subject_index):
        raise ValueError("genotypes and features must have the same rows in the same order")
    settings = settings or ExploreSettings()
    continuous = [t.name for t in tasks if task_kind(t).continuous]
    if settings.band_task is not None and settings.band_task not in continuous:
        raise ValueError(f"band_task {settings.band_task!r} is not a continuous target; "
                         f"continuous targets are {continuous}")
    if label is not None and len(label) != len(features.values):
        raise ValueError(f"label has {len(label)} rows, features {len(features.values)}")
    if genotypes is None and features.source == "genotype":
        genotypes = features
    result = Exploration(features, label, targets, list(tasks), genotypes)
    known = None if label is None else ~np.isin(np.asarray(label, str), UNLABELLED)
    k_range = range(2, settings.k_max + 1)
    for method in settings.methods:
        reduction = reduce(features.values, method, seed=settings.seed,
                           n_components=settings.pca_components if method == "pca" else None)
        result.reductions[method] = reduction
        for name in settings.clusterers:
            clustering = cluster(reduction.coords, name, settings.k, k_range, settings.seed,
                                 settings.dbscan_min_samples)
            result.outcomes.append(_measure(method, clustering, reduction, result, known,
                                            settings))
    return result


def _measure(method: str, clustering: Clustering, reduction: Reduction, result: Exploration,
             known: np.ndarray | None, settings: ExploreSettings) -> ClusterOutcome:
    labels = clustering.labels
    resampled = (stability(reduction.coords, clustering, settings.n_resamples,
                           settings.resample_fraction, settings.seed)
                 if settings.n_resamples and clustering.n_clusters >= 2 else None)
    scored = (agreement(labels, np.asarray(result.label, str), known)
              if known is not None and known.any() else None)
    return ClusterOutcome(
        method, clustering.method, clustering, resampled, scored, cluster_sizes(labels),
        variants=(characteristic_variants(result.genotypes, labels, settings.alpha,
                                          settings.top_variants)
                  if result.genotypes is not None else None),
        tests=target_tests(result.targets, result.tasks, labels) if result.tasks else None,
        summary=target_summary(result.targets, result.tasks, labels) if result.tasks else None,
        bands=(band_separation(labels, result.targets[settings.band_task].to_numpy(),
                               settings.n_bands)
               if settings.band_task else None))
