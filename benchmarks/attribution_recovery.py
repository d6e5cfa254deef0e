"""Attribution recovery: do explanations find the planted causal variants?

    python benchmarks/attribution_recovery.py [--seeds 0 1 2] [--backgrounds random 1kgp]
        [--tiny] [--out benchmarks/results/attribution_recovery]
    python benchmarks/attribution_recovery.py --backgrounds random --window-length 50000 \
        --windows 2 --methods ig saliency --internal-batch-size 32 --subtract-reference
        # whole-gene windows: two 50-kb windows per person, 8 sites spread over each

For each background and seed: build a simulated cohort whose dose depends on planted
causal variants (6 additive + 1 gene x amiodarone), train a small multimodal model (CNN
over the windows + MLP over the EHR) on CPU, explain the test part with every attribution
method and with in-silico mutagenesis (revert each carried variant), and rank every
variant site carried in the test part by its cohort mean |score| (non-carriers count as
0). Reported per method: AUROC and AUPRC of that ranking against the truth (mean and SD
over seeds), and the Spearman agreement of IG and ISM (site rankings, and per person and
variant); the JSON keeps every site's score under every method beside its true role and
effect (``runs[i]["sites"]``), to see which sites a method misranks. ``random`` draws
random reference windows and Balding-Nichols genotypes;
``1kgp`` uses the real 1000 Genomes haplotypes in GRCh38 windows around the key
pharmacogenetic variants (configs/data/windows/grch38_pgx_2kb.yaml, shortened to 512 bp
for CPU; real LD: a causal variant's tags compete with it) and is skipped when
``$PGXDL_DATA`` is absent.
Writes ``results_<backgrounds>.json`` and ``auroc_<backgrounds>.png`` under ``--out``.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
import yaml
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.builders.store_build import build_store  # noqa: E402
from pgxdl.data.datamodule import CohortDataModule  # noqa: E402
from pgxdl.data.store import CohortStore  # noqa: E402
from pgxdl.interpret.aggregate import VARIANT_KEY, variant_label  # noqa: E402
from pgxdl.interpret.explain import explain_part  # noqa: E402
from pgxdl.interpret.methods import METHODS  # noqa: E402
from pgxdl.io import save_png  # noqa: E402
from pgxdl.paths import REPO_ROOT, shared_data_dir  # noqa: E402
from pgxdl.training import build_module  # noqa: E402

SETTINGS = {
    "full": {"random": {"n_subjects": 3000, "n_windows": 4, "window_length": 256,
                        "sites_per_window": 8},
             "1kgp": {"n_subjects": 3000, "window_length": 512},
             "epochs": 30, "n_steps": 24, "n_samples": 8, "n_background": 8, "batch_size": 64},
    "tiny": {"random": {"n_subjects": 160, "n_windows": 2, "window_length": 48,
                        "sites_per_window": 6},
             "1kgp": {"n_subjects": 160, "window_length": 512},
             "epochs": 1, "n_steps": 4, "n_samples": 2, "n_background": 2, "batch_size": 32},
}
#: The 1000 Genomes windows are these key-variant windows, shortened to ``window_length``.
KEY_WINDOWS = REPO_ROOT / "configs/data/windows/grch38_pgx_2kb.yaml"
NETWORK = {
    "network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
        "sequence_encoder": {"class_path": "pgxdl.models.CNNSequenceEncoder", "init_args": {
            "widths": [32], "depth": 1, "stem_kernel": 9, "stem_pool": 4, "pooling": "max",
            "dropout": 0.0}},
        "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                            "init_args": {"hidden": [32]}},
        "fusion": {"class_path": "pgxdl.models.ConcatFusion", "init_args": {"hidden": 64}}}},
    "optimizer": {"class_path": "torch.optim.AdamW",
                  "init_args": {"lr": 0.005, "weight_decay": 0.01}},
}


def cohort_config(background: str, seed: int, settings: dict, folder: Path) -> dict:
    """The simulated builder's config; 1kgp windows are written to ``folder`` as YAML."""
    config = {"builder": "simulated", "background": background, "seed": seed,
              **settings[background]}
    if background == "1kgp":
        length = config.pop("window_length")
        entries = yaml.safe_load(KEY_WINDOWS.read_text())["windows"]
        windows = [{**entry, "length": length} for entry in entries]
        config["windows"] = str(folder / f"windows_{length}.yaml")
        Path(config["windows"]).write_text(yaml.safe_dump({"windows": windows}))
    return config


def train(store: Path, settings: dict, seed: int):
    """A small multimodal model trained on the store's training part, in eval mode."""
    pl.seed_everything(seed, workers=True)
    data = CohortDataModule(str(store), batch_size=settings["batch_size"], seed=seed)
    module = build_module(data.spec, settings["network"])
    trainer = pl.Trainer(max_epochs=settings["epochs"], accelerator=settings["accelerator"],
                         devices=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, deterministic=True)
    trainer.fit(module, datamodule=data)  # Lightning hands the module back on the CPU
    return module.to("cuda" if settings["accelerator"] == "gpu" else "cpu").eval(), data


