"""GDSC drug-response benchmark: every model under every split design, a table and JSON.

Usage::

    python benchmarks/gdsc.py                       # full run on $PGXDL_DATA/gdsc
    python benchmarks/gdsc.py --quick --data-dir D  # 1 epoch, few resamples: completes?
    python benchmarks/gdsc.py --models gdsc_fp_mlp_concat --splits mixed,cell_blind
    python benchmarks/gdsc.py --models "" --baselines drug_mean,per_drug_elastic_net

Splits (stored by the ``gdsc`` builder, :mod:`pgxdl.gdsc.splits`): ``mixed`` (random
pairs), ``cell_blind``, ``drug_blind`` and one leave-one-tissue-out split per
``--tissues``. Models: the baselines of :mod:`pgxdl.gdsc.baselines` (each where it
applies) and the deep models ``configs/model/<name>.yaml``. Metrics
(:mod:`pgxdl.gdsc.metrics`), also of the deep models' mean prediction
(``deep_ensemble``): global Pearson, Spearman, RMSE with cluster-bootstrap CIs,
the median per-drug Pearson over drugs with >= 20 test cell lines, and per tissue (JSON);
each deep model's per-drug Pearson is paired with the per-drug elastic net's (mean
difference with a CI resampling drugs, share of drugs better).
Runs are cached in ``--cache`` (one ``<model>__<split>.npz`` and checkpoint each), so a
rerun only scores. Sanity checks (:mod:`pgxdl.gdsc.sanity`) explain ``--sanity-model``'s
cell-blind checkpoint beside the per-drug elastic net.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.common import report  # noqa: E402
from pgxdl.baselines.deep_models import load_model_config  # noqa: E402
from pgxdl.builders.gdsc import build  # noqa: E402
from pgxdl.data.store_writer import write_store  # noqa: E402
from pgxdl.gdsc.baselines import (  # noqa: E402
    DrugCellAdditive,
    GlobalBoosting,
    PerDrugModels,
    SimilarDrugMean,
    ValidatedElasticNet,
    all_baselines,
)
from pgxdl.gdsc.marker_evidence import marker_evidence  # noqa: E402
from pgxdl.gdsc.metrics import paired_per_drug, score_pairs  # noqa: E402
from pgxdl.gdsc.pairs import GDSCPairs  # noqa: E402
from pgxdl.gdsc.runs import baseline_run, deep_run, run_paths  # noqa: E402
from pgxdl.gdsc.sanity import sanity_checks  # noqa: E402
from pgxdl.gdsc.splits import tissue_split_name  # noqa: E402
from pgxdl.training import DrugResponseModule  # noqa: E402

DEEP_MODELS = ("gdsc_fp_mlp_concat", "gdsc_multitask", "gdsc_wide_deep", "gdsc_fp_mlp_per_drug",
               "gdsc_fp_mlp_film", "gdsc_tcnns", "gdsc_smiles_rnn_cross_attention")
DESIGNS = ("mixed", "cell_blind", "drug_blind")
#: Pairs per batch of each deep model (others: 512). The multi-task network has no
#: per-pair hidden layer, so large batches are cheap for it (distinct cells encoded once).
EXPENSIVE = (PerDrugModels, GlobalBoosting)  # --cached-only skips these when not cached
BATCH_SIZES = {"gdsc_fp_mlp_per_drug": 1024, "gdsc_multitask": 4096, "gdsc_wide_deep": 4096,
               "gdsc_fp_mlp_film": 2048}
#: Other training arguments per model: the wide-and-deep network's wide term starts from
#: the per-drug elastic net of the split's training part (pgxdl.gdsc.wide_init).
TRAIN_ARGS = {"gdsc_wide_deep": {"wide_init": "elastic_net"}}
#: The baseline each deep model's per-drug Pearson is paired with.
REFERENCE = "per_drug_elastic_net"


def applies(baseline, split: str) -> bool:
    """Additive effects need seen cell lines and drugs; per-drug models need seen drugs;
    borrowing similar drugs' means only differs from the drug mean for unseen drugs."""
    if isinstance(baseline, DrugCellAdditive):
        return split == "mixed"
    if isinstance(baseline, SimilarDrugMean):  # the drug mean wherever drugs are seen
        return split == "drug_blind"
    return not (isinstance(baseline, PerDrugModels) and split == "drug_blind")


