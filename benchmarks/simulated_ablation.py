"""Multimodal vs single-modality models on the simulated cohort, against the noise floor.

    python benchmarks/simulated_ablation.py [--subjects 4000 --epochs 30 --seeds 0 1 2
                                             --out benchmarks/results/simulated_ablation]

An interrupted run resumes: the store and every finished run in ``--out`` are reused.

The simulation plants signal in both modalities (causal variants in the windows, clinical
covariates and a gene x drug interaction in the EHR), so a multimodal model should beat
a tabular-only and a sequence-only one on the held-out split and approach the noise floor
(the RMSE of an oracle that knows the noiseless dose). Each model is trained with
``train.py fit`` and scored with ``evaluate.py metrics`` on the test part, per seed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import r2_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report, train_run  # noqa: E402
from pgxdl.builders.store_build import build_store  # noqa: E402
from pgxdl.data.store import CohortStore  # noqa: E402
from pgxdl.explore.genotypes import dosage_matrix  # noqa: E402
from pgxdl.paths import REPO_ROOT  # noqa: E402

MODELS = {
    "multimodal CNN + gated fusion": "configs/experiment/simulated_cnn_gated.yaml",
    "multimodal CNN + cross-attention": "configs/experiment/simulated_cnn_cross_attention.yaml",
    "multimodal RNN (LSTM) + concat": "configs/experiment/simulated_rnn_lstm_concat.yaml",
    "tabular only": "configs/experiment/simulated_tabular_only.yaml",
    "sequence only (CNN)": "configs/experiment/simulated_sequence_only_cnn.yaml",
}


def train_and_score(config: str, store: Path, run: Path, epochs: int, seed: int,
                    n_boot: int) -> dict:
    """Train one model and return the test-part dose metrics of its best checkpoint.

    A run whose ``eval/metrics.json`` exists is finished and is read, not retrained
    (delete the run folder, or use a new ``--out``, to train it again).
    """
    scored = run / "eval" / "metrics.json"
    if scored.is_file():
        return dose_metrics(scored)
    best = train_run(config, store, run, epochs, seed)
    subprocess.run([sys.executable, "evaluate.py", "metrics", "--ckpt", best, "--store",
                    str(store), "--part", "test", "--n-boot", str(n_boot), "--no-plots",
                    "--out", str(run / "eval")], cwd=REPO_ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return dose_metrics(scored)


def dose_metrics(path: Path) -> dict:
    """RMSE, MAE and R2 of the dose task and the noise floor from ``evaluate.py``'s JSON."""
    metrics = json.loads(path.read_text())
    dose = metrics["tasks"]["dose"]["metrics"]
    return {name: dose[name]["value"] for name in ("rmse", "mae", "r2")} | {
        "noise_floor": metrics["noise_floor"]}


def genotype_references(store_path: Path) -> dict[str, dict]:
    """Test-part dose metrics of scikit-learn models given the *true* genotype dosages
    (every carried variant, read from the store's variant table) and the EHR features.

    They see the genotypes directly instead of learning them from sequence, so they show
    what this many training people allow; the gap between them and the noise floor is
    not the sequence model's to close.
    """
    with CohortStore(store_path) as store:
        dosage = dosage_matrix(store, min_maf=0.0).values
        numeric = store.h5["tabular/numeric"][:]
        categorical = store.h5["tabular/categorical"][:]
        parts = store.split("default")
        dose = store.observations()["values"][:, 0]
    missing = np.isnan(numeric)
    one_hot = [np.eye(c.max() + 2)[c + 1] for c in categorical.T]  # -1 (missing) -> column 0
    features = np.hstack([dosage, np.nan_to_num(numeric), missing, *one_hot])
    train, test = parts == 0, parts == 2
    models = {"ridge on true genotypes + EHR": RidgeCV(alphas=np.logspace(-2, 4, 13)),
              "boosting on true genotypes + EHR": HistGradientBoostingRegressor(
                  learning_rate=0.05, max_iter=400, random_state=0)}
    scores = {}
    for name, model in models.items():
        predicted = model.fit(features[train], dose[train]).predict(features[test])
        error = predicted - dose[test]
        scores[name] = {"rmse": float(np.sqrt(np.mean(error ** 2))),
                        "mae": float(np.mean(np.abs(error))),
                        "r2": float(r2_score(dose[test], predicted))}
    return scores


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=4000)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--n-boot", type=int, default=200)
    parser.add_argument("--tiny", action="store_true", help="smoke-test settings")
    parser.add_argument("--out", default="benchmarks/results/simulated_ablation")
    args = parser.parse_args(argv)
    if args.tiny:
        args.subjects, args.epochs, args.seeds, args.n_boot = 200, 1, [0], 20
    out = Path(args.out)
    store = out / "simulated.h5"  # reused with its finished runs when it exists
    if not store.is_file():
        build_store({"builder": "simulated", "n_subjects": args.subjects, "seed": 0}, store)
    results: dict[str, list[dict]] = {}
    for name in args.models:
        for seed in args.seeds:
            run = out / "runs" / f"{Path(MODELS[name]).stem}_seed{seed}"
            results.setdefault(name, []).append(
                train_and_score(MODELS[name], store, run, args.epochs, seed, args.n_boot))
    floor = next(iter(results.values()))[0]["noise_floor"]
    rows = []
    for name, runs in results.items():
        row = {"model": name}
        for metric in ("rmse", "mae", "r2"):
            values = np.array([r[metric] for r in runs])
            row[metric] = float(values.mean())
            row[f"{metric}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        row["rmse_over_floor"] = row["rmse"] / floor["rmse"]
        rows.append(row)
    for name, scores in genotype_references(store).items():
        rows.append({"model": f"{name} (reference)", **scores,
                     "rmse_over_floor": scores["rmse"] / floor["rmse"]})
    rows.append({"model": "oracle (noise floor)", "rmse": floor["rmse"], "mae": floor["mae"],
                 "r2": floor.get("r2_ceiling", float("nan")), "rmse_over_floor": 1.0})
    report(f"simulated cohort ({args.subjects} subjects), dose on the test part, mean over "
           f"seeds {args.seeds}, {args.epochs} epochs", rows, out / "ablation.json",
           {"settings": vars(args), "per_seed": results})


if __name__ == "__main__":
    main()
