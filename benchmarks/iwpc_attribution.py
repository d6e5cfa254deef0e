"""IWPC attribution sanity check: do a trained model's top variants match warfarin biology?

    python benchmarks/iwpc_attribution.py [--experiment configs/experiment/iwpc_cnn_film.yaml]
        [--epochs 20] [--method ig] [--out benchmarks/results/iwpc_attribution]

Builds the IWPC cohort store (configs/data/iwpc.yaml, needs ``$PGXDL_DATA``) unless
``--store`` names one, trains the experiment with ``train.py fit`` on the store's default
split, then explains the test part with ``evaluate.py attribute`` (the chosen Captum method
with the reference genome as baseline, plus in-silico mutagenesis: each carried variant
reverted to reference). Variants are ranked by cohort mean |score| over the test part
(non-carriers count as 0). Expected at the top: VKORC1 rs9923231 (-1639 G>A) and CYP2C9*2
(rs1799853) / *3 (rs1057910). The other VKORC1 SNPs IWPC typed are in strong LD with
rs9923231 (r^2 > 0.9 in Europeans), so a model may credit a tag of it instead; the table
shows every variant's rank so this can be read off. Writes ``iwpc_attribution.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report, train_run  # noqa: E402
from pgxdl.builders.store_build import build_store, load_config  # noqa: E402
from pgxdl.paths import REPO_ROOT  # noqa: E402

#: The variants warfarin pharmacology says should lead, by rsID.
EXPECTED = {"rs9923231": "VKORC1 -1639 G>A", "rs1799853": "CYP2C9*2",
            "rs1057910": "CYP2C9*3"}


def ranked(summary: Path) -> pd.DataFrame:
    """A variant summary CSV ranked by ``mean_abs_all`` (rank 1 = most important)."""
    table = pd.read_csv(summary).sort_values("mean_abs_all", ascending=False)
    table["rank"] = range(1, len(table) + 1)
    return table.set_index("variant")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="configs/experiment/iwpc_cnn_film.yaml")
    parser.add_argument("--store", help="IWPC cohort store (default: build one into --out)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--method", default="ig")
    parser.add_argument("--task", default="sqrt_dose", help="the store's dose task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/iwpc_attribution")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    store = Path(args.store) if args.store else out / "iwpc.h5"
    if not store.is_file():
        build_store(load_config(REPO_ROOT / "configs" / "data" / "iwpc.yaml"), store)
    best = train_run(args.experiment, store, out / "train", args.epochs, args.seed,
                     "--trainer.logger", "null")
    subprocess.run([sys.executable, "evaluate.py", "attribute", "--ckpt", best, "--store",
                    str(store), "--task", args.task, "--part", "test", "--method", args.method,
                    "--ism", "--out", str(out / "attributions")], cwd=REPO_ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    tables = {args.method: ranked(out / "attributions" / "variant_summary.csv"),
              "ism": ranked(out / "attributions" / "variant_ism_summary.csv")}
    rows = []
    for variant in tables[args.method].index:
        row = {"variant": variant, "gene": tables[args.method].loc[variant, "gene"],
               "carriers": int(tables[args.method].loc[variant, "n"]),
               "expected": EXPECTED.get(variant, "")}
        for name, table in tables.items():
            row[f"{name}_rank"] = int(table.loc[variant, "rank"]) if variant in table.index \
                else None
            row[f"{name}_mean_abs"] = float(table.loc[variant, "mean_abs_all"]) \
                if variant in table.index else None
        rows.append(row)
    top = {name: list(table.index[:3]) for name, table in tables.items()}
    report(f"IWPC attribution: {args.experiment}, {args.epochs} epochs, test part, "
           f"{args.method} and ISM (sqrt mg/week)", rows, out / "iwpc_attribution.json",
           {"settings": vars(args), "top3": top,
            "expected_in_top3": {name: sorted(set(EXPECTED) & set(names))
                                 for name, names in top.items()}})


if __name__ == "__main__":
    main()
