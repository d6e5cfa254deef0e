"""``pgxdl sweep``: run a W&B sweep file with no W&B server, as a resumable Optuna study.

Examples::

    pgxdl sweep sweeps/cnn_gated.yaml --trials 16 --jobs 4      # a shipped sweep file
    pgxdl sweep sweeps/cnn_gated.yaml --trials 24               # later: adds 8 more
    pgxdl sweep my_sweep.yaml --trials 8 -- --trainer.max_epochs=5

Reads the same YAML as ``wandb sweep`` (``method`` bayes = Optuna's TPE, random, grid;
``metric``; ``parameters`` mapped to Optuna distributions; ``early_terminate`` hyperband;
``command`` with the agent's macros). Everything after ``--`` is appended to every trial's
command (``pgxdl train fit ...`` options). Trials run ``--jobs`` at a time, each on its
own GPU when there are GPUs; ``--trials`` counts finished trials, so the same command after
an interruption runs only those missing. :mod:`pgxdl.training.sweep_study` lists the
files written.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from pgxdl.resources import config_path
from pgxdl.training.sweep_file import read_sweep_file, run_dir_of, trial_command
from pgxdl.training.sweep_study import SweepRun, run_sweep, visible_gpus

HELP = "run a W&B sweep file locally as a resumable Optuna study (TPE, pruning, --jobs)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``pgxdl sweep``."""
    parser.usage = "%(prog)s SWEEP [--trials N] [--jobs N] [options] [-- TRAIN_OPTIONS ...]"
    parser.add_argument("sweep", type=Path,
                        help="W&B sweep YAML: a file, or a shipped one (sweeps/cnn_gated.yaml)")
    parser.add_argument("--trials", type=int, default=8,
                        help="finished trials the study should hold (a rerun adds the "
                             "missing ones); grid: 0 runs the whole grid (default 8)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="trials run at once; with GPUs each gets one, round robin")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampler")
    parser.add_argument("--out", type=Path, default=None,
                        help="study (optuna.db), per-trial results and sweep_results.json "
                             "(default runs/sweeps/<sweep name>)")
    parser.add_argument("--storage", default=None,
                        help="Optuna RDB URL of a study shared by several runners (e.g. "
                             "postgresql://host/db); default sqlite:///<out>/optuna.db")
    parser.add_argument("--no-prune", dest="prune", action="store_false",
                        help="run every trial to the end (default: median pruning from "
                             "each epoch's metric, hyperband if the file asks for it)")
    parser.add_argument("--devices", default=None,
                        help="GPU ids for the trials, comma-separated, or 'none' (default: "
                             "CUDA_VISIBLE_DEVICES, else every GPU torch sees)")
    take_options_after_double_dash(parser, "train_options")


def take_options_after_double_dash(parser: argparse.ArgumentParser, dest: str) -> None:
    """Make ``parser`` put everything after the first ``--`` into ``args.<dest>``.

    argparse has no way to say it: a positional ``nargs="*"`` after ``SWEEP`` is filled
    (empty) as soon as ``SWEEP`` is read, and what follows ``--`` is then refused.
    """
    parse_known_args = parser.parse_known_args

    def split_then_parse(args=None, namespace=None):
        args = list(sys.argv[1:] if args is None else args)
        cut = args.index("--") if "--" in args else len(args)
        namespace, extras = parse_known_args(args[:cut], namespace)
        setattr(namespace, dest, args[cut + 1:])
        return namespace, extras

    parser.parse_known_args = split_then_parse


def run(args: argparse.Namespace) -> int:
    """Run the sweep; print the best trial and where the results are."""
    sweep = read_sweep_file(config_path(args.sweep))
    extra = list(args.train_options)
    if args.trials < 0 or args.jobs < 1:
        raise ValueError(f"--trials {args.trials} --jobs {args.jobs}: need trials >= 0 and "
                         f"jobs >= 1")
    trials = args.trials
    if trials == 0:
        if sweep.method != "grid":
            raise ValueError("--trials 0 means the whole grid: only for method: grid")
        trials = math.prod(len(d.choices) for d in sweep.space.values())
    probe = trial_command(sweep, sweep.fixed, extra)
    if "WANDB_RUN_ID" not in str(run_dir_of(probe, {})):
        raise ValueError(f"{sweep.path}: command: each trial needs its own run dir: add "
                         f"--run_dir=runs/sweeps/{sweep.path.stem}/$WANDB_RUN_ID (or pass "
                         f"it after --)")
    if "${program}" in sweep.command and not Path(sweep.program).is_file():
        raise FileNotFoundError(f"{sweep.path}: program {sweep.program} not found in "
                                f"{Path.cwd()}: run pgxdl sweep from the folder that holds it")
    if args.devices is None:
        devices = visible_gpus()
    else:
        devices = [] if args.devices == "none" else args.devices.split(",")
    out = args.out or Path("runs") / "sweeps" / sweep.path.stem
    report = run_sweep(SweepRun(sweep=sweep, out=out, trials=trials, jobs=args.jobs,
                                seed=args.seed, prune=args.prune, extra=extra,
                                devices=devices, storage=args.storage))
    states = [t["state"] for t in report["trials"]]
    counts = ", ".join(f"{states.count(state)} {state}" for state in sorted(set(states)))
    print(f"{len(states)} trials ({counts}); best: {report['best']}")
    print(f"results: {out / 'sweep_results.json'}")
    return 0
