"""IWPC warfarin dosing out of site: every recipe on the stricter site protocol.

    python benchmarks/iwpc_sites.py                          # leave-one-site-out, 19 sites
    python benchmarks/iwpc_sites.py --per-fold 3 --repeats 3  # leave-three-sites-out x3
    python benchmarks/iwpc_sites.py --quick                   # a few recipes: completes?

Trains each recipe of :data:`pgxdl.baselines.site_recipes.RECIPES` and the recommended,
nested procedure on the held-in sites' patients with a stable dose, predicts every patient
of the held-out sites, and scores those with a stable dose: MAE, PW20, R2, band accuracy
with 95% CIs from a bootstrap over sites, paired differences from the published and the
refitted formula (site bootstrap), MAE of patients with an imputed input minus the rest,
80% interval coverage per held-out site. Writes ``<out>/iwpc_sites_<protocol>.json``, the
predictions (``.npz``) and a figure (``.png``: per-site MAE, per-site coverage) beside it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgxdl.baselines.comparison import format_table  # noqa: E402
from pgxdl.baselines.external_report import plot_external  # noqa: E402
from pgxdl.baselines.external_validation import SiteTable, load_sites  # noqa: E402
from pgxdl.baselines.site_protocol import run_site_protocol  # noqa: E402
from pgxdl.baselines.site_recipes import RECIPES, RecommendedDoseModel  # noqa: E402
from pgxdl.io import atomic_path, write_json  # noqa: E402
from pgxdl.iwpc.conformal import chance_in_range  # noqa: E402
from pgxdl.iwpc.policy import SCOREABLE, select_patients  # noqa: E402
from pgxdl.paths import shared_data_file  # noqa: E402

QUICK_RECIPES = ("published_formula", "refit_formula", "random_intercept")


def coverage_line(report: dict, min_n: int = 100) -> str:
    """Per held-out site with ``min_n`` scored patients: coverage of the 80% intervals."""
    by_site = {site: entry for site, entry in report["interval"]["by_site"].items()
               if entry["n"] >= min_n}
    inside = sum(0.75 <= entry["coverage"] <= 0.85 for entry in by_site.values())
    chance = chance_in_range([entry["n"] for entry in by_site.values()], 0.8, 0.75, 0.85)
    cells = ", ".join(f"{site} {100 * entry['coverage']:.0f}%" for site, entry in
                      sorted(by_site.items(), key=lambda item: item[1]["coverage"]))
    return (f"80% intervals: {100 * report['interval']['coverage']:.1f}% overall; "
            f"{inside} of {len(by_site)} sites with >= {min_n} patients within 75-85% "
            f"({cells}); an interval exact at every site would be within range at "
            f"{chance.sum():.1f} of them on average (all of them with probability "
            f"{np.prod(chance):.2f})")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=None, help="IWPC table (default: shared)")
    parser.add_argument("--per-fold", type=int, default=1, help="sites held out per fold")
    parser.add_argument("--repeats", type=int, default=1, help="shuffles (per-fold > 1)")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--inner-folds", type=int, default=5,
                        help="grouped site folds of the recommended recipe's inner choice "
                             "(more than the training sites: leave-one-site-out inside)")
    parser.add_argument("--formula-scoreable", action="store_true",
                        help="only the patients the formula scores without imputation (the "
                             "4,151 at 15 sites of benchmarks/iwpc.py), for like-for-like "
                             "comparison with its leave-site-out")
    parser.add_argument("--quick", action="store_true", help="3 recipes, 100 resamples")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/iwpc_sites"))
    args = parser.parse_args(argv)
    if args.quick:
        args.recipes, args.n_boot = list(QUICK_RECIPES), min(args.n_boot, 100)
    table = load_sites(args.data or shared_data_file("iwpc", "iwpc.csv"))
    if args.formula_scoreable:
        keep = select_patients(table.frame, SCOREABLE)[0]
        table = SiteTable(table.path, table.sha256, table.frame[keep].reset_index(drop=True),
                          table.features[keep].reset_index(drop=True))
    report, preds = run_site_protocol(
        table, args.recipes, args.per_fold, args.repeats, args.n_boot, args.seed,
        make_recommended=lambda: RecommendedDoseModel(n_folds=args.inner_folds, seed=args.seed))
    protocol = "leave_one_site_out" if args.per_fold == 1 else f"leave_{args.per_fold}_sites_out"
    protocol += "_scoreable" if args.formula_scoreable else ""
    protocol += f"_inner{args.inner_folds}" if args.inner_folds != 5 else ""
    table_text = format_table({protocol: report["results"]}, versus="vs_published_formula")
    refit_text = format_table({protocol: report["results"]}, versus="vs_refit_formula")
    report.update(command=shlex.join(["benchmarks/iwpc_sites.py",
                                      *(sys.argv[1:] if argv is None else argv)]),
                  file=str(table.path), sha256=table.sha256, table=table_text,
                  table_vs_refit=refit_text)
    out = args.out / f"iwpc_sites_{protocol}{'_quick' if args.quick else ''}.json"
    write_json(out, report, indent=1)
    with atomic_path(out.with_suffix(".npz"), keep_suffix=True) as tmp:
        np.savez_compressed(tmp, **preds)
    plot_external(report, out.with_suffix(".png"),
                  title=f"{protocol.replace('_', ' ')}: each site predicted by models that "
                        "never saw it")
    gaps = {name: result["imputed_minus_complete_mae"]
            for name, result in report["results"].items()}
    print(f"{protocol}: {report['n_scored']} scored of {report['n_predicted']} predicted "
          f"patients; 95% CIs over sites\n{table_text}\n\n{refit_text}\n\n"
          f"MAE of patients with an imputed input minus the rest: "
          + ", ".join(f"{k} {v:+.2f}" for k, v in gaps.items() if v is not None)
          + f"\nrecipes chosen by the nested step: {report['chosen_recipes']}\n"
          + coverage_line(report) + f"\nwrote {out}")
    return report


if __name__ == "__main__":
    main()
