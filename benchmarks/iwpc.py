"""IWPC warfarin benchmark: every model x every metric x both protocols, as a table and JSON.

Usage::

    python benchmarks/iwpc.py                      # full run on ../shared/data/iwpc/iwpc.csv
    python benchmarks/iwpc.py --quick              # one seed, 1 epoch, small models: completes?
    python benchmarks/iwpc.py --deep-models        # the baselines only
    python benchmarks/iwpc.py --data PharmGKB.xls --out benchmarks/results/iwpc

Patients: the IWPC-scoreable set (a stable therapeutic dose, age, height and weight
present; :data:`pgxdl.iwpc.policy.SCOREABLE`); every excluded row is counted by
reason in the JSON. Models: the fixed 35 mg/week dose and the IWPC clinical and
pharmacogenetic formulas (published coefficients), scikit-learn models refitted per fold,
and pgxdl's deep models trained from the IWPC cohort store (built into ``--out`` unless
``--store`` names one). Protocols: 5-fold patient-level CV and leave-site-out CV, repeated
over ``--seeds`` (``--deep-seeds`` for the deep models). Metrics (mean over seeds, 95%
bootstrap CI over patients): MAE, PW20, R2 and dose-band accuracy, overall and per race,
actual dose band and site.
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
import torch
import yaml
from sklearn.exceptions import ConvergenceWarning

import pgxdl
from pgxdl.baselines.comparison import compare_models, format_table
from pgxdl.baselines.deep_models import DeepFoldPredictor, interval_coverage, load_model_config
from pgxdl.baselines.models import MODEL_NAMES, make_model
from pgxdl.builders.store_build import build_store
from pgxdl.io import atomic_path, write_json
from pgxdl.iwpc.dose_metrics import DOSE_BAND_NAMES, dose_band, paired_difference
from pgxdl.iwpc.features import FEATURE_SETS, derive_features
from pgxdl.iwpc.folds import PROTOCOLS, protocol_folds, sklearn_fold_predictor
from pgxdl.iwpc.policy import SCOREABLE, select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.paths import REPO_ROOT, shared_data_file
from pgxdl.tasks.regression import REGRESSION_LOSSES

#: Deep models (``configs/model/<name>.yaml``) of the default run.
DEEP_MODELS = ("tabular_only", "cnn_gated", "rnn_lstm_concat", "cnn_concat", "cnn_film",
               "cnn_cross_attention", "cnn_late_fusion", "sequence_only_cnn")
#: The model every other is compared with, patient by patient (paired bootstrap).
REFERENCE = "iwpc_pharmacogenetic"
DATA_CONFIG = REPO_ROOT / "configs" / "data" / "iwpc.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="IWPC table (CSV/TSV/Excel); default: shared data iwpc/iwpc.csv")
    parser.add_argument("--reference", type=Path, default=None,
                        help="GRCh38 FASTA for the store; default: shared data reference")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks/results/iwpc",
                        help="folder for the JSON results (and the store it builds)")
    parser.add_argument("--store", type=Path, default=None, help="reuse this IWPC store")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--deep-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--folds", type=int, default=5, help="folds of the patient-level CV")
    parser.add_argument("--models", nargs="*", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--deep-models", nargs="*", default=list(DEEP_MODELS),
                        help="configs/model names (none: baselines only)")
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--features", default="extended", choices=sorted(FEATURE_SETS))
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=4, help="early stopping on val/loss")
    parser.add_argument("--deep-ensemble", type=int, default=1,
                        help="deep models trained per fold (seeds), averaged; k > 1 names "
                             "the model <name>_x<k>")
    parser.add_argument("--refit", action="store_true",
                        help="after early stopping picks the epochs, retrain on train + "
                             "validation for that many (names the model <name>_refit)")
    parser.add_argument("--regression-loss", default="mse", choices=REGRESSION_LOSSES,
                        help="the deep models' point loss (l1 fits the median dose)")
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="one seed, 1 epoch, small models, 100 resamples: checks it completes")
    args = parser.parse_args(argv)
    if args.quick:  # the small models stop early by design: their warnings are noise here
        args.seeds, args.deep_seeds = args.seeds[:1], args.deep_seeds[:1]
        args.n_boot, args.max_epochs = min(args.n_boot, 100), 1
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
    return args


def load_cohort(path: Path) -> tuple[dict, object, np.ndarray, np.ndarray]:
    """Selection summary, scoreable features ``(N, F)``, doses ``(N,)`` and sites ``(N,)``."""
    table = read_iwpc_table(path)
    kept, report = select_patients(table.frame, SCOREABLE)
    frame = table.frame[kept].reset_index(drop=True)
    features = derive_features(frame)
    selection = {
        "file": str(path), "sha256": table.sha256, "requirements": list(SCOREABLE),
        **report.to_dict(),
        "vkorc1_source": features["vkorc1_source"].value_counts().to_dict(),
        "sites": int(frame["site"].nunique()),
    }
    return (selection, features, frame["dose_mg_week"].to_numpy(),
            frame["site"].astype(str).to_numpy())


def cohort_store(args: argparse.Namespace, table: Path) -> Path:
    """The IWPC cohort store of the deep models: ``--store``, or built from the data config."""
    if args.store:
        return args.store
    config = yaml.safe_load(DATA_CONFIG.read_text())
    config.update(table=str(table), feature_set=args.features, require=list(SCOREABLE),
                  protocol_seeds=args.deep_seeds, split={**config["split"], "kfold": args.folds})
    if args.reference:
        config["reference"] = str(args.reference)
    return build_store(config, args.out / "iwpc_store.h5", command="benchmarks/iwpc.py")


def absorb_predictions(reports: dict[str, dict], protocol: str,
                       predictions: dict[str, np.ndarray], dose: np.ndarray, n_boot: int) -> None:
    """Move each report's out-of-fold ``predictions`` into ``predictions`` and add the
    paired differences against the IWPC pharmacogenetic formula (``vs_<formula>``)."""
    for name, report in reports.items():
        predictions[f"{protocol}/{name}"] = report.pop("predictions")
    reference = predictions.get(f"{protocol}/{REFERENCE}")
    if reference is None:
        return
    for name, report in reports.items():
        if name != REFERENCE:
            report[f"vs_{REFERENCE}"] = paired_difference(
                dose, predictions[f"{protocol}/{name}"], reference, n_boot=n_boot)


def save(out: Path, payload: dict, predictions: dict[str, np.ndarray]) -> None:
    """Write the JSON (with its table) and the out-of-fold predictions beside it."""
    payload["table"] = format_table(payload["results"], versus=f"vs_{REFERENCE}")
    write_json(out, payload)
    with atomic_path(out.with_name(f"{out.stem}_predictions.npz"), keep_suffix=True) as tmp:
        np.savez_compressed(tmp, **predictions)


def run_deep_models(args, table: Path, dose: np.ndarray, sites: np.ndarray,
                    subgroups: dict) -> Iterator[tuple[str, dict]]:
    """Train and score each deep model on the deep seeds' folds, with interval coverage.

    Yields ``(model name, {protocol: report})`` as each model finishes.
    """
    store = cohort_store(args, table)
    folds = {protocol: list(protocol_folds(protocol, len(dose), args.deep_seeds, args.folds,
                                           sites)) for protocol in args.protocols}
    for config in args.deep_models:
        model_config = load_model_config(config)
        name = config
        if args.regression_loss != "mse":
            model_config["regression_loss"] = args.regression_loss
            name = f"{name}_{args.regression_loss}"
        predictor = DeepFoldPredictor(store, model_config, args.max_epochs, args.patience,
                                      ensemble=args.deep_ensemble, refit=args.refit)
        if args.refit:
            name = f"{name}_refit"
        if args.deep_ensemble > 1:
            name = f"{name}_x{args.deep_ensemble}"
        reports = {}
        for protocol, protocol_folds_ in folds.items():
            predictor.intervals.clear()
            report = compare_models({name: predictor}, dose, {protocol: protocol_folds_},
                                    subgroups, n_boot=args.n_boot)[protocol][name]
            if predictor.intervals:
                report["interval"] = {
                    "level": predictor.level,
                    **{key: float(np.mean([interval_coverage(dose, bounds)[key]
                                           for bounds in predictor.intervals.values()]))
                       for key in ("coverage", "median_width")}}
            reports[protocol] = report
        yield name, reports


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.torch_threads)
    table = args.data or shared_data_file("iwpc", "iwpc.csv")
    selection, features, dose, sites = load_cohort(table)
    print(f"IWPC cohort {table}: kept {selection['n_kept']} of {selection['n_rows']} patients "
          f"from {selection['sites']} sites; excluded {selection['excluded']}")
    folds = {protocol: list(protocol_folds(protocol, len(dose), args.seeds, args.folds, sites))
             for protocol in args.protocols}
    feature_set = FEATURE_SETS[args.features]
    predictors = {
        name: sklearn_fold_predictor(
            partial(lambda seed, model: make_model(model, feature_set, seed, args.quick),
                    model=name), features, dose)
        for name in args.models
    }
    subgroups = {"race": features["race"].to_numpy(),
                 "dose_band": np.asarray(DOSE_BAND_NAMES)[dose_band(dose)], "site": sites}
    out = args.out / ("iwpc_quick.json" if args.quick else "iwpc.json")
    payload = {
        "command": shlex.join(["benchmarks/iwpc.py", *(sys.argv[1:] if argv is None
                                                        else argv)]),
        "pgxdl_version": pgxdl.__version__, "python": platform.python_version(),
        "torch": torch.__version__, "selection": selection, "features": feature_set.columns,
        "seeds": args.seeds, "deep_seeds": args.deep_seeds, "folds": args.folds,
        "n_boot": args.n_boot, "max_epochs": args.max_epochs, "patience": args.patience,
        "deep_ensemble": args.deep_ensemble,
        "quick": args.quick, "complete": False,
        "results": compare_models(predictors, dose, folds, subgroups, n_boot=args.n_boot),
    }
    predictions: dict[str, np.ndarray] = {}  # "<protocol>/<model>" -> (R, N) doses
    for protocol, reports in payload["results"].items():
        absorb_predictions(reports, protocol, predictions, dose, args.n_boot)
    save(out, payload, predictions)  # again after each deep model: a long run leaves results
    for name, reports in (run_deep_models(args, table, dose, sites, subgroups)
                          if args.deep_models else ()):
        for protocol, report in reports.items():
            payload["results"][protocol][name] = report
            absorb_predictions({name: report}, protocol, predictions, dose, args.n_boot)
        save(out, payload, predictions)
    payload["complete"] = True
    save(out, payload, predictions)
    print(f"\nMean over seeds (baselines {args.seeds}, deep models {args.deep_seeds}); 95% "
          f"bootstrap CI over patients ({args.n_boot} resamples); features: {args.features}"
          f"\n{payload['table']}\n\nwrote {out}")
    return payload


if __name__ == "__main__":
    main()
