"""Evaluation figures (PNG, matplotlib Agg) from a predictions table and a metrics report.

Each task's kind names the figures that apply (:attr:`pgxdl.tasks.TaskKind.plots` and
``group_plots``, keys of :data:`TASK_PLOTS` and :data:`GROUP_PLOTS`):

- ``pred_vs_obs``: predicted vs observed (identity line; 90% interval bars for
  heteroscedastic heads), in the task's reported units;
- ``calibration``: reliability diagram; ``confusion``: confusion matrix;
- ``residuals``: residuals by subgroup, per group key;

and every task gets a forest plot of its headline metric per subgroup, with bootstrap CIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay  # noqa: E402

from pgxdl.data.spec import TaskSpec  # noqa: E402
from pgxdl.io import save_png  # noqa: E402
from pgxdl.tasks import task_kind  # noqa: E402
from pgxdl.tasks.metrics import CALIBRATION_BINS, INTERVAL_LEVEL, calibration_bins  # noqa: E402


def task_arrays(table: pd.DataFrame, task: TaskSpec) -> dict[str, np.ndarray]:
    """The labelled rows of ``task`` (:meth:`pgxdl.tasks.TaskKind.metric_arrays`)."""
    return task_kind(task).metric_arrays(table)


def _label(task: TaskSpec, what: str) -> str:
    """Axis label in reported units, saying when a stored transform was undone."""
    notes = [task.units] if task.units else []
    if task.transform != "identity":
        notes.append(f"{task.transform} scale undone")
    return f"{what} {task.name}" + (f" ({', '.join(notes)})" if notes else "")


def plot_predicted_vs_observed(table: pd.DataFrame, task: TaskSpec, path: Path) -> Path:
    """Scatter of predicted against observed values of a regression task."""
    d = task_arrays(table, task)
    figure, axis = plt.subplots(figsize=(5, 5))
    if "low" in d:
        spans = np.clip([d["pred"] - d["low"], d["high"] - d["pred"]], 0, None)
        axis.errorbar(d["target"], d["pred"], yerr=spans, fmt="none", ecolor="0.75",
                      elinewidth=0.6, label=f"{INTERVAL_LEVEL:.0%} prediction interval")
    axis.scatter(d["target"], d["pred"], s=8, alpha=0.6)
    if len(d["target"]):
        low = float(min(d["target"].min(), d["pred"].min()))
        high = float(max(d["target"].max(), d["pred"].max()))
        axis.plot([low, high], [low, high], "k--", lw=1, label="identity")
    axis.set(xlabel=_label(task, "observed"), ylabel=_label(task, "predicted"),
             title=f"{task.name}: predicted vs observed (n = {len(d['target'])})")
    axis.legend(loc="upper left", fontsize=8)
    return save_png(figure, path)


def plot_confusion(table: pd.DataFrame, task: TaskSpec, path: Path) -> Path:
    """Confusion matrix (rows observed, columns predicted) of a multiclass task."""
    d = task_arrays(table, task)
    figure, axis = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(d["target"].astype(int), d["pred"].astype(int),
                                            labels=list(range(task.n_classes)), ax=axis,
                                            colorbar=False)
    axis.set_title(f"{task.name}: confusion matrix (n = {len(d['target'])})")
    return save_png(figure, path)


def plot_calibration(table: pd.DataFrame, task: TaskSpec, path: Path) -> Path:
    """Reliability diagram of a binary task: observed rate against mean predicted P(y = 1)."""
    d = task_arrays(table, task)
    bins = calibration_bins(d["prob"])
    counts = np.bincount(bins, minlength=CALIBRATION_BINS)
    filled = counts > 0
    mean_prob = np.bincount(bins, d["prob"], CALIBRATION_BINS)[filled] / counts[filled]
    observed = np.bincount(bins, d["target"], CALIBRATION_BINS)[filled] / counts[filled]
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(5, 6), sharex=True,
                                         gridspec_kw={"height_ratios": [3, 1]})
    top.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    top.plot(mean_prob, observed, "o-", label="model")
    top.set(ylabel="observed fraction positive", xlim=(0, 1), ylim=(0, 1),
            title=f"{task.name}: reliability (n = {len(d['target'])})")
    top.legend(loc="upper left", fontsize=8)
    edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
    bottom.bar(edges[:-1], counts, width=1 / CALIBRATION_BINS, align="edge", edgecolor="w")
    bottom.set(xlabel=f"predicted P({task.name} = 1)", ylabel="count")
    return save_png(figure, path)


def plot_residuals_by_group(table: pd.DataFrame, task: TaskSpec, group_key: str,
                            path: Path) -> Path:
    """Box plot of residuals (predicted - observed) of a regression task per subgroup."""
    d = task_arrays(table, task)
    labels = table.loc[table[f"{task.name}.mask"].to_numpy(bool), group_key].astype(str)
    residual = d["pred"] - d["target"]
    names = sorted(labels.unique())
    groups = [residual[labels.to_numpy() == name] for name in names]
    figure, axis = plt.subplots(figsize=(max(4.0, 0.8 * len(names) + 2), 4))
    axis.boxplot(groups, showfliers=False)
    axis.set_xticks(range(1, len(names) + 1),
                    [f"{n}\n(n={len(g)})" for n, g in zip(names, groups, strict=True)])
    axis.axhline(0, color="k", lw=1, ls="--")
    axis.set(xlabel=group_key, ylabel=_label(task, "predicted - observed"),
             title=f"{task.name}: residuals by {group_key}")
    return save_png(figure, path)


def plot_subgroup_metric(task_report: dict, task_name: str, group_key: str, metric: str,
                         path: Path) -> Path:
    """Forest plot of ``metric`` per subgroup with CIs; the overall value as a band.

    ``task_report`` is one task's entry of :func:`pgxdl.evaluation.scoring.score_table`.
    Small subgroups are drawn hollow and marked ``(small)``.
    """
    groups = task_report["subgroups"][group_key]
    names = sorted(groups)
    figure, axis = plt.subplots(figsize=(5.5, 0.45 * len(names) + 1.6))
    overall = task_report["metrics"][metric]
    if np.all(np.isfinite(overall["ci"])):
        axis.axvspan(*overall["ci"], color="0.9", label=f"overall {metric} CI")
    axis.axvline(overall["value"], color="k", lw=1, label="overall")
    for row, name in enumerate(names):
        entry = groups[name]["metrics"][metric]
        # a percentile interval need not contain the point estimate: clip the bar lengths
        spans = np.clip([[entry["value"] - entry["ci"][0]], [entry["ci"][1] - entry["value"]]],
                        0, None)
        axis.errorbar([entry["value"]], [row], xerr=np.nan_to_num(spans),
                      fmt="o", color="C0", mfc="w" if groups[name]["small"] else "C0",
                      capsize=3)
    axis.set_yticks(range(len(names)),
                    [f"{n} (n={groups[n]['n']}{', small' if groups[n]['small'] else ''})"
                     for n in names])
    axis.invert_yaxis()
    axis.set(xlabel=metric, title=f"{task_name}: {metric} by {group_key} "
                                  f"({task_report.get('level', 0.95):.0%} CI)")
    axis.legend(loc="best", fontsize=8)
    return save_png(figure, path)


#: Figures of one task, by the names task kinds give in ``plots``.
TASK_PLOTS = {"pred_vs_obs": plot_predicted_vs_observed, "calibration": plot_calibration,
              "confusion": plot_confusion}
#: Figures of one task per group key, by the names task kinds give in ``group_plots``.
GROUP_PLOTS = {"residuals": plot_residuals_by_group}


def write_plots(table: pd.DataFrame, tasks: Sequence[TaskSpec], report: dict,
                group_keys: Sequence[str], out_dir: str | Path) -> list[Path]:
    """Every figure for ``tasks``; returns the paths written under ``out_dir``.

    Files: ``<task>_<plot>.png``, ``<task>_<plot>_by_<key>.png`` and
    ``<task>_<headline metric>_by_<key>.png``.
    """
    out = Path(out_dir)
    written = []
    for task in tasks:
        name, kind = task.name, task_kind(task)
        if not table[kind.column("mask")].any():
            continue
        written += [TASK_PLOTS[plot](table, task, out / f"{name}_{plot}.png")
                    for plot in kind.plots]
        written += [GROUP_PLOTS[plot](table, task, key, out / f"{name}_{plot}_by_{key}.png")
                    for plot in kind.group_plots for key in group_keys]
        task_report = {**report["tasks"][name], "level": report["level"]}
        metric = kind.headline_metric
        written += [plot_subgroup_metric(task_report, name, key, metric,
                                         out / f"{name}_{metric}_by_{key}.png")
                    for key in group_keys]
    return written
