"""Benchmark: do the simulators' stable doses look like the IWPC table's?

Usage::

    python benchmarks/rl_calibration.py [--n-patients 5000] [--population iwpc_all]
        [--simulators hamberg2007 iwpc_recalibrated perturbed hamberg2010] [--out DIR]
    python benchmarks/rl_calibration.py --quick --out /tmp/rl_cal     # seconds; a test runs it

For each simulator, ``--n-patients`` virtual patients are drawn from the IWPC population
estimate (covariates, genotypes and each model's inter-individual variability; the same
patients' covariates and random-effect draws under every simulator) and each is titrated to
its stable dose, the constant daily dose with steady-state INR 2.5 (solved exactly and
vectorised over patients, :func:`pgxdl.rl.simulator.hamberg.stable_daily_dose`). The
simulated weekly doses are compared with the therapeutic doses of the same population in
the IWPC table: quantiles (10/25/50/75/90 %) per CYP2C9 x VKORC1 group and overall, and
the energy and Wasserstein-1 distances (``scipy.stats``) between log doses. Writes
``results.json`` and ``stable_doses.png`` to ``--out``. The recalibrated simulator was
fitted to the same table, so its distances are in-sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from pgxdl.io import save_png, write_json
from pgxdl.paths import REPO_ROOT, shared_data_dir
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.simulator.hamberg import HambergSimulator, stable_daily_dose
from pgxdl.rl.simulator.iwpc_population import iwpc_stable_doses
from pgxdl.rl.simulator.parameters import CYP2C9_GENOTYPES, VKORC1_GENOTYPES
from pgxdl.rl.simulator.variants import SIMULATOR_KINDS

QUANTILES = (0.10, 0.25, 0.50, 0.75, 0.90)
MIN_GROUP = 5
SIMULATORS = {kind: {"kind": kind} for kind in SIMULATOR_KINDS}


def simulated_weekly_doses(spec: dict, population: str, n: int, seed: int,
                           iwpc_path: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable weekly doses ``(n,)`` of ``n`` patients of ``spec``, with their genotypes."""
    config = EnvConfig(population=population, iwpc_path=iwpc_path, simulator=spec)
    patients = draw_patients(config, config_population(config), n, np.random.default_rng(seed))
    doses = 7.0 * stable_daily_dose(HambergSimulator(patients.params))
    return doses, patients.covariates.cyp2c9, patients.covariates.vkorc1


def group_label(cyp2c9: int, vkorc1: int) -> str:
    """``*1/*1 G/A``."""
    return f"{CYP2C9_GENOTYPES[cyp2c9]} {VKORC1_GENOTYPES[vkorc1]}"


def compare(simulated: np.ndarray, observed: np.ndarray) -> dict:
    """Quantiles of both (mg/week), their median ratio and the log-dose distances."""
    log_sim, log_obs = np.log(simulated), np.log(observed)
    return {"n_simulated": int(len(simulated)), "n_iwpc": int(len(observed)),
            "quantiles_simulated": np.quantile(simulated, QUANTILES).tolist(),
            "quantiles_iwpc": np.quantile(observed, QUANTILES).tolist(),
            "median_ratio": float(np.median(simulated) / np.median(observed)),
            "energy_distance_log": float(stats.energy_distance(log_sim, log_obs)),
            "wasserstein_log": float(stats.wasserstein_distance(log_sim, log_obs))}


def calibrate(spec: dict, population: str, n: int, seed: int, iwpc_path: str, observed) -> dict:
    """Overall and per-group comparison of one simulator with the IWPC doses."""
    doses, cyp, vkor = simulated_weekly_doses(spec, population, n, seed, iwpc_path)
    out = {"overall": compare(doses, observed.dose_mg_week), "groups": {}}
    for c in range(len(CYP2C9_GENOTYPES)):
        for v in range(len(VKORC1_GENOTYPES)):
            sim = doses[(cyp == c) & (vkor == v)]
            obs = observed.dose_mg_week[(observed.cyp2c9 == c) & (observed.vkorc1 == v)]
            if min(len(sim), len(obs)) >= MIN_GROUP:
                out["groups"][group_label(c, v)] = compare(sim, obs)
    groups = out["groups"].values()
    weights = np.array([g["n_iwpc"] for g in groups], dtype=float)
    out["group_weighted_abs_log_median_ratio"] = float(np.average(
        [abs(np.log(g["median_ratio"])) for g in groups], weights=weights))
    out["doses"] = doses  # for the figure; dropped before writing
    return out


