"""The ``external`` command: train the recommended warfarin recipe on table A, validate on B.

``pgxdl external --train-table A.csv --test-table B.csv --out D`` (also
``python benchmarks/iwpc_external.py ...``). A and B are IWPC-format tables (the PharmGKB
columns; CSV, TSV or Excel). Site filters pick rows: with one table for both,
``--test-sites 3 8`` tests on those sites and trains on the others (leave-site-out).
Writes ``D/external.json`` (metrics with CIs per site, race, dose band and input
completeness; the published and refitted formula beside it; paired differences; interval
coverage), ``D/external_predictions.csv`` (a dose, an 80% interval and imputation flags for
every test patient; it carries the PharmGKB subject IDs of the test table, as asked) and
``D/external.png``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from pgxdl.baselines.external_report import format_external, plot_external
from pgxdl.baselines.external_validation import load_sites, validate_external
from pgxdl.baselines.site_recipes import CANDIDATES, RecommendedDoseModel
from pgxdl.io import atomic_path, write_json

HELP = "train the recommended IWPC dose recipe on one table, validate it on another"
QUICK_CANDIDATES = ("published_formula", "random_intercept")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``external`` command's options."""
    parser.add_argument("--train-table", required=True, type=Path, help="IWPC table A")
    parser.add_argument("--test-table", required=True, type=Path, help="IWPC table B")
    parser.add_argument("--train-sites", nargs="+", default=None,
                        help="training sites of A (default: all, minus --test-sites when A "
                             "and B are the same file)")
    parser.add_argument("--exclude-train-sites", nargs="+", default=[],
                        help="sites of A not to train on")
    parser.add_argument("--test-sites", nargs="+", default=None,
                        help="sites of B to validate on (default: all)")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--level", type=float, default=0.8, help="interval coverage aimed at")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-cluster-sites", type=int, default=5,
                        help="test sites needed to bootstrap over sites (else patients)")
    parser.add_argument("--quick", action="store_true",
                        help="two candidate recipes, 100 resamples: checks it completes")


def run(args: argparse.Namespace) -> int:
    """Run the ``external`` command; print the table and where the files are."""
    exclude = list(args.exclude_train_sites)
    same_file = args.train_table.resolve() == args.test_table.resolve()
    if same_file and args.test_sites and args.train_sites is None:
        exclude += [site for site in args.test_sites if site not in exclude]
    train = load_sites(args.train_table, args.train_sites, exclude)
    test = load_sites(args.test_table, args.test_sites)
    n_boot = min(args.n_boot, 100) if args.quick else args.n_boot
    model = RecommendedDoseModel(QUICK_CANDIDATES if args.quick else CANDIDATES,
                                 level=args.level, seed=args.seed)
    report, predictions = validate_external(train, test, n_boot, args.seed,
                                            args.min_cluster_sites, model)
    report["command"] = shlex.join(sys.argv)
    table = format_external(report)
    report["table"] = table
    out = Path(args.out)
    write_json(out / "external.json", report, indent=1)
    with atomic_path(out / "external_predictions.csv", keep_suffix=True) as tmp:
        predictions.to_csv(tmp, index=False, float_format="%.3f")
    plot_external(report, out / "external.png")
    print(f"{table}\n\nwrote {out}/external.json, external_predictions.csv, external.png")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pgxdl.commands.external``: parse ``argv`` and run."""
    parser = argparse.ArgumentParser(prog="pgxdl external", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, FileNotFoundError) as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
