"""Run dose models through validation protocols and lay the scores out as one table.

A model enters as a :data:`~pgxdl.iwpc.folds.FoldPredictor` (train on a fold's
training patients, predict its test patients), so scikit-learn pipelines, the fixed IWPC
formulas and the deep models trained from the cohort store are scored the same way, on the
same folds, by :func:`pgxdl.iwpc.dose_metrics.evaluate_doses`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from pgxdl.iwpc.dose_metrics import evaluate_doses
from pgxdl.iwpc.folds import Fold, FoldPredictor, out_of_fold_predictions

#: Metric name -> (column title, digits) of the printed table.
TABLE_COLUMNS = {"mae": ("MAE mg/wk", 2), "pw20": ("PW20 %", 1), "r2": ("R2", 3),
                 "band_accuracy": ("band acc %", 1)}


def compare_models(
    predictors: Mapping[str, FoldPredictor],
    dose: np.ndarray,
    folds: Mapping[str, Sequence[Fold]],
    subgroups: Mapping[str, np.ndarray] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    log=print,
) -> dict:
    """Score every model under every protocol.

    Parameters
    ----------
    predictors : model name -> fold predictor.
    dose : ``(N,)`` actual weekly doses (mg/week).
    folds : protocol name -> its folds (all seeds).
    subgroups : name -> ``(N,)`` labels scored separately (race, dose band, site...).
    n_boot, seed : bootstrap resamples and their seed (the same for every model, so
        intervals compare like with like).
    log : called with one progress line per model and protocol.

    Returns
    -------
    protocol -> model -> :func:`evaluate_doses` report, plus ``seconds`` (wall time),
    ``seeds`` (the repeats scored) and ``predictions``, the ``(R, N)`` out-of-fold doses
    of the R seeds (an array: take it out before writing the report as JSON).
    """
    dose = np.asarray(dose, dtype=float)
    results: dict[str, dict] = {}
    for protocol, protocol_folds in folds.items():
        results[protocol] = {}
        for name, predictor in predictors.items():
            start = time.perf_counter()
            by_seed = out_of_fold_predictions(predictor, len(dose), protocol_folds)
            seeds = sorted(by_seed)
            report = evaluate_doses(dose, np.stack([by_seed[s] for s in seeds]), subgroups,
                                    n_boot=n_boot, seed=seed)
            report["seconds"] = round(time.perf_counter() - start, 2)
            report["seeds"] = seeds
            report["predictions"] = np.stack([by_seed[s] for s in seeds])
            results[protocol][name] = report
            log(f"{protocol:>15} {name:<22} MAE {report['metrics']['mae']['value']:6.2f}  "
                f"PW20 {report['metrics']['pw20']['value']:5.1f}  ({report['seconds']} s)")
    return results


def format_table(results: Mapping[str, Mapping[str, dict]], versus: str | None = None
                 ) -> str:
    """One text table: a row per protocol x model, each metric as ``value [low, high]``.

    With ``versus`` (a report key holding :func:`~pgxdl.iwpc.dose_metrics.paired_difference`
    scores), two more columns give each model's paired MAE and PW20 differences.
    """
    columns = [(metric, "metrics", title, digits)
               for metric, (title, digits) in TABLE_COLUMNS.items()]
    if versus:
        columns += [(metric, versus, f"{title} - {versus.removeprefix('vs_')}", digits)
                    for metric, (title, digits) in TABLE_COLUMNS.items()
                    if metric in ("mae", "pw20")]
    header = ["protocol", "model", *(title for _, _, title, _ in columns)]
    rows = [header]
    for protocol, models in results.items():
        for name, report in models.items():
            cells = [protocol, name]
            for metric, key, _, digits in columns:
                if key not in report:
                    cells.append("")
                    continue
                score = report[key][metric]
                low, high = score["ci"]
                cells.append(f"{score['value']:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]")
            rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
