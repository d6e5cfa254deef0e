"""Figures of the dosing reports, as PNG bytes for inline ``data:`` URIs (nothing fetched)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

RAISES, LOWERS = "#b2182b", "#2166ac"


def png_data_uri(figure) -> str:
    """``data:image/png;base64,...`` of a matplotlib figure (closed afterwards)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def dose_figure(prediction: dict, formula: float | None, units: str) -> str:
    """The predicted dose, its interval, ensemble members and the IWPC formula dose."""
    figure, ax = plt.subplots(figsize=(6.4, 1.1))
    point = prediction["pred"]
    if prediction.get("low") is not None:
        ax.plot([prediction["low"], prediction["high"]], [0, 0], color="#444", lw=6,
                alpha=0.35, solid_capstyle="round", label=f"{prediction['level']:.0%} interval")
    members = prediction.get("members") or []
    if len(members) > 1:
        ax.scatter(members, np.zeros(len(members)) + 0.18, s=14, color="#777",
                   label="ensemble members")
    ax.scatter([point], [0], s=90, color="black", zorder=3, label="model")
    if formula is not None:
        ax.scatter([formula], [-0.18], s=70, marker="D", color="#e08214", zorder=3,
                   label="IWPC formula")
    ax.set_yticks([])
    ax.set_ylim(-0.35, 0.3)
    ax.set_xlabel(units, fontsize=9)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, frameon=False,
              fontsize=8)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    return png_data_uri(figure)


def drivers_figure(effects: list[dict], units: str, top: int = 8) -> str:
    """Horizontal bars: how much each field or variant moved the prediction."""
    shown = effects[:top][::-1]
    figure, ax = plt.subplots(figsize=(6.4, 0.35 * len(shown) + 0.8))
    values = [e["effect"] for e in shown]
    labels = [f"{e['name']} ({_value(e['value'])})" for e in shown]
    ax.barh(labels, values, color=[RAISES if v > 0 else LOWERS for v in values])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"change in predicted dose ({units}); right raises, left lowers")
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    return png_data_uri(figure)


def cohort_figure(doses: np.ndarray, formula: np.ndarray, units: str) -> str:
    """Histogram of the predicted doses (and the formula doses) of a cohort."""
    figure, ax = plt.subplots(figsize=(6.4, 2.4))
    bins = np.histogram_bin_edges(np.concatenate([doses, formula[~np.isnan(formula)]]),
                                  bins=20)
    ax.hist(doses, bins=bins, color="#555", alpha=0.8, label="model")
    if np.isfinite(formula).any():
        ax.hist(formula[np.isfinite(formula)], bins=bins, histtype="step", color="#e08214",
                lw=2, label="IWPC formula")
    ax.set_xlabel(units)
    ax.set_ylabel("patients")
    ax.legend(frameon=False)
    return png_data_uri(figure)


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "missing" if value is None else str(value)
