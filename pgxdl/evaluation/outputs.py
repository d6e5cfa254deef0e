"""Write an evaluation's results: metrics.json, predictions.csv, and a compact text table.

``metrics.json`` holds the :func:`~pgxdl.evaluation.scoring.score_table` report plus
``context`` (store, split, part, checkpoint, fingerprints) and, for a simulated store,
``noise_floor``: the generative noise standard deviation of its dose task and what it
implies (an oracle that knows the noiseless dose has RMSE ``noise_sd`` and MAE
``noise_sd * sqrt(2 / pi)``). It is written by :func:`pgxdl.io.write_json` (non-finite
numbers as ``null``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from pgxdl.data.store import CohortStore
from pgxdl.io import atomic_write_text
from pgxdl.tasks import task_kind


def noise_floor(store: str | Path) -> dict | None:
    """The simulator's noise floor from the store's ``/truth`` (``None`` for real data)."""
    with CohortStore(store) as cohort:
        if "truth" not in cohort.h5:
            return None
        model = cohort.truth()["model"]
        regression = [t.name for t in cohort.tasks if task_kind(t).continuous]
    if "noise_sd" not in model or not regression:
        return None
    sd = float(model["noise_sd"])
    floor = {"task": regression[0], "noise_sd": sd, "rmse": sd, "mae": sd * math.sqrt(2 / math.pi)}
    if model.get("dose_sd"):
        floor["r2_ceiling"] = 1.0 - (sd / float(model["dose_sd"])) ** 2
    return floor


def write_predictions(table: pd.DataFrame, path: Path) -> Path:
    """The predictions table as CSV."""
    return atomic_write_text(path, table.to_csv(index=False, float_format="%.6g"))


def _interval(entry: dict) -> str:
    value, (low, high) = entry["value"], entry["ci"]
    if not math.isfinite(value):
        return "n/a"
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def format_summary(report: dict) -> str:
    """A compact text table: one line per task and metric, then each subgroup's size."""
    lines = [f"{'task':<16}{'metric':<18}{'value [' + format(report['level'], '.0%') + ' CI]'}"]
    for name, task in report["tasks"].items():
        for metric, entry in task["metrics"].items():
            lines.append(f"{name:<16}{metric:<18}{_interval(entry)}")
        lines.append(f"{name:<16}{'n':<18}{task['n']}")
        if task.get("units"):
            undone = task.get("transform", "identity")
            lines.append(f"{'':<16}{'units':<18}{task['units']}" + (
                f" (stored as {undone}, reported in these units)" if undone != "identity"
                else ""))
        for key, groups in task["subgroups"].items():
            sizes = ", ".join(f"{label}={g['n']}{'*' if g['small'] else ''}"
                              for label, g in groups.items())
            lines.append(f"{'':<16}{'n by ' + key:<18}{sizes}")
    floor = report.get("noise_floor")
    if floor:
        lines.append(f"noise floor of {floor['task']}: RMSE {floor['rmse']:.3f}, "
                     f"MAE {floor['mae']:.3f}" + (f", R2 <= {floor['r2_ceiling']:.3f}"
                                                  if "r2_ceiling" in floor else ""))
    if any(g["small"] for t in report["tasks"].values() for groups in t["subgroups"].values()
           for g in groups.values()):
        lines.append(f"* fewer than {report['min_group_size']} labelled observations")
    return "\n".join(lines)
