"""The quickstart behind ``make train``: build the simulated cohort, train, evaluate.

    python -m pgxdl.commands.quickstart [--out runs/quickstart] [--experiment <yaml>] [--subjects N]

Each step is the command a user would type, printed before it runs, so the quickstart
doubles as a tutorial. Needs no external file: the cohort is simulated.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

from pgxdl.paths import REPO_ROOT

EXPERIMENT = "configs/experiment/quickstart.yaml"


def run(command: list[str]) -> None:
    """Print and run one step; stop the quickstart with its exit code if it fails."""
    print(f"\n$ {shlex.join(command)}", flush=True)
    completed = subprocess.run(command, cwd=REPO_ROOT)
    if completed.returncode:
        sys.exit(f"quickstart step failed (exit {completed.returncode}): {shlex.join(command)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pgxdl.commands.quickstart", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="runs/quickstart", help="run folder")
    parser.add_argument("--experiment", default=EXPERIMENT, help="LightningCLI experiment YAML")
    parser.add_argument("--subjects", type=int, default=None, help="override cohort size")
    args = parser.parse_args(argv)
    out = Path(args.out)
    store = out / "data" / "simulated.h5"
    python = sys.executable
    start = time.perf_counter()
    build = [python, "-m", "pgxdl.commands.build", "configs/data/simulated.yaml", "--out", str(store)]
    if args.subjects:
        build += ["--set", f"n_subjects={args.subjects}"]
    run(build)
    run([python, "-m", "pgxdl.commands.inspect", str(store)])
    run([python, "train.py", "fit", "--config", args.experiment,
         "--data.init_args.store", str(store), "--run_dir", str(out / "train")])
    checkpoint = out / "train" / "checkpoints" / "best.ckpt"
    run([python, "evaluate.py", "metrics", "--ckpt", str(checkpoint), "--store", str(store),
         "--split", "default", "--part", "test", "--groups", "population", "site",
         "--out", str(out / "eval")])
    minutes = (time.perf_counter() - start) / 60
    print(f"\nquickstart done in {minutes:.1f} min.\n"
          f"  cohort store    {store}\n"
          f"  run config      {out / 'train' / 'config_fit.yaml'}\n"
          f"  checkpoints     {out / 'train' / 'checkpoints'}\n"
          f"  metrics (JSON)  {out / 'eval' / 'metrics.json'}\n"
          f"  plots (PNG)     {out / 'eval'}/*.png\n"
          f"  W&B (offline)   wandb/ — `wandb sync` it after `wandb login` to see it online")


if __name__ == "__main__":
    main()