def score_run(pairs: GDSCPairs, run: dict, split: str, n_boot: int, seed: int) -> dict:
    rows, pred = run["rows"], run["prediction"]
    ok = np.isfinite(pred)
    rows, pred = rows[ok], pred[ok]
    cell = pairs.cell[rows]
    return score_pairs(pairs.ln_ic50[rows], pred, pairs.drug[rows], cell, pairs.tissue[cell],
                       "drug" if split == "drug_blind" else "cell", n_boot, seed)


def ensemble(runs: list[dict]) -> dict:
    """The mean prediction of deep runs on one split (their test rows in one order)."""
    order = [np.argsort(run["rows"]) for run in runs]
    prediction = np.mean([run["prediction"][o] for run, o in zip(runs, order, strict=True)], 0)
    return {"rows": runs[0]["rows"][order[0]], "prediction": prediction,
            "epochs": sum(run["epochs"] for run in runs),
            "seconds": sum(run["seconds"] for run in runs)}


def table_row(model: str, split: str, scores: dict, run: dict, paired: dict | None = None
              ) -> dict:
    g, d = scores["global"], scores["per_drug_pearson"]

    def ci(metric: dict) -> str:
        return f"{metric['value']:.3f} [{metric['ci'][0]:.3f}, {metric['ci'][1]:.3f}]"
    return {"split": split, "model": model, "pairs": scores["n_pairs"],
            "pearson [95% CI]": ci(g["pearson"]), "spearman": round(g["spearman"]["value"], 3),
            "rmse": round(g["rmse"]["value"], 3),
            "per-drug r median [95% CI]": ci({"value": d["median"], "ci": d["ci"]}),
            "drugs": d["n_drugs"],
            "vs elastic net: mean per-drug r diff [95% CI] (share better)": (
                f"{paired['mean_diff']:+.3f} [{paired['ci'][0]:+.3f}, {paired['ci'][1]:+.3f}] "
                f"({paired['share_better']:.0%})" if paired and paired["n_drugs"] else ""),
            "epochs": run["epochs"], "seconds": round(run["seconds"])}


def paired_with_reference(detail: dict, model: str, split: str, n_boot: int, seed: int
                          ) -> dict | None:
    """:func:`paired_per_drug` of ``model`` against :data:`REFERENCE` on ``split``."""
    reference = detail.get(f"{REFERENCE}/{split}")
    if reference is None:
        return None
    return paired_per_drug(detail[f"{model}/{split}"]["per_drug_pearson"]["by_drug"],
                           reference["per_drug_pearson"]["by_drug"], n_boot, seed)


def deep_row(detail: dict, pairs: GDSCPairs, model: str, split: str, run: dict, args) -> dict:
    """Score a deep run into ``detail`` (with its pairing against the elastic net)."""
    detail[f"{model}/{split}"] = scores = score_run(pairs, run, split, args.n_boot, args.seed)
    scores["vs_elastic_net"] = paired = paired_with_reference(detail, model, split, args.n_boot,
                                                              args.seed)
    return table_row(model, split, scores, run, paired)


