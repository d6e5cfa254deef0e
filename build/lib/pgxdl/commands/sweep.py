"""Run a W&B sweep file with no W&B server: random or grid search, one process per trial.

``python -m pgxdl.commands.sweep configs/sweeps/cnn_gated.yaml --trials 8 [--seed 0] [-- extra args]``

Reads the same YAML as ``wandb sweep`` (``program``, ``method``, ``metric``, flat
``parameters``, ``command`` with the ``${env}``, ``${interpreter}``, ``${program}``,
``${args}`` and ``${args_no_hyphens}`` macros), runs each trial with ``WANDB_RUN_ID`` set
to ``<sweep>-<trial>`` (``WANDB_MODE`` offline unless set), reads the metric from the
trial's ``<run dir>/metrics_fit.json`` and writes ``<out>/sweep_results.json``.
``bayes`` sweeps run as random search here.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import string
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from pgxdl.io import atomic_write_text


def sample_parameter(name: str, spec: dict, rng: np.random.Generator):
    """One value of a W&B parameter ``spec`` (``value``, ``values`` or a distribution)."""
    if "value" in spec:
        return spec["value"]
    if "values" in spec:
        return spec["values"][rng.choice(len(spec["values"]), p=spec.get("probabilities"))]
    kind = spec.get("distribution")
    if kind is None and "min" in spec:
        both_int = isinstance(spec["min"], int) and isinstance(spec["max"], int)
        kind = "int_uniform" if both_int else "uniform"
    low, high = spec.get("min"), spec.get("max")
    if kind == "uniform":
        return float(rng.uniform(low, high))
    if kind == "int_uniform":
        return int(rng.integers(low, high + 1))
    if kind == "log_uniform_values":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    if kind == "log_uniform":
        return float(math.exp(rng.uniform(low, high)))
    if kind == "q_uniform":
        return float(round(rng.uniform(low, high) / spec.get("q", 1)) * spec.get("q", 1))
    if kind == "normal":
        return float(rng.normal(spec.get("mu", 0.0), spec.get("sigma", 1.0)))
    raise ValueError(f"sweep parameter {name!r}: unsupported distribution {kind!r} (use value, "
                     f"values, uniform, int_uniform, log_uniform_values, log_uniform, "
                     f"q_uniform or normal)")


def trial_parameters(sweep: dict, trials: int, seed: int) -> list[dict]:
    """Parameter sets of the trials: the grid (``method: grid``) or ``trials`` random draws."""
    parameters = sweep.get("parameters") or {}
    for name, spec in parameters.items():
        if not isinstance(spec, dict) or "parameters" in spec:
            raise ValueError(f"sweep parameter {name!r}: use flat dotted names with a "
                             f"value/values/distribution mapping")
    if sweep.get("method", "random") == "grid":
        not_listed = [n for n, s in parameters.items() if "value" not in s and "values" not in s]
        if not_listed:
            raise ValueError(f"grid sweep: parameters {not_listed} need 'value' or 'values'")
        names = list(parameters)
        choices = [parameters[n].get("values", [parameters[n].get("value")]) for n in names]
        grid = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*choices)]
        return grid[:trials] if trials else grid
    rng = np.random.default_rng(seed)
    return [{n: sample_parameter(n, s, rng) for n, s in parameters.items()}
            for _ in range(trials)]


def trial_command(sweep: dict, params: dict, extra: list[str]) -> list[str]:
    """The trial's argv: ``command`` with its macros expanded, then ``extra``."""
    args = [f"--{k}={v}" for k, v in params.items()]
    template = sweep.get("command") or ["${env}", "${interpreter}", "${program}", "${args}"]
    macros = {"${env}": [], "${interpreter}": [sys.executable],
              "${program}": [sweep["program"]], "${args}": args,
              "${args_no_hyphens}": [a[2:] for a in args]}
    command = [part for item in template for part in macros.get(item, [item])]
    return command + list(extra)


def run_dir_of(command: list[str], env: dict) -> Path | None:
    """The ``--run_dir`` a trial command names (environment variables expanded)."""
    for arg in reversed(command):
        if arg.startswith("--run_dir="):
            return Path(string.Template(arg.split("=", 1)[1]).safe_substitute(env))
    return None


def run_sweep(sweep_file: Path, trials: int, seed: int, extra: list[str], out: Path) -> dict:
    """Run the trials one after the other; return and write the results."""
    sweep = yaml.safe_load(sweep_file.read_text())
    if "program" not in sweep:
        raise ValueError(f"{sweep_file}: a sweep file needs 'program'")
    metric = sweep.get("metric", {"name": "val/loss", "goal": "minimize"})
    results = []
    for index, params in enumerate(trial_parameters(sweep, trials, seed)):
        run_id = f"{sweep_file.stem}-{seed}-{index:03d}"
        env = {**os.environ, "WANDB_RUN_ID": run_id,
               "WANDB_MODE": os.environ.get("WANDB_MODE", "offline")}
        command = trial_command(sweep, params, extra)
        print(f"[{index + 1}] {' '.join(command)}", flush=True)
        done = subprocess.run(command, env=env)
        run_dir = run_dir_of(command, env)
        summary = run_dir / "metrics_fit.json" if run_dir else None
        value = None
        if done.returncode == 0 and summary and summary.is_file():
            value = json.loads(summary.read_text())["metrics"].get(metric["name"])
        results.append({"run_id": run_id, "parameters": params, "returncode": done.returncode,
                        "run_dir": str(run_dir) if run_dir else None, metric["name"]: value})
    scored = [r for r in results if r[metric["name"]] is not None]
    sign = 1 if metric.get("goal", "minimize") == "minimize" else -1
    best = min(scored, key=lambda r: sign * r[metric["name"]]) if scored else None
    report = {"sweep": str(sweep_file), "method": sweep.get("method", "random"), "seed": seed,
              "metric": metric, "trials": results, "best": best}
    atomic_write_text(out / "sweep_results.json", json.dumps(report, indent=2) + "\n")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pgxdl.commands.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep", type=Path, help="W&B sweep YAML (configs/sweeps/*.yaml)")
    parser.add_argument("--trials", type=int, default=8,
                        help="random draws; for grid sweeps the first N points (0: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random draws")
    parser.add_argument("--out", type=Path, default=None,
                        help="where sweep_results.json goes (default runs/sweeps/<name>)")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    out = args.out or Path("runs") / "sweeps" / args.sweep.stem
    report = run_sweep(args.sweep, args.trials, args.seed, extra, out)
    print(f"{len(report['trials'])} trials; best: {report['best']}")
    print(f"results: {out / 'sweep_results.json'}")


if __name__ == "__main__":
    main()
