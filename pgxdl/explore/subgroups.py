"""What characterises each cluster: size, enriched variants, and target distributions.

Characteristic variants compare the mean dosage (twice the alternate-allele frequency) of a
cluster with that of the other clusters by Welch's t-test per variant, with the
Benjamini-Hochberg false discovery rate over every (cluster, variant) test. Targets are
compared between clusters with Kruskal-Wallis (regression) or a chi-squared test of the
cluster x class table (binary, multiclass). DBSCAN noise rows (label -1) belong to no
subgroup and are left out of the tests.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from pgxdl.data.spec import TaskSpec
from pgxdl.explore.clustering import NOISE
from pgxdl.explore.features import FeatureMatrix
from pgxdl.explore.stability import agreement
from pgxdl.tasks import task_kind


def cluster_sizes(labels: np.ndarray) -> pd.DataFrame:
    """Rows per cluster (noise as cluster -1): columns ``cluster``, ``size``, ``fraction``."""
    clusters, counts = np.unique(labels, return_counts=True)
    return pd.DataFrame({"cluster": clusters, "size": counts, "fraction": counts / len(labels)})


def characteristic_variants(genotypes: FeatureMatrix, labels: np.ndarray, alpha: float = 0.05,
                            top: int | None = 20) -> pd.DataFrame:
    """Variants whose allele frequency differs in a cluster from the rest.

    Parameters
    ----------
    genotypes : ``(N, V)`` dosages whose rows match ``labels (N,)``.
    alpha : keep tests with Benjamini-Hochberg ``q_value <= alpha``.
    top : keep at most this many per cluster, smallest q first (``None``: all).

    Returns
    -------
    DataFrame with ``cluster``, ``variant``, ``alt_freq_cluster``, ``alt_freq_rest``,
    ``difference`` (cluster minus rest), ``t``, ``p_value``, ``q_value``.
    """
    dosage = genotypes.values.astype(np.float64)
    if len(dosage) != len(labels):
        raise ValueError(f"genotypes have {len(dosage)} rows, labels {len(labels)}")
    frames = []
    for c in np.unique(labels[labels != NOISE]):
        inside = labels == c
        outside = (labels != c) & (labels != NOISE)
        if inside.sum() < 2 or outside.sum() < 2:
            continue
        with warnings.catch_warnings():  # near-constant variants: p-values stay valid
            warnings.simplefilter("ignore", RuntimeWarning)
            t, p = stats.ttest_ind(dosage[inside], dosage[outside], axis=0, equal_var=False)
        freq_in, freq_out = dosage[inside].mean(axis=0) / 2, dosage[outside].mean(axis=0) / 2
        frames.append(pd.DataFrame({
            "cluster": int(c), "variant": genotypes.names, "alt_freq_cluster": freq_in,
            "alt_freq_rest": freq_out, "difference": freq_in - freq_out,
            "t": np.nan_to_num(t), "p_value": np.nan_to_num(p, nan=1.0)}))
    columns = ["cluster", "variant", "alt_freq_cluster", "alt_freq_rest", "difference", "t",
               "p_value", "q_value"]
    if not frames:
        return pd.DataFrame(columns=columns)
    tests = pd.concat(frames, ignore_index=True)
    tests["q_value"] = stats.false_discovery_control(tests["p_value"].to_numpy(), method="bh")
    hits = tests[tests["q_value"] <= alpha].sort_values(["cluster", "q_value", "p_value"])
    if top is not None:
        hits = hits.groupby("cluster", sort=True).head(top)
    return hits[columns].reset_index(drop=True)


def target_tests(targets: pd.DataFrame, tasks: list[TaskSpec], labels: np.ndarray
                 ) -> pd.DataFrame:
    """A test of difference between clusters for each task.

    ``targets`` is ``(N, T)`` (NaN missing) with rows matching ``labels (N,)``. Returns
    ``task``, ``kind``, ``test``, ``statistic``, ``p_value``, ``n``, ``n_clusters``; the
    statistic and p-value are NaN when fewer than two clusters have labelled rows.
    """
    rows = []
    for task in tasks:
        values, groups = _labelled(targets[task.name].to_numpy(), labels)
        present = np.unique(groups)
        statistic = p_value = np.nan
        if task_kind(task).continuous:
            test = "kruskal"
            if len(present) >= 2 and len(np.unique(values)) > 1:
                statistic, p_value = stats.kruskal(*[values[groups == g] for g in present])
        else:
            test = "chi2"
            table = pd.crosstab(groups, values).to_numpy()
            if table.shape[0] >= 2 and table.shape[1] >= 2:
                result = stats.chi2_contingency(table)
                statistic, p_value = result.statistic, result.pvalue
        rows.append({"task": task.name, "kind": task.kind, "test": test,
                     "statistic": float(statistic), "p_value": float(p_value),
                     "n": len(values), "n_clusters": len(present)})
    return pd.DataFrame(rows)


def target_summary(targets: pd.DataFrame, tasks: list[TaskSpec], labels: np.ndarray
                   ) -> pd.DataFrame:
    """Per task and cluster: ``n`` and ``measure`` / ``value`` pairs.

    Regression tasks get ``mean``, ``median``, ``q25``, ``q75``; binary and multiclass tasks
    get ``fraction_<class>`` for each class seen.
    """
    rows = []
    for task in tasks:
        values, groups = _labelled(targets[task.name].to_numpy(), labels)
        classes = None if task_kind(task).continuous else np.unique(values)
        for g in np.unique(groups):
            mine = values[groups == g]
            if classes is None:
                q25, median, q75 = np.percentile(mine, [25, 50, 75])
                measures = {"mean": mine.mean(), "median": median, "q25": q25, "q75": q75}
            else:
                measures = {f"fraction_{c:g}": float(np.mean(mine == c)) for c in classes}
            rows += [{"task": task.name, "cluster": int(g), "n": len(mine), "measure": m,
                      "value": float(v)} for m, v in measures.items()]
    return pd.DataFrame(rows, columns=["task", "cluster", "n", "measure", "value"])


def band_separation(labels: np.ndarray, target: np.ndarray, n_bands: int = 3
                    ) -> dict[str, float]:
    """How well clusters separate quantile bands of a regression target ``(N,)``.

    The target is cut into ``n_bands`` equal-frequency bands (e.g. low, middle, high dose).
    Returns ARI and NMI between clusters and bands and the Kruskal-Wallis p-value of the
    target across clusters (noise and missing targets left out).
    """
    values, groups = _labelled(np.asarray(target, dtype=np.float64), labels)
    bands = pd.qcut(values, n_bands, labels=False, duplicates="drop")
    result = agreement(groups, np.asarray(bands))
    present = np.unique(groups)
    result["kruskal_p"] = (float(stats.kruskal(*[values[groups == g] for g in present]).pvalue)
                           if len(present) >= 2 else float("nan"))
    return result


def _labelled(values: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(values) & (labels != NOISE)
    return values[keep], labels[keep]
