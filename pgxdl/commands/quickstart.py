"""The quickstart behind ``make train``: build the simulated cohort, train, evaluate.

    pgxdl quickstart [--out runs/quickstart] [--experiment <yaml>] [--subjects N] [--epochs N]

Each step is the ``pgxdl`` command a user would type, printed before it runs, so the
quickstart doubles as a tutorial. Needs no external file (the cohort is simulated) and runs
from any folder: configs come from the package.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

HELP = "build, train and evaluate the simulated cohort"
EXPERIMENT = "experiment/quickstart.yaml"


def step(command: list[str]) -> None:
    """Print ``pgxdl <command>`` and run it; a failed step ends the quickstart with its
    exit code (the step has printed its own error)."""
    print(f"\n$ pgxdl {shlex.join(command)}", flush=True)
    completed = subprocess.run([sys.executable, "-m", "pgxdl", *command])
    if completed.returncode:
        print(f"quickstart: step failed (exit {completed.returncode})", file=sys.stderr)
        raise SystemExit(completed.returncode)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/quickstart", help="run folder")
    parser.add_argument("--experiment", default=EXPERIMENT, help="LightningCLI experiment YAML")
    parser.add_argument("--subjects", type=int, default=None, help="override cohort size")
    parser.add_argument("--epochs", type=int, default=None, help="override training epochs")


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    store = out / "data" / "simulated.h5"
    start = time.perf_counter()
    build = ["build", "data/simulated.yaml", "--out", str(store)]
    if args.subjects:
        build += ["--set", f"n_subjects={args.subjects}"]
    step(build)
    step(["inspect", str(store)])
    train = ["train", "fit", "--config", args.experiment, "--data.init_args.store", str(store),
             "--run_dir", str(out / "train")]
    if args.epochs:
        train += ["--trainer.max_epochs", str(args.epochs)]
    step(train)
    checkpoint = out / "train" / "checkpoints" / "best.ckpt"
    step(["evaluate", "--ckpt", str(checkpoint), "--store", str(store), "--split", "default",
          "--part", "test", "--groups", "population", "site", "--out", str(out / "eval")])
    minutes = (time.perf_counter() - start) / 60
    print(f"\nquickstart done in {minutes:.1f} min.\n"
          f"  cohort store    {store}\n"
          f"  run config      {out / 'train' / 'config_fit.yaml'}\n"
          f"  checkpoints     {out / 'train' / 'checkpoints'}\n"
          f"  metrics (JSON)  {out / 'eval' / 'metrics.json'}\n"
          f"  plots (PNG)     {out / 'eval'}/*.png\n"
          f"  W&B             {out / 'train' / 'wandb'} (offline unless you are logged in: "
          f"`wandb sync` it after `wandb login`)")
    return 0