def rank_scores(summary: pd.DataFrame, causal: set[str]) -> dict:
    """AUROC and AUPRC of ranking sites by ``mean_abs_all`` against ``causal`` labels."""
    labels = summary["variant"].isin(causal).to_numpy()
    if labels.all() or not labels.any():
        return {"auroc": float("nan"), "auprc": float("nan")}
    return {"auroc": float(roc_auc_score(labels, summary["mean_abs_all"])),
            "auprc": float(average_precision_score(labels, summary["mean_abs_all"]))}


def one_run(background: str, seed: int, settings: dict, folder: Path) -> dict:
    """Build, train and explain one cohort; scores of every method."""
    config = cohort_config(background, seed, settings, folder)
    store = build_store(config, folder / f"{background}_{seed}.h5",
                        command="benchmarks/attribution_recovery.py")
    start = time.perf_counter()
    module, data = train(store, settings, seed)
    with CohortStore(store) as cohort:
        truth = cohort.truth()
    labels = variant_label(truth["ids"], truth["chrom"], truth["pos"], truth["ref"],
                           truth["alt"])
    causal = set(labels)
    sites = pd.DataFrame({"variant": labels, "role": truth["role"].astype(str),
                          "effect": truth["effect"]})
    out = {"background": background, "seed": seed, "train_seconds": time.perf_counter() - start,
           "methods": {}}
    for method in settings["methods"]:
        start = time.perf_counter()
        found = explain_part(module, data, "dose", method, part="test", ism=method == "ig",
                             device=module.device,
                             n_steps=settings["n_steps"], n_samples=settings["n_samples"],
                             n_background=settings["n_background"], keep_maps=0, seed=seed,
                             internal_batch_size=settings.get("internal_batch_size"))
        summary = found.summary("variants")
        out["methods"][method] = {**rank_scores(summary, causal),
                                  "seconds": time.perf_counter() - start}
        sites = site_scores(sites, summary, method)
        if method == "ig":
            ism = found.summary("variants", value="ism")
            out["methods"]["ism"] = rank_scores(ism, causal)
            sites = site_scores(sites, ism, "ism")
            both = summary.merge(ism, on=VARIANT_KEY, suffixes=("_ig", "_ism"))
            out["spearman_ig_ism_sites"] = float(spearmanr(both["mean_abs_all_ig"],
                                                           both["mean_abs_all_ism"])[0])
            out["spearman_ig_ism_rows"] = float(spearmanr(found.variants["attribution"],
                                                          found.variants["ism"])[0])
            predicted = found.predictions.dropna(subset=["target"])
            residual = predicted["target"] - predicted["prediction"]
            out["test_r2"] = float(1 - residual.var() / predicted["target"].var())
            out["noise_sd"] = float(truth["model"].get("noise_sd", float("nan")))
            out["test_rmse"] = float(np.sqrt((residual ** 2).mean()))
            out["n_sites"], out["n_causal_carried"] = len(summary), int(
                summary["variant"].isin(causal).sum())
    out["sites"] = sites.sort_values("ig", ascending=False).to_dict("records")
    return out


def site_scores(sites: pd.DataFrame, summary: pd.DataFrame, method: str) -> pd.DataFrame:
    """``sites`` (one row per causal site: variant, role, effect) joined with every carried
    site's ``mean_abs_all`` score under ``method`` (neutral sites get role ``neutral``)."""
    scores = summary[["variant", "mean_abs_all"]].rename(columns={"mean_abs_all": method})
    merged = sites.merge(scores, on="variant", how="outer")
    return merged.fillna({"role": "neutral", "effect": 0.0})


def table_rows(runs: list[dict]) -> list[dict]:
    """One row per (background, method): mean and SD over seeds of AUROC and AUPRC."""
    rows = []
    for background in dict.fromkeys(r["background"] for r in runs):
        mine = [r for r in runs if r["background"] == background]
        for method in mine[0]["methods"]:
            auroc = np.array([r["methods"][method]["auroc"] for r in mine])
            auprc = np.array([r["methods"][method]["auprc"] for r in mine])
            rows.append({"background": background, "method": method,
                         "auroc": float(np.nanmean(auroc)), "auroc_sd": float(np.nanstd(auroc)),
                         "auprc": float(np.nanmean(auprc)), "auprc_sd": float(np.nanstd(auprc)),
                         "seeds": len(mine)})
    return rows


