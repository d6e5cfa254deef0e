"""Write an :class:`~pgxdl.interpret.explain.Explanation` to a folder: tables, JSON, PNGs.

Files (observations are store row indices; no subject identifier is written)::

    variants.csv  genes.csv  features.csv  predictions.csv   per observation
    variant_summary.csv  gene_summary.csv  feature_summary.csv   cohort means
    <level>_summary_by_<group>.csv                               per subgroup
    summary.json          the run, convergence deltas and the summaries as records
    plots/*.png           rankings; per patient: summary, tracks, a logo
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.interpret.explain import Explanation
from pgxdl.interpret.summary_plots import plot_patient_summary, plot_ranking
from pgxdl.interpret.track_plots import plot_attribution_track, plot_sequence_logo
from pgxdl.io import atomic_write_text, write_json

LEVELS = {"variants": "variant", "genes": "gene", "features": "feature"}


def read_bed_intervals(path: str | Path) -> dict[str, list[tuple[int, int]]]:
    """Intervals of a BED file by chromosome, converted to 1-based inclusive ``(start, end)``."""
    intervals: dict[str, list[tuple[int, int]]] = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        try:
            chrom, start, end = fields[0], int(fields[1]), int(fields[2])
        except (IndexError, ValueError):
            raise ValueError(f"{path}, line {number}: expected 'chrom start end' (BED), got "
                             f"{line!r}") from None
        if end <= start:
            raise ValueError(f"{path}, line {number}: end {end} <= start {start}")
        intervals.setdefault(chrom.removeprefix("chr"), []).append((start + 1, end))
    return intervals


def write_csv(table: pd.DataFrame, path: Path) -> Path:
    """``table`` as CSV (6 significant digits), written atomically."""
    return atomic_write_text(path, table.to_csv(index=False, float_format="%.6g"))


def _records(table: pd.DataFrame, top: int | None = None) -> list[dict]:
    rows = table if top is None else table.head(top)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in rows.to_dict(orient="records")]


def write_tables(explanation: Explanation, out: Path, groups: Sequence[str] = (),
                 top: int = 50) -> list[Path]:
    """Per-observation tables, cohort summaries (overall, per group) and ``summary.json``."""
    files = []
    for level in ("variants", "genes", "features", "predictions"):
        table = getattr(explanation, level)
        if len(table):
            files.append(write_csv(table, out / f"{level}.csv"))
    payload: dict = {
        "method": explanation.method, "task": explanation.task, "units": explanation.units,
        "n_observations": explanation.n_observations,
        "convergence_delta": _delta_stats(explanation.predictions["delta"]),
        "summaries": {}, "by_group": {}}
    for level, name in LEVELS.items():
        if not len(getattr(explanation, level)):
            continue
        summary = explanation.summary(level)
        files.append(write_csv(summary, out / f"{name}_summary.csv"))
        payload["summaries"][level] = _records(summary, top)
        if level == "variants" and "ism" in explanation.variants:
            ism = explanation.summary(level, value="ism")
            files.append(write_csv(ism, out / "variant_ism_summary.csv"))
            payload["summaries"]["variants_ism"] = _records(ism, top)
        for group in groups:
            by_group = explanation.summary(level, group)
            files.append(write_csv(by_group, out / f"{name}_summary_by_{group}.csv"))
            payload["by_group"].setdefault(group, {})[level] = _records(by_group, top)
    files.append(write_json(out / "summary.json", payload))
    return files


def _delta_stats(delta: pd.Series) -> dict | None:
    values = delta.dropna().abs().to_numpy()
    if not len(values):
        return None
    return {"mean_abs": float(values.mean()), "max_abs": float(values.max()),
            "median_abs": float(np.median(values))}


def write_plots(explanation: Explanation, windows: list[dict], out: Path,
                exons: dict[str, list[tuple[int, int]]] | None = None, n_patients: int = 3,
                top: int = 20, highlight: set[str] | None = None) -> list[Path]:
    """Ranking figures, and for the first ``n_patients`` kept maps: summary, tracks, logo."""
    plots, files = out / "plots", []
    what = f"{explanation.method}, {explanation.task}"
    for level, name in LEVELS.items():
        if len(getattr(explanation, level)):
            path = plots / f"{name}_ranking.png"
            plot_ranking(explanation.summary(level), name, top=top,
                         title=f"{level}: mean |attribution| ({what})",
                         highlight=highlight if level == "variants" else None, path=path)
            files.append(path)
    by_observation = {level: dict(tuple(getattr(explanation, level).groupby("observation")))
                      for level in LEVELS if len(getattr(explanation, level))}
    predictions = explanation.predictions.set_index("observation")
    empty = pd.DataFrame(columns=["variant", "gene", "pos", "window", "attribution",
                                  "feature"])
    for observation, attribution in list(explanation.maps.items())[:n_patients]:
        mine = {level: rows.get(observation, empty) for level, rows in by_observation.items()}
        variants = mine.get("variants", empty)
        path = plots / f"patient_obs{observation}.png"
        plot_patient_summary(observation, float(predictions.at[observation, "prediction"]),
                             float(predictions.at[observation, "target"]), explanation.task,
                             explanation.units, variants, mine.get("features", empty),
                             mine.get("genes", empty), path=path)
        files.append(path)
        for w, window in enumerate(windows):
            here = variants[variants["window"] == window["name"]]
            path = plots / f"track_obs{observation}_{window['name']}.png"
            plot_attribution_track(attribution[w], window, here,
                                   (exons or {}).get(window["chrom"].removeprefix("chr"), []),
                                   title=f"observation {observation}: {window['name']} "
                                         f"({what})", path=path)
            files.append(path)
        if len(variants):
            best = variants.loc[variants["attribution"].abs().idxmax()]
            w = [x["name"] for x in windows].index(best["window"])
            centre = int(best["pos"] - windows[w]["start"])
            length = attribution.shape[-1]
            path = plots / f"logo_obs{observation}_{best['window']}.png"
            plot_sequence_logo(attribution[w], windows[w], max(0, centre - 12),
                               min(length - 1, centre + 12), highlight=[int(best["pos"])],
                               title=f"observation {observation}: around {best['variant']}",
                               path=path)
            files.append(path)
    return files
