"""Benchmark: agents trained on one simulator, evaluated on every simulator, with and without
the safety layer, beside the clinical protocols (the misspecification matrix).

Usage::

    python benchmarks/rl_misspecification.py --budget small [--seeds 0 1 2] [--out DIR]
    python benchmarks/rl_misspecification.py --quick --out /tmp/rl_mis   # seconds; a test runs it
    python benchmarks/rl_misspecification.py --reuse-runs --seeds 0 1   # evaluate finished runs

For every seed and every training simulator (``hamberg2007``, ``iwpc_recalibrated``,
``perturbed``, ``hamberg2010``; :mod:`pgxdl.rl.simulator.variants`) each agent (DQN, PPO, PPO
with a continuous dose) is trained with the shipped config and ``--budget`` (``quick``: a
few hundred steps; ``small``: the timesteps of :data:`BUDGETS`; ``full``: the configs'
own). Every agent and the three protocols then dose a held-out cohort (seed 10000 + seed)
under every simulator; the cohort has the same covariates and random-effect draws under
each simulator; the typical values differ, and under ``hamberg2010`` the model structure too.
Each policy also runs behind :class:`pgxdl.rl.policies.safety.SafeDecider` (``+safe``).
Metrics per genotype group are means over seeds with 95 % t-intervals across seeds.
``goal`` per simulator compares every agent with the best protocol (paired by seed): the
target is +5 PTTR points with no more days above INR 4. ``flags`` lists every policy with
more days above INR 4 than the IWPC protocol under some simulator. Writes ``results.json``
and ``matrix.png``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from matplotlib.figure import Figure

from pgxdl.io import save_png, write_json
from pgxdl.paths import REPO_ROOT
from pgxdl.rl.anticoagulation import mean_ci
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.evaluate import combine_replicates, group_means, protocol_config
from pgxdl.rl.policies.agents import load_agent
from pgxdl.rl.policies.clinical_protocols import default_protocols
from pgxdl.rl.policies.safety import SafeDecider
from pgxdl.rl.rollout import ModelDecider, ProtocolDecider, rollout
from pgxdl.rl.simulator.variants import SIMULATOR_KINDS
from pgxdl.rl.train import load_config, merge_config, train

SIMULATORS = {kind: {"kind": kind} for kind in SIMULATOR_KINDS}
AGENTS = ("dqn", "ppo", "ppo_continuous")
TEST_SEED_OFFSET = 10_000
REFERENCE_PROTOCOL = "iwpc_pg_titration"
GOAL_PTTR_POINTS = 0.05


def _budget(steps: int, eval_every: int, n_validation: int, **agent_args) -> dict:
    return {"training": {"total_timesteps": steps, "eval_every": eval_every,
                         "n_validation_patients": n_validation},
            "agent": {"init_args": agent_args}}


BUDGETS = {
    "quick": {"dqn": _budget(128, 128, 4, learning_starts=32, buffer_size=1000, batch_size=32),
              "ppo": _budget(128, 128, 4, n_steps=4, batch_size=32, n_epochs=1),
              "ppo_continuous": _budget(128, 128, 4, n_steps=4, batch_size=32, n_epochs=1)},
    "small": {"dqn": _budget(80_000, 20_000, 100, learning_starts=3000),
              "ppo": _budget(160_000, 40_000, 100),
              "ppo_continuous": _budget(300_000, 50_000, 100)},
    "full": {},
}


def train_agents(seed: int, budget: str, agents: tuple[str, ...], population: str,
                 out: Path, reuse: bool = False, train_on: tuple[str, ...] = tuple(SIMULATORS)
                 ) -> dict[tuple[str, str], tuple[object, EnvConfig]]:
    """Every agent trained on every simulator of ``train_on`` with ``seed``: loaded models
    and env configs.

    With ``reuse``, a run folder that already holds a finished run (``summary.json``) of
    the same config is loaded instead of trained again.
    """
    trained = {}
    for simulator in train_on:
        spec = SIMULATORS[simulator]
        for agent in agents:
            config = merge_config(load_config(REPO_ROOT / "configs" / "rl" / f"{agent}.yaml"),
                                  BUDGETS[budget].get(agent, {}))
            config["env"].update(population=population, simulator=spec)
            config.update(seed=seed, name=f"{agent}_{simulator}", output_dir=str(out / "runs"))
            run_dir = out / "runs" / config["name"] / f"seed_{seed}"
            if not (reuse and (run_dir / "summary.json").exists()
                    and _same_run(yaml.safe_load((run_dir / "config.yaml").read_text()), config)):
                run_dir = train(config)
            trained[(agent, simulator)] = (load_agent(config["agent"], run_dir),
                                           EnvConfig.from_dict(config["env"]))
    return trained


def _same_run(saved: dict, config: dict) -> bool:
    """Whether a saved run config is ``config`` (wherever its folder was given from)."""
    return ({k: v for k, v in saved.items() if k != "output_dir"}
            == {k: v for k, v in config.items() if k != "output_dir"})


def evaluate_seed(seed: int, trained: dict, population: str, n_patients: int) -> dict:
    """Group means of every policy, raw and ``+safe``, per simulator: ``{sim: {policy: ..}}``."""
    test_seed = TEST_SEED_OFFSET + seed
    out = {}
    for simulator, spec in SIMULATORS.items():
        base = EnvConfig(population=population, simulator=spec)
        patients = draw_patients(base, config_population(base), n_patients,
                                 np.random.default_rng(test_seed))
        daily = protocol_config(base)
        deciders = {p.name: (daily, ProtocolDecider(p)) for p in default_protocols()}
        for (agent, trained_on), (model, env_config) in trained.items():
            deciders[f"{agent}@{trained_on}"] = (env_config,
                                                 ModelDecider(model, ActionMap(env_config)))
        results = {}
        for name, (config, decider) in deciders.items():
            results[name] = group_means(rollout(config, decider, patients, seed=test_seed))
            safe = rollout(protocol_config(config), SafeDecider(decider), patients, seed=test_seed)
            results[f"{name}+safe"] = group_means(safe)
        out[simulator] = results
    return out


def paired(per_seed: dict, policy: str, reference: str, metric: str) -> dict:
    """Mean and t-interval over seeds of ``policy - reference`` for ``metric`` (all patients)."""
    diff = np.array([a["all"][metric] - b["all"][metric]
                     for a, b in zip(per_seed[policy], per_seed[reference], strict=True)])
    mean, low, high = mean_ci(diff)
    return {"mean": mean, "ci_low": low, "ci_high": high}


def goal_and_flags(per_seed: dict[str, dict[str, list]]) -> dict:
    """Per simulator: agents against the best raw protocol, safety cost, INR > 4 flags."""
    protocols = [p.name for p in default_protocols()]
    out = {}
    for simulator, policies in per_seed.items():
        best = max(protocols, key=lambda p: np.mean([r["all"]["pttr"] for r in policies[p]]))
        agents = [p for p in policies if "@" in p]
        comparisons = {}
        for agent in agents:
            gain = paired(policies, agent, best, "pttr")
            above = paired(policies, agent, best, "frac_inr_above_4")
            comparisons[agent] = {"pttr_gain": gain, "frac_above_4_change": above,
                                  "goal_met": bool(gain["mean"] >= GOAL_PTTR_POINTS
                                                   and above["mean"] <= 0.0),
                                  "misspecified": agent.split("@")[1].removesuffix("+safe")
                                  != simulator}
        reference = np.mean([r["all"]["frac_inr_above_4"] for r in policies[REFERENCE_PROTOCOL]])
        flags = {p: float(np.mean([r["all"]["frac_inr_above_4"] for r in reps]))
                 for p, reps in policies.items()
                 if np.mean([r["all"]["frac_inr_above_4"] for r in reps]) > reference}
        safety_cost = {p: paired(policies, f"{p}+safe", p, "pttr")
                       for p in policies if not p.endswith("+safe")}
        out[simulator] = {"best_protocol": best, "agents": comparisons,
                          "goal_met_by": [a for a, c in comparisons.items() if c["goal_met"]],
                          "iwpc_frac_above_4": float(reference),
                          "more_days_above_4_than_iwpc": flags, "safety_pttr_cost": safety_cost}
    return out


def format_tables(summary: dict, goal: dict) -> str:
    """PTTR, INR > 4, INR < 1.5 and days to range (all patients) per policy x simulator."""
    simulators = list(summary)
    policies = list(summary[simulators[0]])
    lines = []
    for metric, label, scale in (("pttr", "PTTR %", 100), ("frac_inr_above_4", "% days INR > 4",
                                                          100),
                                 ("frac_inr_below_1_5", "% days INR < 1.5", 100),
                                 ("days_to_therapeutic", "days to first INR 2-3", 1)):
        lines += ["", f"{label} (rows: policy[@trained on]; columns: evaluated on)",
                  "policy".ljust(34) + "".join(s.rjust(26) for s in simulators)]
        for policy in policies:
            cells = []
            for s in simulators:
                v = summary[s][policy]["all"][metric]
                cells.append(f"{v['mean'] * scale:6.2f} [{v['ci_low'] * scale:6.2f},"
                             f"{v['ci_high'] * scale:6.2f}]".rjust(26))
            lines.append(policy.ljust(34) + "".join(cells))
    lines.append("")
    for s in simulators:
        g = goal[s]
        lines.append(f"{s}: best protocol {g['best_protocol']}; goal met by "
                     f"{g['goal_met_by'] or 'no agent'}; more days > 4 than IWPC: "
                     f"{sorted(g['more_days_above_4_than_iwpc']) or 'none'}")
    return "\n".join(lines)


def plot_matrix(summary: dict, path: Path) -> None:
    """Heat maps: PTTR and % days INR > 4 per policy (rows) and evaluation simulator."""
    simulators = list(summary)
    policies = list(summary[simulators[0]])
    fig = Figure(figsize=(11, 0.32 * len(policies) + 2))
    for ax, (metric, title) in zip(fig.subplots(1, 2), (("pttr", "PTTR %"),
                                                        ("frac_inr_above_4", "% days INR > 4")),
                                   strict=True):
        values = np.array([[summary[s][p]["all"][metric]["mean"] * 100 for s in simulators]
                           for p in policies])
        image = ax.imshow(values, aspect="auto", cmap="viridis" if metric == "pttr" else "magma_r")
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=6, color="white"
                    if (metric == "pttr") == (v < np.nanmean(values)) else "black")
        ax.set_xticks(range(len(simulators)), simulators, fontsize=7)
        ax.set_yticks(range(len(policies)), policies, fontsize=6)
        ax.set_xlabel("evaluated on")
        ax.set_title(title, fontsize=9)
        fig.colorbar(image, ax=ax, shrink=0.6)
    fig.tight_layout()
    save_png(fig, path, dpi=110, tight=False)


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=list(BUDGETS), default="small")
    parser.add_argument("--quick", action="store_true", help="--budget quick, 1 seed, 8 patients")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-patients", type=int, default=500)
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=list(AGENTS))
    parser.add_argument("--train-on", nargs="+", default=list(SIMULATORS),
                        choices=list(SIMULATORS),
                        help="simulators to train agents on (all are evaluated)")
    parser.add_argument("--population", default="iwpc_white")
    parser.add_argument("--reuse-runs", action="store_true",
                        help="load finished runs of the same config instead of training again")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results"
                        / "rl_misspecification")
    args = parser.parse_args(argv)
    if args.quick:
        args.budget, args.seeds, args.n_patients = "quick", args.seeds[:1], 8
    torch.set_num_threads(1)
    started = time.perf_counter()
    per_seed: dict[str, dict[str, list]] = {s: {} for s in SIMULATORS}
    for seed in args.seeds:
        trained = train_agents(seed, args.budget, tuple(args.agents), args.population, args.out,
                               args.reuse_runs, tuple(args.train_on))
        for simulator, policies in evaluate_seed(seed, trained, args.population,
                                                 args.n_patients).items():
            for policy, groups in policies.items():
                per_seed[simulator].setdefault(policy, []).append(groups)
    summary = {s: {p: combine_replicates(reps) for p, reps in policies.items()}
               for s, policies in per_seed.items()}
    goal = goal_and_flags(per_seed)
    result = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
              "budget": args.budget, "timesteps": {a: BUDGETS[args.budget].get(a, {}).get(
                  "training", {}).get("total_timesteps", "config") for a in args.agents},
              "seeds": args.seeds, "n_patients_per_seed": args.n_patients,
              "population": args.population, "simulators": SIMULATORS,
              "wall_seconds": time.perf_counter() - started, "goal": goal, "results": summary,
              "per_seed": per_seed}
    write_json(args.out / "results.json", result)
    plot_matrix(summary, args.out / "matrix.png")
    print(format_tables(summary, goal))
    return result


if __name__ == "__main__":
    main()