def plot(results: dict, observed, path: Path) -> None:
    """Per-group medians with 25-75 % bars (IWPC and each simulator) and overall ECDFs."""
    fig = Figure(figsize=(13, 5.5))
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.3, 1]})
    names = list(results)
    groups = list(results[names[0]]["groups"])
    offsets = np.linspace(-0.3, 0.3, len(names) + 1)
    series = [("IWPC table", "quantiles_iwpc", names[0])] + [
        (name, "quantiles_simulated", name) for name in names]
    for k, (label, key, source) in enumerate(series):
        q = np.array([results[source]["groups"][g][key] for g in groups])
        x = np.arange(len(groups)) + offsets[k]
        left.errorbar(x, q[:, 2], yerr=[q[:, 2] - q[:, 1], q[:, 3] - q[:, 2]], fmt="o",
                      ms=4, capsize=2, label=label, color="black" if k == 0 else f"C{k - 1}")
    left.set_xticks(np.arange(len(groups)), groups, rotation=60, fontsize=7, ha="right")
    left.set_yscale("log")
    left.set_ylabel("stable dose (mg/week), median and 25-75 %")
    left.set_title("per CYP2C9 / VKORC1 group", fontsize=9)
    left.legend(fontsize=7)
    for k, name in enumerate(["IWPC table", *names]):
        values = np.sort(observed.dose_mg_week if k == 0 else results[name]["doses"])
        right.step(values, np.arange(1, len(values) + 1) / len(values), where="post",
                   color="black" if k == 0 else f"C{k - 1}", label=name)
    right.set_xscale("log")
    right.set_xlabel("stable dose (mg/week)")
    right.set_ylabel("cumulative fraction")
    right.set_title("all patients", fontsize=9)
    right.legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path, dpi=110, tight=False)


def format_table(results: dict) -> str:
    """Medians per group (IWPC vs each simulator) and the distances, as text."""
    names = list(results)
    groups = list(results[names[0]]["groups"])
    lines = ["group".ljust(14) + "IWPC median (n)".rjust(18)
             + "".join(f"{n[:18]:>20}" for n in names)]
    for group in groups:
        first = results[names[0]]["groups"][group]
        iwpc = f"{first['quantiles_iwpc'][2]:7.1f} ({first['n_iwpc']:5d})"
        medians = [results[n]["groups"][group]["quantiles_simulated"][2] for n in names]
        lines.append(group.ljust(14) + iwpc.rjust(18) + "".join(f"{m:20.1f}" for m in medians))
    lines.append("")
    for label, key in (("energy dist. (log)", "energy_distance_log"),
                       ("Wasserstein (log)", "wasserstein_log"), ("median ratio", "median_ratio")):
        lines.append(label.ljust(32) + "".join(f"{results[n]['overall'][key]:20.3f}"
                                               for n in names))
    lines.append("mean |log median ratio|".ljust(32) + "".join(
        f"{results[n]['group_weighted_abs_log_median_ratio']:20.3f}" for n in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-patients", type=int, default=5000)
    parser.add_argument("--population", default="iwpc_all")
    parser.add_argument("--simulators", nargs="+", default=list(SIMULATORS),
                        choices=list(SIMULATORS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--iwpc", type=Path, default=shared_data_dir() / "iwpc" / "iwpc.csv")
    parser.add_argument("--quick", action="store_true", help="400 patients (a test runs it)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results"
                        / "rl_calibration")
    args = parser.parse_args(argv)
    n = 400 if args.quick else args.n_patients
    started = time.perf_counter()
    observed = iwpc_stable_doses(args.iwpc, args.population)
    results = {name: calibrate(SIMULATORS[name], args.population, n, args.seed, str(args.iwpc),
                               observed) for name in args.simulators}
    plot(results, observed, args.out / "stable_doses.png")
    table = format_table(results)
    for result in results.values():
        result.pop("doses")
    summary = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
               "n_patients": n, "population": args.population, "seed": args.seed,
               "iwpc": observed.source, "quantiles": list(QUANTILES), "target_inr": 2.5,
               "wall_seconds": time.perf_counter() - started, "simulators": results}
    write_json(args.out / "results.json", summary)
    print(table)
    return summary


if __name__ == "__main__":
    main()
