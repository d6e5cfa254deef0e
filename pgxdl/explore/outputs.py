"""Write an :class:`~pgxdl.explore.analysis.Exploration` as tables (CSV, JSON) and PNG plots.

Layout under ``out`` (one folder per feature source, ``genotype`` or ``embedding``)::

    <source>/summary.json              settings, PCA explained variance, per method details
    <source>/methods.csv               reducer x clusterer: k, stability, ARI/NMI vs label
    <source>/assignments.csv           store row index, label, 2-D coordinates, clusters
    <source>/cluster_sizes.csv, characteristic_variants.csv, target_tests.csv,
    <source>/target_summary.csv        per reducer x clusterer, in long form
    <source>/plots/<method>_<clusterer>.png, <method>_by_<label>.png,
    <source>/plots/dendrogram_<method>.png, targets_<method>_<clusterer>.png

Files are written atomically. Rows are store indices; no subject identifier is written.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.explore.analysis import Exploration, ExploreSettings
from pgxdl.explore.plots import plot_dendrogram, plot_embedding, plot_target_distributions
from pgxdl.io import atomic_write_text, write_json

_AXES = {"pca": "PC", "tsne": "t-SNE ", "umap": "UMAP "}


def write_exploration(result: Exploration, out: str | Path, settings: ExploreSettings,
                      label_name: str = "label") -> list[Path]:
    """Write every table and plot of ``result`` under ``out/<source>``; returns the paths."""
    folder = Path(out) / result.features.source
    written = [write_json(folder / "summary.json", summary(result, settings, label_name))]
    written.append(atomic_write_text(folder / "methods.csv", result.table().to_csv(index=False)))
    written.append(atomic_write_text(folder / "assignments.csv",
                                     _assignments(result, label_name).to_csv(index=False)))
    for name, attribute in (("cluster_sizes", "sizes"), ("characteristic_variants", "variants"),
                            ("target_tests", "tests"), ("target_summary", "summary")):
        frames = [getattr(o, attribute).assign(method=o.method, clusterer=o.clusterer)
                  for o in result.outcomes if getattr(o, attribute) is not None]
        if frames:
            table = pd.concat(frames, ignore_index=True)
            table = table[["method", "clusterer", *table.columns[:-2]]]
            written.append(atomic_write_text(folder / f"{name}.csv", table.to_csv(index=False)))
    return written + write_plots(result, folder / "plots", label_name)


def write_plots(result: Exploration, folder: Path, label_name: str = "label") -> list[Path]:
    """Embedding, dendrogram and target plots of ``result`` into ``folder``."""
    written = []
    source = result.features.source
    for method, reduction in result.reductions.items():
        axes = _axis_names(method, reduction.explained_variance_ratio)
        if result.label is not None:
            written.append(plot_embedding(
                reduction.coords, np.asarray(result.label, str),
                folder / f"{method}_by_{label_name}.png",
                f"{source}: {method.upper()} by {label_name}", axes, label_name))
        for o in (o for o in result.outcomes if o.method == method):
            labels = o.clustering.labels
            written.append(plot_embedding(
                reduction.coords, labels, folder / f"{method}_{o.clusterer}.png",
                f"{source}: {method.upper()} + {o.clusterer} ({o.clustering.n_clusters} "
                f"clusters)", axes, "cluster"))
            if o.clustering.linkage is not None:
                written.append(plot_dendrogram(o.clustering.linkage, o.clustering.n_clusters,
                                               folder / f"dendrogram_{method}.png",
                                               f"{source}: Ward tree on {method.upper()}"))
            if result.tasks:
                written.append(plot_target_distributions(
                    result.targets, result.tasks, labels,
                    folder / f"targets_{method}_{o.clusterer}.png",
                    f"{source}: targets per {method} + {o.clusterer} cluster",
                    dict(zip(o.tests["task"], o.tests["p_value"], strict=True))))
    return written


def summary(result: Exploration, settings: ExploreSettings, label_name: str) -> dict:
    """A JSON-ready summary: settings, explained variance and per-method results."""
    methods = []
    for o in result.outcomes:
        c = o.clustering
        methods.append({
            "method": o.method, "clusterer": o.clusterer, "n_clusters": c.n_clusters,
            "criterion": c.criterion, "scores": {str(k): v for k, v in c.scores.items()},
            "eps": c.eps, "min_samples": c.min_samples,
            "noise_fraction": float(np.mean(c.labels == -1)),
            "stability": asdict(o.stability) if o.stability else None,
            f"agreement_with_{label_name}": o.agreement,
            "target_tests": o.tests.to_dict("records") if o.tests is not None else None,
            "band_separation": o.bands})
    return {
        "source": result.features.source, "n_rows": int(len(result.features.values)),
        "n_features": int(result.features.values.shape[1]), "label": label_name,
        "settings": asdict(settings),
        "explained_variance_ratio": {
            m: r.explained_variance_ratio.tolist() for m, r in result.reductions.items()
            if r.explained_variance_ratio is not None},
        "methods": methods}


def _assignments(result: Exploration, label_name: str) -> pd.DataFrame:
    table = pd.DataFrame({"subject_index": result.features.subject_index})
    if result.label is not None:
        table[label_name] = np.asarray(result.label, str)
    for method, reduction in result.reductions.items():
        table[f"{method}_1"], table[f"{method}_2"] = reduction.coords[:, 0], reduction.coords[:, 1]
    for o in result.outcomes:
        table[f"{o.method}_{o.clusterer}"] = o.clustering.labels
    return table


def _axis_names(method: str, explained: np.ndarray | None) -> tuple[str, str]:
    prefix = _AXES[method]
    if explained is None:
        return f"{prefix}1", f"{prefix}2"
    return (f"{prefix}1 ({100 * explained[0]:.1f}%)", f"{prefix}2 ({100 * explained[1]:.1f}%)")
