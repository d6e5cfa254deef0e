"""Figures along a sequence window: attribution tracks and sequence logos (PNG).

Positions are genomic (1-based, + strand): window ``start + offset``. Exons, when given,
are ``(start, end)`` genomic intervals, 1-based and inclusive.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import logomaker
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pgxdl.genome.encoding import ALPHABET  # noqa: E402
from pgxdl.io import save_png  # noqa: E402

POSITIVE, NEGATIVE, EXON = "#c0392b", "#2e6da4", "#f2d16b"


def per_base(attribution: np.ndarray) -> np.ndarray:
    """``(4, L)`` per-base attributions of one window's ``(C, L)`` map (C = 4 or 8).

    Phased inputs (C = 8, two haplotypes of 4 channels) are summed over the haplotypes.
    """
    attribution = np.asarray(attribution)
    channels = attribution.shape[0]
    if channels % 4:
        raise ValueError(f"expected 4 or 8 channels, got an attribution map of shape "
                         f"{attribution.shape}")
    return attribution.reshape(channels // 4, 4, -1).sum(axis=0)


def plot_attribution_track(attribution: np.ndarray, window: dict,
                           variants: pd.DataFrame | None = None,
                           exons: Sequence[tuple[int, int]] = (), title: str = "",
                           n_labels: int = 5, path: str | Path | None = None) -> plt.Figure:
    """Channel-summed attribution along one window, with variant markers and exons.

    Parameters
    ----------
    attribution : ``(C, L)`` attribution map of one window (or ``(L,)`` already summed).
    window : the store's window dict (``name``, ``gene``, ``chrom``, ``start``, ``end``).
    variants : rows with ``pos``, ``variant`` and ``attribution`` (one person's carried
        variants in this window); the ``n_labels`` largest in magnitude are named.
    exons : genomic ``(start, end)`` intervals to shade.
    path : where to write the PNG (the figure is then closed); else it is returned open.
    """
    values = np.asarray(attribution)
    values = values.sum(axis=0) if values.ndim == 2 else values
    positions = window["start"] + np.arange(len(values))
    figure, axis = plt.subplots(figsize=(11, 3.2))
    inside = [(s, e) for s, e in exons if e >= positions[0] and s <= positions[-1]]
    for i, (start, end) in enumerate(inside):
        axis.axvspan(max(start, positions[0]) - 0.5, min(end, positions[-1]) + 0.5,
                     color=EXON, alpha=0.35, lw=0, label="exon" if i == 0 else None)
    colours = np.where(values >= 0, POSITIVE, NEGATIVE)
    axis.bar(positions, values, width=1.0, color=colours, lw=0)
    axis.axhline(0, color="0.3", lw=0.6)
    if variants is not None and len(variants):
        marked = variants.sort_values("attribution", key=np.abs, ascending=False)
        axis.scatter(marked["pos"], marked["attribution"], marker="v", s=28, color="k",
                     zorder=3, label="carried variant")
        for _, row in marked.head(n_labels).iterrows():
            axis.annotate(str(row["variant"]), (row["pos"], row["attribution"]),
                          textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    axis.set_xlim(positions[0] - 0.5, positions[-1] + 0.5)
    axis.set_xlabel(f"{window['chrom']} position ({window['gene']}, window {window['name']})")
    axis.set_ylabel("attribution")
    axis.set_title(title or f"attribution along {window['name']}")
    if axis.get_legend_handles_labels()[0]:
        axis.legend(loc="upper right", fontsize=8, frameon=False)
    if path is not None:
        save_png(figure, Path(path))
    return figure


def plot_sequence_logo(attribution: np.ndarray, window: dict, start: int, end: int,
                       title: str = "", highlight: Sequence[int] = (),
                       path: str | Path | None = None) -> plt.Figure:
    """Sequence logo of per-base attributions over offsets ``start..end`` (inclusive).

    Parameters
    ----------
    attribution : ``(C, L)`` attribution map of one window (C = 4 or 8).
    window : the store's window dict; the x axis shows genomic positions.
    start, end : 0-based offsets within the window.
    highlight : genomic positions to shade (e.g. the carried variants).
    """
    length = np.asarray(attribution).shape[-1]
    if not 0 <= start <= end < length:
        raise ValueError(f"logo region {start}..{end} is outside window {window['name']} "
                         f"(offsets 0..{length - 1})")
    bases = per_base(attribution)[:, start:end + 1]
    positions = window["start"] + np.arange(start, end + 1)
    frame = pd.DataFrame(bases.T, columns=list(ALPHABET), index=positions)
    figure, axis = plt.subplots(figsize=(max(4.0, 0.28 * len(positions)), 2.6))
    logo = logomaker.Logo(frame, ax=axis, color_scheme="classic", flip_below=False)
    for position in highlight:
        if positions[0] <= position <= positions[-1]:
            logo.highlight_position(p=int(position), color="gold", alpha=0.4)
    axis.axhline(0, color="0.3", lw=0.6)
    axis.set_xlabel(f"{window['chrom']} position")
    axis.set_ylabel("attribution")
    axis.set_title(title or f"{window['name']} {positions[0]}-{positions[-1]}")
    if path is not None:
        save_png(figure, Path(path))
    return figure
