"""GDSC pair-level metrics: global, per drug, per tissue, each with a bootstrap CI.

Global Pearson, Spearman and RMSE over test pairs use :func:`pgxdl.evaluation.bootstrap.
bootstrap_metrics` with a cluster bootstrap (pairs of one cell line, or of one drug in the
drug-blind design, are resampled together). The per-drug Pearson (each drug's correlation
over its test cell lines, for drugs with at least ``min_cells``) shows whether genomics is
used at all, since the drug mean alone gives a high global r; its median's CI resamples
drugs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.evaluation.bootstrap import bootstrap_metrics
from pgxdl.tasks.metrics import pearson, rmse, spearman

GLOBAL_METRICS = {"pearson": pearson, "spearman": spearman, "rmse": rmse}
MIN_CELLS = 20


def per_drug_pearson(target: np.ndarray, pred: np.ndarray, drug: np.ndarray,
                     min_cells: int = MIN_CELLS) -> pd.Series:
    """Pearson r per drug over its pairs ``(P,)``, for drugs with ``>= min_cells`` pairs and
    a non-constant prediction; indexed by drug index."""
    frame = pd.DataFrame({"t": target, "p": pred, "d": drug})
    counts = frame["d"].value_counts()
    frame = frame[frame["d"].isin(counts.index[counts >= min_cells])]
    r = {d: (np.corrcoef(g["t"], g["p"])[0, 1] if np.ptp(g["p"]) > 0 and np.ptp(g["t"]) > 0
             else np.nan) for d, g in frame.groupby("d")}
    return pd.Series(r, dtype=float).dropna()


def median_ci(values: np.ndarray, n_boot: int, seed: int, level: float = 0.95) -> list[float]:
    """Percentile CI of the median of ``values`` resampled with replacement."""
    if len(values) == 0 or n_boot == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    draws = np.median(rng.choice(values, size=(n_boot, len(values))), axis=1)
    tail = 50 * (1 - level)
    return np.percentile(draws, [tail, 100 - tail]).tolist()


def score_pairs(target: np.ndarray, pred: np.ndarray, drug: np.ndarray, cell: np.ndarray,
                tissue: np.ndarray, cluster_by: str = "cell", n_boot: int = 200,
                seed: int = 0, min_cells: int = MIN_CELLS, min_tissue_pairs: int = 200
                ) -> dict:
    """Every GDSC metric of test pairs ``(P,)``.

    Parameters
    ----------
    target, pred : observed and predicted ln IC50. drug, cell : indices. tissue : labels.
    cluster_by : ``cell`` or ``drug``, the unit the global bootstrap resamples.
    n_boot, seed : bootstrap resamples and seed. min_cells : per-drug threshold.
    min_tissue_pairs : tissues with fewer test pairs are not scored on their own.

    Returns
    -------
    ``{"n_pairs", "global": {metric: {"value", "ci"}}, "per_drug_pearson": {"median",
    "ci", "n_drugs", "by_drug"}, "per_tissue": {tissue: {metric: ...}}}``.
    """
    if cluster_by not in ("cell", "drug"):
        raise ValueError(f"cluster_by must be 'cell' or 'drug', got {cluster_by!r}")
    clusters = cell if cluster_by == "cell" else drug
    data = {"target": np.asarray(target, float), "pred": np.asarray(pred, float)}
    out = {"n_pairs": len(target),
           "global": _strip(bootstrap_metrics(data, GLOBAL_METRICS, n_boot, seed,
                                              clusters=clusters))}
    by_drug = per_drug_pearson(target, pred, drug, min_cells)
    out["per_drug_pearson"] = {
        "median": float(by_drug.median()) if len(by_drug) else float("nan"),
        "ci": median_ci(by_drug.to_numpy(), n_boot, seed), "n_drugs": len(by_drug),
        "by_drug": {int(k): float(v) for k, v in by_drug.items()}}
    out["per_tissue"] = {}
    for name in np.unique(tissue):
        rows = tissue == name
        if rows.sum() < min_tissue_pairs:
            continue
        part = {k: v[rows] for k, v in data.items()}
        out["per_tissue"][str(name)] = {"n_pairs": int(rows.sum()), **_strip(
            bootstrap_metrics(part, GLOBAL_METRICS, n_boot, seed, clusters=clusters[rows]))}
    return out


def paired_per_drug(model: dict[int, float], reference: dict[int, float], n_boot: int = 200,
                    seed: int = 0, level: float = 0.95) -> dict:
    """Per-drug Pearson of ``model`` minus ``reference`` (``{drug: r}``, as in
    :func:`score_pairs`' ``by_drug``) over the drugs both score.

    Returns ``{"n_drugs", "mean_diff", "ci"`` (percentile CI of the mean difference,
    resampling drugs), ``"median_diff", "share_better"`` (fraction of drugs where ``model``
    is higher)``}``.
    """
    drugs = sorted(set(model) & set(reference))
    diff = np.array([model[d] - reference[d] for d in drugs])
    if not len(diff):
        return {"n_drugs": 0, "mean_diff": float("nan"), "ci": [float("nan")] * 2,
                "median_diff": float("nan"), "share_better": float("nan")}
    rng = np.random.default_rng(seed)
    draws = rng.choice(diff, size=(n_boot, len(diff))).mean(axis=1)
    tail = 50 * (1 - level)
    ci = np.percentile(draws, [tail, 100 - tail]).tolist() if n_boot else [float("nan")] * 2
    return {"n_drugs": len(diff), "mean_diff": float(diff.mean()), "ci": ci,
            "median_diff": float(np.median(diff)), "share_better": float((diff > 0).mean())}


def _strip(result: dict) -> dict:
    return {name: {"value": r["value"], "ci": r["ci"]} for name, r in result.items()}
