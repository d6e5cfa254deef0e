"""Score a predictions table: every task's metrics with CIs, overall and per subgroup.

The predictions table (see :mod:`pgxdl.evaluation.predictions`) has one row per
observation and, per task ``t``, the columns ``t.target``, ``t.mask`` and the task's
prediction columns (``t.pred``, ...). Group keys (``population``, ``site``, ...) are plain
columns. Which metrics a task gets, and their names, is its kind's business
(:meth:`pgxdl.tasks.TaskKind.metrics`; vocabulary in :mod:`pgxdl.tasks`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pgxdl.data.spec import TaskSpec
from pgxdl.evaluation.bootstrap import bootstrap_metrics
from pgxdl.tasks import TaskKind, task_kind

#: Subgroups with fewer labelled observations than this are flagged ``small``.
MIN_GROUP_SIZE = 30


def _score(arrays: dict[str, np.ndarray], kind: TaskKind, n_boot: int, rng_key: list[int],
           level: float, clusters: np.ndarray | None) -> dict:
    n = len(arrays["target"])
    metrics = kind.metrics(set(arrays))
    if n == 0:
        return {"n": 0, "metrics": {m: {"value": float("nan"), "ci": [float("nan")] * 2,
                                        "n_boot_valid": 0} for m in metrics}}
    return {"n": n, "metrics": bootstrap_metrics(arrays, metrics, n_boot,
                                                 np.random.default_rng(rng_key), level,
                                                 clusters=clusters)}


def score_table(table: pd.DataFrame, tasks: Sequence[TaskSpec],
                group_keys: Sequence[str] = (), n_boot: int = 1000, seed: int = 0,
                level: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
                clusters: np.ndarray | None = None) -> dict:
    """Metrics with percentile bootstrap CIs for each task, overall and per subgroup.

    Parameters
    ----------
    table : predictions table (one row per observation).
    tasks : the tasks to score (each needs its columns in ``table``).
    group_keys : columns to split by (e.g. ``population``, ``site``).
    n_boot, level : bootstrap resamples and confidence level.
    seed : base seed; each (task, group key, group) draws from its own stream, so adding a
        group key does not change any other interval.
    min_group_size : subgroups with fewer labelled observations are flagged ``small``.
    clusters : ``(len(table),)`` unit of resampling of each row (e.g. the subject, when
        subjects have rows for several drugs); ``None`` resamples rows. Kept out of the
        table so that no per-subject key is ever written.

    Returns
    -------
    ``{"n_boot", "level", "seed", "min_group_size", "tasks": {task: {"kind", "units",
    "transform", "headline_metric", "n", "metrics": {metric: {"value", "ci",
    "n_boot_valid"}}, "subgroups": {key: {label: {"n", "small", "metrics"}}}}}}``; values
    in the task's reported units (``units``, after the inverse of ``transform``)
    """
    missing = [key for key in group_keys if key not in table.columns]
    if missing:
        raise ValueError(f"predictions table has no group column(s) {missing}; "
                         f"columns are {list(table.columns)}")
    report = {"n_boot": n_boot, "level": level, "seed": seed,
              "min_group_size": min_group_size, "tasks": {}}
    if clusters is not None and len(clusters) != len(table):
        raise ValueError(f"clusters has {len(clusters)} entries for {len(table)} rows")
    for t, task in enumerate(tasks):
        kind = task_kind(task)
        arrays = kind.metric_arrays(table)
        rows = table[kind.column("mask")].to_numpy(dtype=bool)
        units = None if clusters is None else np.asarray(clusters)[rows]
        entry = {"kind": task.kind, "units": task.units, "transform": task.transform,
                 "headline_metric": kind.headline_metric,
                 **_score(arrays, kind, n_boot, [seed, t, 0, 0], level, units),
                 "subgroups": {}}
        for k, key in enumerate(group_keys):
            labels = table.loc[rows, key].astype(str).to_numpy()
            entry["subgroups"][key] = {}
            for g, label in enumerate(np.unique(labels)):
                inside = labels == label
                scored = _score({a: v[inside] for a, v in arrays.items()}, kind, n_boot,
                                [seed, t, k + 1, g], level,
                                None if units is None else units[inside])
                entry["subgroups"][key][str(label)] = {
                    "n": scored["n"], "small": scored["n"] < min_group_size,
                    "metrics": scored["metrics"]}
        report["tasks"][task.name] = entry
    return report