def plot_auroc(rows: list[dict], path: Path) -> Path:
    """Grouped bars: mean AUROC (+- SD over seeds) per method and background."""
    import matplotlib.pyplot as plt

    frame = pd.DataFrame(rows)
    backgrounds = list(dict.fromkeys(frame["background"]))
    methods = list(dict.fromkeys(frame["method"]))
    figure, axis = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / len(backgrounds)
    for i, background in enumerate(backgrounds):
        part = frame[frame["background"] == background].set_index("method").loc[methods]
        axis.bar(np.arange(len(methods)) + i * width, part["auroc"], width,
                 yerr=part["auroc_sd"], label=background, capsize=2)
    axis.axhline(0.95, color="0.4", ls="--", lw=0.8, label="goal 0.95")
    axis.axhline(0.5, color="0.7", ls=":", lw=0.8)
    axis.set_xticks(np.arange(len(methods)) + width * (len(backgrounds) - 1) / 2, methods,
                    rotation=30, ha="right")
    axis.set_ylim(0, 1.02)
    axis.set_ylabel("AUROC (causal variant sites)")
    axis.legend(fontsize=8, frameon=False, loc="lower left")
    figure.tight_layout()
    return save_png(figure, path)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--backgrounds", nargs="+", default=["random", "1kgp"],
                        choices=["random", "1kgp"])
    parser.add_argument("--tiny", action="store_true", help="seconds-long smoke run")
    parser.add_argument("--out", default="benchmarks/results/attribution_recovery")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--subjects", type=int, help="people per cohort (default: setting's)")
    parser.add_argument("--epochs", type=int, help="training epochs (default: setting's)")
    parser.add_argument("--window-length", type=int,
                        help="bp per window of the random background (default: setting's; "
                             "50000 for whole-gene windows)")
    parser.add_argument("--windows", type=int, help="windows per person (random background)")
    parser.add_argument("--sites-per-window", type=int,
                        help="variant sites per window (random background)")
    parser.add_argument("--methods", nargs="+", choices=list(METHODS), default=list(METHODS),
                        help="attribution methods (IG and, with it, ISM always run)")
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"],
                        help="train and explain on the CPU or one GPU")
    parser.add_argument("--internal-batch-size", type=int,
                        help="IG evaluations per forward pass (bounds memory at long windows)")
    parser.add_argument("--subtract-reference", action="store_true",
                        help="the CNN encodes each window minus the reference window "
                             "(subtract_reference; for whole-gene windows)")
    parser.add_argument("--pooling", default="max", choices=["max", "mean", "attention"],
                        help="how the CNN pools each window's tokens")
    parser.add_argument("--ig-steps", type=int, help="IG integration steps (default: setting's)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = copy.deepcopy(SETTINGS["tiny" if args.tiny else "full"])
    if args.epochs:
        settings["epochs"] = args.epochs
    if args.ig_steps:
        settings["n_steps"] = args.ig_steps
    for background in ("random", "1kgp"):
        if args.subjects:
            settings[background]["n_subjects"] = args.subjects
    for key, value in (("window_length", args.window_length), ("n_windows", args.windows),
                       ("sites_per_window", args.sites_per_window)):
        if value:
            settings["random"][key] = value
    settings["methods"] = list(dict.fromkeys(["ig", *args.methods]))
    settings["internal_batch_size"] = args.internal_batch_size
    settings["accelerator"] = args.accelerator
    settings["network"] = copy.deepcopy(NETWORK)
    encoder = settings["network"]["network"]["init_args"]["sequence_encoder"]["init_args"]
    encoder["subtract_reference"] = args.subtract_reference
    encoder["pooling"] = args.pooling
    backgrounds = list(args.backgrounds)
    if "1kgp" in backgrounds and not (shared_data_dir() / "1kgp").exists():
        print(f"1kgp background skipped: no 1000 Genomes data at {shared_data_dir()}")
        backgrounds.remove("1kgp")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for background in backgrounds:
            for seed in args.seeds:
                runs.append(one_run(background, seed, settings, Path(tmp)))
                last = runs[-1]
                print(f"{background} seed {seed}: test R2 {last['test_r2']:.3f}, IG AUROC "
                      f"{last['methods']['ig']['auroc']:.3f}, ISM AUROC "
                      f"{last['methods']['ism']['auroc']:.3f}, Spearman(IG, ISM) "
                      f"{last['spearman_ig_ism_sites']:.3f}", flush=True)
    rows = table_rows(runs)
    out, name = Path(args.out), "_".join(backgrounds)
    agreement = {b: float(np.mean([r["spearman_ig_ism_sites"] for r in runs
                                   if r["background"] == b])) for b in backgrounds}
    report("Attribution recovery: AUROC/AUPRC of causal-variant rankings (mean over seeds)",
           rows, out / f"results_{name}.json",
           extra={"settings": settings, "runs": runs,
                  "spearman_ig_ism_sites": agreement,
                  "best": {b: max((r for r in rows if r["background"] == b),
                                  key=lambda r: r["auroc"]) for b in backgrounds}})
    print("Spearman(IG, ISM) of site rankings:", {k: round(v, 3) for k, v in agreement.items()})
    print(f"wrote {plot_auroc(rows, out / f'auroc_{name}.png')}")
    return {"rows": rows, "runs": runs}


if __name__ == "__main__":
    main()
