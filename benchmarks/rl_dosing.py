"""Benchmark: warfarin dosing agents (Q-learning, DQN, PPO) against clinical protocols.

Usage::

    python benchmarks/rl_dosing.py --full [--out benchmarks/results/rl_dosing] [--seeds 0 1 2]
    python benchmarks/rl_dosing.py --tiny --out /tmp/rl_tiny      # seconds; used by a test
    python benchmarks/rl_dosing.py --agents ppo ppo_continuous --total-timesteps 200000 \
        --out benchmarks/results/rl_continuous    # discrete vs continuous actions

For every seed, each agent of configs/rl/{qlearning,dqn,ppo}.yaml is trained with that seed
(``--full`` uses the configs' budgets, ``--tiny`` a few hundred steps) and, with the fixed
5 mg, IWPC-genotype-guided and EU-PACT-clinical protocols, evaluated on a held-out cohort
drawn with seed 10000 + seed (same patients and INR errors for every policy). The table
gives every policy x metric x genotype group as the mean over seeds with a t-interval
(95 %) across seeds; ``goal`` compares each agent with the best protocol by PTTR, paired by
seed. Writes ``results.json``, ``trajectories.png`` and ``pttr_by_group.png`` to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from pgxdl.io import save_png, write_json
from pgxdl.paths import REPO_ROOT
from pgxdl.rl.anticoagulation import mean_ci
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.evaluate import (
    REPORTED_METRICS,
    combine_replicates,
    example_patients,
    group_means,
    plot_trajectories,
    protocol_config,
)
from pgxdl.rl.policies.agents import load_agent
from pgxdl.rl.policies.clinical_protocols import default_protocols
from pgxdl.rl.rollout import ModelDecider, ProtocolDecider, rollout
from pgxdl.rl.train import load_config, merge_config, train

AGENTS = ("qlearning", "dqn", "ppo")
#: Shipped agent configs the benchmark can also run (``--agents``); continuous-action PPO.
OPTIONAL_AGENTS = ("ppo_continuous",)
TEST_SEED_OFFSET = 10_000


def _tiny(steps: int, extra_args: dict | None = None, n_envs: int = 4) -> dict:
    training = {"total_timesteps": steps, "eval_every": steps, "n_validation_patients": 4,
                "n_envs": n_envs}
    return {"training": training, "agent": {"init_args": extra_args or {}}}


SETTINGS = {
    "full": {"seeds": [0, 1, 2], "n_patients": 1000, "overrides": {}},
    "tiny": {"seeds": [0, 1], "n_patients": 12, "overrides": {
        "qlearning": _tiny(200, n_envs=1),
        "dqn": _tiny(128, {"learning_starts": 32, "buffer_size": 1000, "batch_size": 32}),
        "ppo": _tiny(128, {"n_steps": 16, "batch_size": 32, "n_epochs": 2}),
        "ppo_continuous": _tiny(128, {"n_steps": 16, "batch_size": 32, "n_epochs": 2}),
    }},
}


def run_seed(seed: int, setting: dict, out: Path, base: EnvConfig) -> tuple[dict, dict, dict]:
    """Train every agent with ``seed`` and evaluate all policies on its held-out cohort.

    Returns group means per policy, the episode batches, and training seconds per agent.
    """
    test_seed = TEST_SEED_OFFSET + seed
    patients = draw_patients(base, config_population(base), setting["n_patients"],
                             np.random.default_rng(test_seed))
    batches, seconds = {}, {}
    for protocol in default_protocols():
        batches[protocol.name] = rollout(protocol_config(base), ProtocolDecider(protocol),
                                         patients, seed=test_seed)
    for name in setting["agents"]:
        config = merge_config(load_config(REPO_ROOT / "configs" / "rl" / f"{name}.yaml"),
                              setting["overrides"].get(name, {}))
        if setting.get("total_timesteps"):
            config["training"].update(total_timesteps=setting["total_timesteps"],
                                      eval_every=max(1, setting["total_timesteps"] // 4))
        config.update(seed=seed, output_dir=str(out / "runs"))
        env_config = EnvConfig.from_dict(config["env"])
        if config_population(env_config) != config_population(base):
            raise ValueError(f"configs/rl/{name}.yaml uses another population than the protocols")
        started = time.perf_counter()
        run_dir = train(config)
        seconds[name] = time.perf_counter() - started
        decider = ModelDecider(load_agent(config["agent"], run_dir), ActionMap(env_config))
        batches[name] = rollout(env_config, decider, patients, seed=test_seed)
    return {k: group_means(b) for k, b in batches.items()}, batches, seconds


def goal_check(per_seed: dict[str, list[dict]], agents: tuple[str, ...] = AGENTS) -> dict:
    """Each agent against the protocol with the best mean PTTR, paired by seed."""
    protocols = [p.name for p in default_protocols()]
    best = max(protocols, key=lambda p: np.mean([r["all"]["pttr"] for r in per_seed[p]]))
    out = {"best_protocol": best, "agents": {}}
    for agent in agents:
        diff = {m: np.array([a["all"][m] - p["all"][m] for a, p in
                             zip(per_seed[agent], per_seed[best], strict=True)])
                for m in ("pttr", "frac_inr_above_4")}
        pttr, above = mean_ci(diff["pttr"]), mean_ci(diff["frac_inr_above_4"])
        out["agents"][agent] = {
            "pttr_gain": {"mean": pttr[0], "ci_low": pttr[1], "ci_high": pttr[2]},
            "frac_above_4_change": {"mean": above[0], "ci_low": above[1], "ci_high": above[2]},
            "goal_met": bool(pttr[0] >= 0.05 and above[0] <= 0.0)}
    return out


def format_tables(summary: dict) -> str:
    """Plain-text tables: all metrics for all patients, then PTTR by genotype group."""
    def cell(v: dict, scale: float = 1.0) -> str:
        return f"{v['mean'] * scale:6.2f} [{v['ci_low'] * scale:6.2f},{v['ci_high'] * scale:6.2f}]"

    percent = {"pttr", "pttr_rosendaal", "frac_inr_above_4", "frac_inr_below_1_5"}
    lines = ["policy".ljust(26) + "".join(m[:22].rjust(24) for m in REPORTED_METRICS)]
    for policy, groups in summary.items():
        lines.append(policy.ljust(26) + "".join(
            cell(groups["all"][m], 100.0 if m in percent else 1.0).rjust(24)
            for m in REPORTED_METRICS))
    group_names = list(next(iter(summary.values())))
    lines += ["", "PTTR (%) by genotype group", "policy".ljust(26)
              + "".join(g.rjust(24) for g in group_names)]
    for policy, groups in summary.items():
        lines.append(policy.ljust(26) + "".join(cell(groups[g]["pttr"], 100.0).rjust(24)
                                                 for g in group_names))
    return "\n".join(lines)


def plot_pttr_by_group(summary: dict, path: Path) -> None:
    """Bar chart of PTTR per genotype group and policy with the across-seed intervals."""
    groups = list(next(iter(summary.values())))
    fig = Figure(figsize=(11, 4))
    ax = fig.subplots()
    width = 0.8 / len(summary)
    for k, (policy, values) in enumerate(summary.items()):
        means = np.array([values[g]["pttr"]["mean"] for g in groups]) * 100
        err = np.abs(np.array([[values[g]["pttr"]["ci_low"], values[g]["pttr"]["ci_high"]]
                               for g in groups]).T * 100 - means)
        ax.bar(np.arange(len(groups)) + k * width, means, width, yerr=err, label=policy)
    ax.set_xticks(np.arange(len(groups)) + 0.4 - width / 2, groups, fontsize=8)
    ax.set_ylabel("PTTR (%)")
    ax.set_ylim(0, 115)
    ax.legend(fontsize=7, ncol=len(summary), loc="upper center")
    fig.tight_layout()
    save_png(fig, path, dpi=110, tight=False)


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--tiny", action="store_true", help="a few hundred training steps")
    size.add_argument("--full", action="store_true", help="the configs' budgets (default)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results"
                        / "rl_dosing")
    parser.add_argument("--seeds", type=int, nargs="+", help="overrides the setting's seeds")
    parser.add_argument("--n-patients", type=int, help="held-out patients per seed")
    parser.add_argument("--population", default="iwpc_white", help="population of all policies")
    parser.add_argument("--agents", nargs="+", default=list(AGENTS),
                        choices=[*AGENTS, *OPTIONAL_AGENTS])
    parser.add_argument("--total-timesteps", type=int, help="overrides every agent's budget")
    args = parser.parse_args(argv)
    setting = dict(SETTINGS["tiny" if args.tiny else "full"])
    setting["seeds"] = args.seeds or setting["seeds"]
    setting["n_patients"] = args.n_patients or setting["n_patients"]
    setting.update(agents=tuple(args.agents), total_timesteps=args.total_timesteps)
    base = EnvConfig(population=args.population)
    started = time.perf_counter()
    per_seed: dict[str, list[dict]] = {}
    train_seconds: dict[str, list[float]] = {a: [] for a in args.agents}
    for seed in setting["seeds"]:
        means, batches, seconds = run_seed(seed, setting, args.out, base)
        for policy, groups in means.items():
            per_seed.setdefault(policy, []).append(groups)
        for agent, value in seconds.items():
            train_seconds[agent].append(value)
        if seed == setting["seeds"][0]:
            plot_trajectories(batches, example_patients(batches[args.agents[-1]]),
                              args.out / "trajectories.png")
    summary = {policy: combine_replicates(reps) for policy, reps in per_seed.items()}
    result = {"command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])]),
              "setting": "tiny" if args.tiny else "full", "seeds": setting["seeds"],
              "n_patients_per_seed": setting["n_patients"],
              "population": config_population(base).source,
              "wall_seconds": time.perf_counter() - started, "train_seconds": train_seconds,
              "goal": goal_check(per_seed, tuple(args.agents)), "results": summary,
              "per_seed": per_seed}
    write_json(args.out / "results.json", result)
    plot_pttr_by_group(summary, args.out / "pttr_by_group.png")
    print(format_tables(summary))
    print(f"\nbest protocol: {result['goal']['best_protocol']}")
    for agent, goal in result["goal"]["agents"].items():
        gain = goal["pttr_gain"]
        print(f"{agent:10s} PTTR gain {100 * gain['mean']:+.1f} points "
              f"[{100 * gain['ci_low']:+.1f}, {100 * gain['ci_high']:+.1f}]; INR>4 change "
              f"{100 * goal['frac_above_4_change']['mean']:+.2f} points; "
              f"goal met: {goal['goal_met']}")
    return result


if __name__ == "__main__":
    main()
