"""IWPC warfarin benchmark: every model x every metric x both protocols, as a table and JSON.

Usage::

    python benchmarks/iwpc.py                      # full run on ../shared/data/iwpc/iwpc.csv
    python benchmarks/iwpc.py --quick              # one seed, small models, 100 resamples
    python benchmarks/iwpc.py --data PharmGKB.xls --out benchmarks/results/iwpc

Patients: the IWPC-scoreable set (a stable therapeutic dose, age, height and weight
present; see :data:`pgxdl.datasets.iwpc_policy.SCOREABLE`); every excluded row is counted
by reason in the JSON. Protocols: 5-fold patient-level CV and leave-site-out CV, each
repeated over ``--seeds``. Metrics (mean over seeds, 95% bootstrap CI over patients): MAE,
PW20, R2 and dose-band accuracy, overall and per race, true dose band and site.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

import pgxdl
from pgxdl.baselines.comparison import compare_models, format_table
from pgxdl.baselines.features import FEATURE_SETS, derive_features
from pgxdl.baselines.metrics import DOSE_BAND_NAMES, dose_band
from pgxdl.baselines.models import MODEL_NAMES, make_model
from pgxdl.baselines.protocols import PROTOCOLS, protocol_folds, sklearn_fold_predictor
from pgxdl.datasets.iwpc_policy import SCOREABLE, select_patients
from pgxdl.datasets.iwpc_table import read_iwpc_table
from pgxdl.paths import REPO_ROOT, shared_data_file


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None,
                        help="IWPC table (CSV/TSV/Excel); default: shared data iwpc/iwpc.csv")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks/results/iwpc",
                        help="folder for the JSON results")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, default=5, help="folds of the patient-level CV")
    parser.add_argument("--models", nargs="+", default=list(MODEL_NAMES), choices=MODEL_NAMES)
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS), choices=PROTOCOLS)
    parser.add_argument("--features", default="iwpc", choices=sorted(FEATURE_SETS))
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--quick", action="store_true",
                        help="one seed, small models and 100 resamples: checks it completes")
    args = parser.parse_args(argv)
    if args.quick:  # the small models stop early by design: their warnings are noise here
        args.seeds, args.n_boot = args.seeds[:1], min(args.n_boot, 100)
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
    return args


def load_cohort(path: Path) -> tuple[dict, object, np.ndarray, dict]:
    """Parsed table, scoreable features, doses and the selection summary."""
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
    return selection, features, frame["dose_mg_week"].to_numpy(), {"site": frame["site"]}


def write_json(path: Path, payload: dict) -> None:
    """Write ``payload`` as JSON atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    path = args.data or shared_data_file("iwpc", "iwpc.csv")
    selection, features, dose, groups = load_cohort(path)
    print(f"IWPC cohort {path}: kept {selection['n_kept']} of {selection['n_rows']} patients "
          f"from {selection['sites']} sites; excluded {selection['excluded']}")
    sites = groups["site"].to_numpy()
    folds = {protocol: list(protocol_folds(protocol, len(dose), args.seeds, k=args.folds,
                                           sites=sites))
             for protocol in args.protocols}
    feature_set = FEATURE_SETS[args.features]
    predictors = {
        name: sklearn_fold_predictor(
            partial(lambda seed, model: make_model(model, feature_set, seed, args.quick),
                    model=name), features, dose)
        for name in args.models
    }
    subgroups = {"race": features["race"].to_numpy(),
                 "dose_band": np.asarray(DOSE_BAND_NAMES)[dose_band(dose)],
                 "site": sites}
    results = compare_models(predictors, dose, folds, subgroups, n_boot=args.n_boot)
    table = format_table(results)
    print(f"\nMean over seeds {args.seeds}; 95% bootstrap CI over patients "
          f"({args.n_boot} resamples); features: {args.features}\n{table}")
    payload = {
        "command": shlex.join([Path(sys.argv[0]).name, *(argv if argv is not None
                                                         else sys.argv[1:])]),
        "pgxdl_version": pgxdl.__version__, "python": platform.python_version(),
        "selection": selection, "features": feature_set.columns, "seeds": args.seeds,
        "folds": args.folds, "n_boot": args.n_boot, "quick": args.quick,
        "results": results, "table": table,
    }
    out = args.out / ("iwpc_quick.json" if args.quick else "iwpc.json")
    write_json(out, payload)
    print(f"\nwrote {out}")
    return payload


if __name__ == "__main__":
    main()
