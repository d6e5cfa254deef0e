"""Benchmark: supervised dose models as the first dose, nomogram or agent titrating after.

Usage::

    python benchmarks/rl_initiation.py [--seeds 0 1 2 3 4] [--n-patients 500]
        [--agent-run runs/rl/dqn/seed_0] [--out DIR]
    python benchmarks/rl_initiation.py --quick --iwpc tiny.csv --out /tmp/x   # a test runs it

Dose models (:mod:`pgxdl.rl.policies.initiation`), all through one interface (records ->
weekly dose and an 80 % interval): the IWPC pharmacogenetic formula, and a gradient-boosting
pgxdl dose model (:func:`pgxdl.baselines.models.make_model`, IWPC feature set) trained on
a random 80 % of the scoreable IWPC patients; both intervals are split-conformal quantiles
of log(observed / predicted) on the other 20 %. Policies: the IWPC protocol as shipped
(:class:`~pgxdl.rl.policies.clinical_protocols.IWPCGuidedProtocol`), each model's dose
then the nomogram, the same with the titrated dose kept inside the model's interval for
14 days, and, with ``--agent-run``, the model's dose for 3 days then that trained agent.
Every policy doses the same cohorts (seed 20000 + seed) under every simulator; means over
seeds with 95 % t-intervals, and the paired difference against the IWPC-formula start.
Writes ``results.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from pgxdl.baselines.models import make_model
from pgxdl.io import write_json
from pgxdl.iwpc.features import FEATURE_SETS, derive_features
from pgxdl.iwpc.formulas import IWPCFormula
from pgxdl.iwpc.policy import select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.paths import REPO_ROOT, shared_data_dir
from pgxdl.rl.anticoagulation import mean_ci
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.evaluate import combine_replicates, group_means, protocol_config
from pgxdl.rl.policies.agents import load_agent
from pgxdl.rl.policies.clinical_protocols import IWPCGuidedProtocol
from pgxdl.rl.policies.initiation import (
    HandoverDecider,
    ModelInitiatedProtocol,
    RegressorDoseModel,
    log_ratio_quantiles,
)
from pgxdl.rl.rollout import ModelDecider, ProtocolDecider, rollout

SIMULATORS = {"hamberg2007": {"kind": "hamberg2007"},
              "iwpc_recalibrated": {"kind": "iwpc_recalibrated"},
              "perturbed": {"kind": "perturbed"}}
SEED_OFFSET = 20_000
REFERENCE = "iwpc_formula_start"
METRICS = ("pttr", "frac_inr_above_4", "frac_inr_below_1_5", "days_to_therapeutic")


def dose_models(iwpc: Path, seed: int, quick: bool) -> tuple[dict, dict]:
    """The IWPC formula and a trained gradient-boosting model, with held-out intervals."""
    table = read_iwpc_table(iwpc)
    keep, report = select_patients(table.frame)
    features = derive_features(table.frame[keep])
    dose = table.frame["dose_mg_week"][keep].to_numpy(float)
    order = np.random.default_rng(seed).permutation(len(dose))
    fit_rows, held_rows = order[: int(0.8 * len(dose))], order[int(0.8 * len(dose)):]
    boosted = make_model("gradient_boosting", FEATURE_SETS["iwpc"], seed=seed, quick=quick)
    boosted.fit(features.iloc[fit_rows], dose[fit_rows])
    models, info = {}, {"patients": report.summary(), "fit": len(fit_rows),
                        "held_out": len(held_rows)}
    for name, regressor in (("iwpc_formula", IWPCFormula().fit(features)),
                            ("gradient_boosting", boosted)):
        held = regressor.predict(features.iloc[held_rows])
        interval = log_ratio_quantiles(dose[held_rows], held)
        models[name] = RegressorDoseModel(regressor, interval, name)
        error = np.abs(held - dose[held_rows])
        info[name] = {"log_interval_80": list(interval), "held_out_mae_mg_week":
                      float(error.mean()), "held_out_pw20": float(np.mean(
                          error <= 0.2 * dose[held_rows]))}
    return models, info


def deciders(models: dict, agent_run: Path | None) -> dict:
    """Policy name -> (the agent's env config, or None for daily decisions; decider)."""
    out = {"iwpc_pg_titration": (None, ProtocolDecider(IWPCGuidedProtocol()))}
    for name, model in models.items():
        out[f"{name}_start"] = (None, ProtocolDecider(ModelInitiatedProtocol(model)))
        out[f"{name}_start_bounded14d"] = (None, ProtocolDecider(
            ModelInitiatedProtocol(model, bound_days=14)))
    if agent_run is not None:
        config = yaml.safe_load((agent_run / "config.yaml").read_text())
        env_config = EnvConfig.from_dict(config["env"])
        agent = ModelDecider(load_agent(config["agent"], agent_run), ActionMap(env_config))
        out["agent"] = (env_config, agent)
        for name, model in models.items():
            out[f"{name}_start_then_agent"] = (env_config, HandoverDecider(model, agent))
    return out


def paired_difference(policy: list[dict], reference: list[dict], metric: str) -> dict:
    """Mean and t-interval over seeds of ``policy - reference`` (all patients)."""
    diff = np.array([a["all"][metric] - b["all"][metric]
                     for a, b in zip(policy, reference, strict=True)])
    return dict(zip(("mean", "ci_low", "ci_high"), mean_ci(diff), strict=True))


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-patients", type=int, default=500)
    parser.add_argument("--population", default="iwpc_white")
    parser.add_argument("--iwpc", type=Path, default=shared_data_dir() / "iwpc" / "iwpc.csv")
    parser.add_argument("--agent-run", type=Path, help="a `pgxdl rl train` run folder")
    parser.add_argument("--quick", action="store_true", help="2 seeds, 10 patients, small model")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results"
                        / "rl_initiation")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.n_patients = args.seeds[:2], 10
    started = time.perf_counter()
    models, info = dose_models(args.iwpc, 0, args.quick)
    policies = deciders(models, args.agent_run)
    per_seed: dict[str, dict[str, list]] = {s: {} for s in SIMULATORS}
    for simulator, spec in SIMULATORS.items():
        base = EnvConfig(population=args.population, iwpc_path=str(args.iwpc), simulator=spec)
        for seed in args.seeds:
            patients = draw_patients(base, config_population(base), args.n_patients,
                                     np.random.default_rng(SEED_OFFSET + seed))
            for name, (agent_config, decider) in policies.items():
                config = agent_config or protocol_config(base)
                batch = rollout(config, decider, patients, seed=SEED_OFFSET + seed)
                per_seed[simulator].setdefault(name, []).append(group_means(batch))
    summary = {s: {p: combine_replicates(r) for p, r in pol.items()}
               for s, pol in per_seed.items()}
    versus = {s: {p: {m: paired_difference(reps, pol[REFERENCE], m) for m in METRICS}
                  for p, reps in pol.items()} for s, pol in per_seed.items()}
    result = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
              "seeds": args.seeds, "n_patients_per_seed": args.n_patients,
              "dose_models": info, "wall_seconds": time.perf_counter() - started,
              "results": summary, "versus_iwpc_formula_start": versus}
    write_json(args.out / "results.json", result)
    print(format_table(summary, versus))
    return result


def format_table(summary: dict, versus: dict) -> str:
    """Per simulator: each policy's metrics and its PTTR difference from the IWPC start."""
    lines = []
    for simulator, policies in summary.items():
        lines += ["", simulator, "policy".ljust(40) + "PTTR %".rjust(10) + "INR>4 %".rjust(10)
                  + "INR<1.5 %".rjust(10) + "days".rjust(8) + "dPTTR vs IWPC start".rjust(28)]
        for name, groups in policies.items():
            a = groups["all"]
            d = versus[simulator][name]["pttr"]
            lines.append(name.ljust(40) + f"{100 * a['pttr']['mean']:10.1f}"
                         f"{100 * a['frac_inr_above_4']['mean']:10.2f}"
                         f"{100 * a['frac_inr_below_1_5']['mean']:10.2f}"
                         f"{a['days_to_therapeutic']['mean']:8.1f}"
                         + f"{100 * d['mean']:+.1f} [{100 * d['ci_low']:+.1f}, "
                           f"{100 * d['ci_high']:+.1f}]".rjust(28))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
