"""PNG plots of subgroups: embeddings, dendrograms and per-cluster target distributions.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot state, no display
needed) and written atomically. Plots show store rows only, never subject identifiers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.cluster.hierarchy import dendrogram

from pgxdl.data.spec import TaskSpec
from pgxdl.explore.clustering import NOISE
from pgxdl.io import save_png
from pgxdl.tasks import task_kind

_NOISE_COLOUR = "#b0b0b0"


def plot_embedding(coords: np.ndarray, colour_by: np.ndarray, path: str | Path, title: str = "",
                   axis_names: tuple[str, str] = ("dim 1", "dim 2"),
                   legend_title: str = "") -> Path:
    """Scatter of ``coords (N, >= 2)`` (first two columns), coloured by ``colour_by (N,)``.

    ``colour_by`` holds cluster labels or group names; cluster ``-1`` (noise) is grey.
    """
    figure = Figure(figsize=(6.4, 5.2))
    ax = figure.subplots()
    values = np.asarray(colour_by)
    groups = np.unique(values)
    palette = _palette(len(groups))
    for i, group in enumerate(groups):
        mine = values == group
        is_noise = np.issubdtype(values.dtype, np.integer) and group == NOISE
        ax.scatter(coords[mine, 0], coords[mine, 1], s=6, alpha=0.7, linewidths=0,
                   color=_NOISE_COLOUR if is_noise else palette[i],
                   label=f"{'noise' if is_noise else group} (n={int(mine.sum())})")
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    ax.legend(title=legend_title or None, fontsize=7, markerscale=2.5, loc="best",
              ncol=1 if len(groups) <= 12 else 2)
    return save_png(figure, path)


def plot_dendrogram(tree: np.ndarray, n_clusters: int, path: str | Path, title: str = "",
                    leaves: int = 40) -> Path:
    """Ward dendrogram of ``tree (N - 1, 4)``, cut colours at ``n_clusters``.

    Only the last ``leaves`` merges are drawn; a leaf is labelled with its row count
    (never a row index).
    """
    figure = Figure(figsize=(8, 4.5))
    ax = figure.subplots()
    heights = tree[:, 2]
    cut = (heights[-n_clusters] + heights[-n_clusters + 1]) / 2 if n_clusters >= 2 else None
    n = len(tree) + 1
    dendrogram(tree, ax=ax, truncate_mode="lastp", p=leaves, color_threshold=cut,
               above_threshold_color="#555555", leaf_rotation=90, leaf_font_size=7,
               leaf_label_func=lambda i: f"({1 if i < n else int(tree[i - n, 3])})")
    if cut is not None:
        ax.axhline(cut, color="#aa3333", linestyle="--", linewidth=0.8)
    ax.set_ylabel("Ward distance")
    ax.set_title(title or f"Hierarchical clustering ({n_clusters} clusters)")
    return save_png(figure, path)


def plot_target_distributions(targets: pd.DataFrame, tasks: list[TaskSpec], labels: np.ndarray,
                              path: str | Path, title: str = "",
                              p_values: dict[str, float] | None = None) -> Path:
    """One panel per task: box plots per cluster (regression) or class fractions (others).

    ``targets`` is ``(N, T)`` with rows matching ``labels (N,)``; ``p_values`` (task name
    to the p-value of the between-cluster test) are shown in the panel titles.
    """
    figure = Figure(figsize=(4.2 * max(len(tasks), 1), 4.0))
    axes = np.atleast_1d(figure.subplots(1, max(len(tasks), 1)))
    for ax, task in zip(axes, tasks, strict=False):
        values = targets[task.name].to_numpy()
        keep = ~np.isnan(values) & (labels != NOISE)
        clusters = np.unique(labels[keep])
        groups = [values[keep & (labels == c)] for c in clusters]
        names = [str(c) for c in clusters]
        if task_kind(task).continuous:
            ax.boxplot(groups, tick_labels=names, showfliers=False)
            ax.set_ylabel(f"{task.name} ({task.units})" if task.units else task.name)
        else:
            classes = np.unique(values[keep])
            bottom = np.zeros(len(groups))
            for colour, cls in zip(_palette(len(classes)), classes, strict=True):
                share = np.array([np.mean(g == cls) for g in groups])
                ax.bar(names, share, bottom=bottom, color=colour, label=f"{cls:g}")
                bottom += share
            ax.set_ylabel(f"fraction of {task.name}")
            ax.legend(title="class", fontsize=7)
        ax.set_xlabel("cluster")
        p_value = (p_values or {}).get(task.name)
        ax.set_title(task.name if p_value is None else f"{task.name} (p = {p_value:.2g})")
    figure.suptitle(title)
    return save_png(figure, path)


def _palette(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]