def sanity_table(results: dict, evidence: dict) -> list[dict]:
    """One row per drug: each method's best rank of an expected call, and what the data
    says of the call (its tissue-adjusted effect on ln IC50, p-value and carriers)."""
    rows = []
    for drug, methods in results.items():
        row = {"drug": drug}
        for method, r in methods.items():
            sign = "" if r["features"][r["best_feature"]]["direction_ok"] else " (wrong sign)"
            row[method] = f"{r['best_feature']} #{r['best_rank']}{sign}"
        row["data_effect"] = "; ".join(
            f"{feature} {e['effect']:+.2f} (p {e['p']:.2g}, {e['carriers']} carriers)"
            for feature, e in evidence[drug].items())
        rows.append(row)
    return rows


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", default=None, help="GDSC cohort store, built if missing "
                        "(default runs/data/gdsc.h5; --quick: in the temporary cache)")
    parser.add_argument("--data-dir", default=None, help="GDSC files (default $PGXDL_DATA/gdsc)")
    parser.add_argument("--cache", default="runs/gdsc_bench")
    parser.add_argument("--out", default=None, help="JSON (default <cache>/gdsc.json)")
    parser.add_argument("--models", default=",".join(DEEP_MODELS))
    parser.add_argument("--baselines", default=None,
                        help="comma-separated baseline names (default: all that apply)")
    parser.add_argument("--splits", default=",".join(DESIGNS))
    parser.add_argument("--tissues", default="skin", help="leave-one-tissue-out splits")
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--max-minutes", type=float, default=14.0, help="per training run")
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sanity-model", default="gdsc_wide_deep")
    parser.add_argument("--no-sanity", action="store_true", help="skip the sanity checks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cached-only", action="store_true",
                        help="deep models and per-drug/boosting baselines: score only the runs "
                        "already in --cache and list the others")
    parser.add_argument("--quick", action="store_true",
                        help="1 epoch, 20 resamples, a temporary cache: does it complete?")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    if args.quick:
        args.max_epochs, args.n_boot = 1, 20
        args.cache = tempfile.mkdtemp(prefix="pgxdl_gdsc_quick_")
    cache = Path(args.cache)
    store = Path(args.store or (cache / "gdsc.h5" if args.quick else "runs/data/gdsc.h5"))
    if not store.is_file():
        write_store(store, build({"data_dir": args.data_dir, "seed": args.seed}),
                    progress=False)
    pairs = GDSCPairs.read(store)
    splits = [s for s in args.splits.split(",") if s]
    splits += [tissue_split_name(t) for t in args.tissues.split(",") if t]
    models = [m for m in args.models.split(",") if m]
    chosen = ({b.name for b in all_baselines()} if args.baselines is None
              else set(args.baselines.split(",")))
    rows, detail, missing = [], {}, []
    for split in splits:
        deep_runs = []
        for baseline in all_baselines(args.seed):
            if not applies(baseline, split) or baseline.name not in chosen:
                continue
            if (args.cached_only and isinstance(baseline, EXPENSIVE)
                    and not run_paths(cache, baseline.name, split)[0].is_file()):
                missing.append(f"{baseline.name}/{split}")
                continue
            run = baseline_run(cache, pairs, baseline, split)
            detail[f"{baseline.name}/{split}"] = scores = score_run(
                pairs, run, split, args.n_boot, args.seed)
            rows.append(table_row(baseline.name, split, scores, run))
        for model in models:
            if args.cached_only and not run_paths(cache, model, split)[0].is_file():
                missing.append(f"{model}/{split}")
                continue
            run = deep_run(cache, store, model, split, load_model_config(model),
                           max_epochs=args.max_epochs, seed=args.seed,
                           max_minutes=args.max_minutes,
                           batch_size=BATCH_SIZES.get(model, 512), **TRAIN_ARGS.get(model, {}))
            deep_runs.append(run)
            rows.append(deep_row(detail, pairs, model, split, run, args))
        if len(deep_runs) > 1:
            rows.append(deep_row(detail, pairs, "deep_ensemble", split, ensemble(deep_runs),
                                 args))
    sanity = {} if args.no_sanity else run_sanity(args, cache, store, pairs)
    evidence = marker_evidence(pairs) if sanity else {}
    out = args.out or cache / "gdsc.json"
    extra = {"command": " ".join(sys.argv), "store": str(store), "scores": detail,
             "sanity": sanity, "marker_evidence": evidence, "not_run": missing}
    report("GDSC ln IC50: test pairs of each split", rows, out, extra)
    if missing:
        print(f"not run (--cached-only): {', '.join(missing)}")
    if sanity:
        report("Sanity: best rank of the expected feature (of "
               f"{len(pairs.feature_names)}) per drug", sanity_table(sanity, evidence),
               Path(out).with_name("gdsc_sanity.json"))
    return {"rows": rows, "scores": detail, "sanity": sanity}


def run_sanity(args, cache: Path, store: Path, pairs: GDSCPairs) -> dict:
    """Attribution ranks of ``--sanity-model``'s cell-blind model and the elastic net."""
    run = deep_run(cache, store, args.sanity_model, "cell_blind",
                   load_model_config(args.sanity_model), max_epochs=args.max_epochs,
                   seed=args.seed, max_minutes=args.max_minutes,
                   batch_size=BATCH_SIZES.get(args.sanity_model, 512),
                   **TRAIN_ARGS.get(args.sanity_model, {}))
    if run["checkpoint"] is None:
        return {}
    module = DrugResponseModule.load_from_checkpoint(run["checkpoint"], weights_only=False)
    parts = pairs.parts("cell_blind")
    net = PerDrugModels("per_drug_elastic_net", lambda: ValidatedElasticNet(args.seed))
    net.fit(pairs, np.flatnonzero(parts == 0), np.flatnonzero(parts == 1))
    return sanity_checks(module, str(store), net, ig_steps=8 if args.quick else 32)


if __name__ == "__main__":
    main()
