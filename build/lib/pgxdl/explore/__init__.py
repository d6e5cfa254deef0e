"""Genetic subgroup discovery: reduce, cluster and characterise genotypes or embeddings.

Entry points: :func:`explore_store` (a cohort store in one call, genotypes and optionally
a checkpoint's embeddings), :func:`explore` (arrays), and ``pgxdl explore``.
"""

from pgxdl.explore.analysis import ClusterOutcome, Exploration, ExploreSettings, explore
from pgxdl.explore.clustering import CLUSTERERS, Clustering, cluster, dbscan_eps
from pgxdl.explore.features import FeatureMatrix, subject_targets
from pgxdl.explore.genotypes import dosage_matrix
from pgxdl.explore.reduction import REDUCERS, Reduction, reduce
from pgxdl.explore.stability import Stability, agreement, stability
from pgxdl.explore.store_exploration import comparison, explore_store
from pgxdl.explore.subgroups import (
    band_separation,
    characteristic_variants,
    cluster_sizes,
    target_summary,
    target_tests,
)

__all__ = [
    "CLUSTERERS", "REDUCERS", "ClusterOutcome", "Clustering", "Exploration", "ExploreSettings",
    "FeatureMatrix", "Reduction", "Stability", "agreement", "band_separation",
    "characteristic_variants", "cluster", "cluster_sizes", "comparison", "dbscan_eps",
    "dosage_matrix", "explore", "explore_store", "reduce", "stability", "subject_targets",
    "target_summary", "target_tests",
]
