"""Summary figures (PNG): cohort rankings of variants or features, and one patient's summary.

Patients are named by their observation index in the store, never by an identifier.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from pgxdl.interpret.track_plots import NEGATIVE, POSITIVE  # noqa: E402
from pgxdl.io import save_png  # noqa: E402


def plot_ranking(summary: pd.DataFrame, label: str, value: str = "mean_abs", top: int = 20,
                 title: str = "", xlabel: str = "mean |attribution|",
                 highlight: set[str] | None = None, path: str | Path | None = None
                 ) -> plt.Figure:
    """Horizontal bars of the ``top`` rows of a cohort summary, largest on top.

    Parameters
    ----------
    summary : a cohort summary (one row per variant, gene or feature).
    label : column naming each bar (``variant``, ``gene``, ``feature``).
    value : column to plot; bars are coloured by the sign of ``mean`` when present.
    highlight : labels to mark with a star (e.g. the known causal variants).
    """
    rows = summary.sort_values(value, key=np.abs, ascending=False).head(top).iloc[::-1]
    names = [f"{name} *" if highlight and name in highlight else str(name)
             for name in rows[label]]
    sign = rows["mean"] if "mean" in rows else rows[value]
    figure, axis = plt.subplots(figsize=(6.5, 0.3 * len(rows) + 1.2))
    axis.barh(names, rows[value], color=np.where(sign >= 0, POSITIVE, NEGATIVE))
    axis.set_xlabel(xlabel)
    axis.set_title(title or f"top {len(rows)} by {value}")
    axis.tick_params(axis="y", labelsize=8)
    if highlight:
        axis.text(1.0, -0.12, "* known causal", transform=axis.transAxes, ha="right",
                  fontsize=7)
    if path is not None:
        save_png(figure, Path(path))
    return figure


def plot_patient_summary(observation: int, prediction: float, target: float, task: str,
                         units: str, variants: pd.DataFrame, features: pd.DataFrame,
                         genes: pd.DataFrame, top: int = 12, path: str | Path | None = None
                         ) -> plt.Figure:
    """One patient: the largest variant and feature contributions and per-gene totals.

    Parameters
    ----------
    observation : the store's observation index (the figure's only name for the person).
    prediction, target : the model's prediction and the observed value (NaN if missing).
    variants, features, genes : this observation's rows of the explanation tables.
    """
    parts = [variants.assign(name=variants["variant"].astype(str) + " (" + variants["gene"]
                             + ")")[["name", "attribution"]],
             features.assign(name=features["feature"])[["name", "attribution"]]]
    contributions = pd.concat([p for p in parts if len(p)], ignore_index=True)
    contributions = (contributions.sort_values("attribution", key=np.abs, ascending=False)
                     .head(top).iloc[::-1])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 0.32 * max(len(contributions), 4)
                                                           + 1.6),
                                         gridspec_kw={"width_ratios": [2, 1]})
    left.barh(contributions["name"], contributions["attribution"],
              color=np.where(contributions["attribution"] >= 0, POSITIVE, NEGATIVE))
    left.axvline(0, color="0.3", lw=0.6)
    left.set_xlabel(f"contribution to {task}" + (f" ({units})" if units else ""))
    left.set_title("largest contributions")
    left.tick_params(axis="y", labelsize=8)
    right.barh(genes["gene"].astype(str), genes["attribution"],
               color=np.where(genes["attribution"] >= 0, POSITIVE, NEGATIVE))
    right.axvline(0, color="0.3", lw=0.6)
    right.set_title("per gene")
    observed = "" if not np.isfinite(target) else f", observed {target:.3g}"
    figure.suptitle(f"observation {observation}: predicted {task} {prediction:.3g} "
                    f"{units}{observed}".replace("  ", " "))
    figure.tight_layout()
    if path is not None:
        save_png(figure, Path(path))
    return figure
