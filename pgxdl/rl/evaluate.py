"""Evaluate dosing policies on held-out virtual patients: metrics per genotype group, plots.

Usage::

    pgxdl rl evaluate --run runs/rl/ppo/seed_0 [--n-patients 500] [--seed 1000]
        [--out DIR]

evaluates the run's best agent and the clinical protocols on ``--n-patients`` patients
drawn with ``--seed`` (keep it away from the training ``validation_seed``), and writes
``evaluation.json`` and ``trajectories.png`` (INR and dose of example patients) to
``--out`` (the run folder by default). Protocols always decide daily (their hold rules
need it); agents decide as their config says. Both see the same patients and INR errors.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import yaml
from matplotlib.figure import Figure

from pgxdl.io import save_png, write_json
from pgxdl.rl.anticoagulation import THERAPEUTIC_RANGE, genotype_groups, mean_ci
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.policies.agents import load_agent
from pgxdl.rl.policies.clinical_protocols import default_protocols
from pgxdl.rl.rollout import EpisodeBatch, ModelDecider, ProtocolDecider, rollout
from pgxdl.rl.simulator.parameters import CYP2C9_GENOTYPES, VKORC1_GENOTYPES

REPORTED_METRICS = ("pttr", "pttr_rosendaal", "frac_inr_above_4", "frac_inr_below_1_5",
                    "days_to_therapeutic", "mean_dose_mg")


def protocol_config(config: EnvConfig) -> EnvConfig:
    """The same environment with a decision every day (what rule-based protocols need)."""
    return dataclasses.replace(config, decide_on="step_days", step_days=1)


def group_means(batch: EpisodeBatch) -> dict[str, dict[str, float]]:
    """Mean of each reported metric over the patients of each genotype group (and ``n``)."""
    per_patient = batch.per_patient_metrics()
    out = {}
    for group, mask in genotype_groups(batch.cyp2c9, batch.vkorc1).items():
        out[group] = {"n": int(mask.sum())}
        for metric in REPORTED_METRICS:
            values = per_patient[metric][mask]
            out[group][metric] = float(np.nanmean(values)) if mask.any() else float("nan")
    return out


def combine_replicates(replicates: list[dict[str, dict[str, float]]],
                       level: float = 0.95) -> dict[str, dict[str, dict[str, float]]]:
    """Mean and t-interval across replicates (seeds) of :func:`group_means` results."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for group in replicates[0]:
        out[group] = {"n_patients": int(sum(r[group]["n"] for r in replicates))}
        for metric in REPORTED_METRICS:
            mean, low, high = mean_ci(np.array([r[group][metric] for r in replicates]), level)
            out[group][metric] = {"mean": mean, "ci_low": low, "ci_high": high,
                                  "n_seeds": len(replicates)}
    return out


def plot_trajectories(batches: dict[str, EpisodeBatch], indices: list[int],
                      path: str | Path) -> Path:
    """INR (top) and daily dose (bottom) of patients ``indices`` under each policy, as PNG.

    Panels are titled by genotype and age only (no identifiers). Written atomically.
    """
    path = Path(path)
    first = next(iter(batches.values()))
    fig = Figure(figsize=(4.2 * len(indices), 6.5))
    axes = fig.subplots(2, len(indices), squeeze=False, sharex=True)
    days = np.arange(1, first.true_inr.shape[1] + 1)
    for col, i in enumerate(indices):
        inr_ax, dose_ax = axes[0, col], axes[1, col]
        inr_ax.axhspan(*THERAPEUTIC_RANGE, color="tab:green", alpha=0.12)
        inr_ax.axhline(4.0, color="tab:red", lw=0.8, ls=":")
        for name, batch in batches.items():
            inr_ax.plot(days, batch.true_inr[i], lw=1.2, label=name)
            dose_ax.step(days - 1, batch.doses[i], where="post", lw=1.0, label=name)
        inr_ax.set_title(f"CYP2C9 {CYP2C9_GENOTYPES[first.cyp2c9[i]]}, "
                         f"VKORC1 {VKORC1_GENOTYPES[first.vkorc1[i]]}", fontsize=9)
        inr_ax.set_ylabel("INR (model)")
        dose_ax.set_ylabel("dose (mg/day)")
        dose_ax.set_xlabel("day")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    save_png(fig, path, dpi=110, tight=False)
    return path


def example_patients(batch: EpisodeBatch, count: int = 4) -> list[int]:
    """Indices of up to ``count`` patients of distinct genotype groups (first found)."""
    chosen, seen = [], set()
    for i, key in enumerate(zip(batch.cyp2c9, batch.vkorc1, strict=True)):
        if key not in seen:
            seen.add(key)
            chosen.append(i)
        if len(chosen) == count:
            break
    return chosen


def evaluate_run(run_dir: Path, n_patients: int, seed: int, out_dir: Path) -> dict:
    """Evaluate a training run's best agent and the protocols; write JSON and PNG."""
    with open(run_dir / "config.yaml", encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    env_config = EnvConfig.from_dict(config["env"])
    patients = draw_patients(env_config, config_population(env_config), n_patients,
                             np.random.default_rng(seed))
    agent = load_agent(config["agent"], run_dir)
    batches = {config["name"]: rollout(env_config, ModelDecider(agent, ActionMap(env_config)),
                                       patients, seed=seed)}
    for protocol in default_protocols():
        batches[protocol.name] = rollout(protocol_config(env_config), ProtocolDecider(protocol),
                                         patients, seed=seed)
    result = {"run": str(run_dir), "n_patients": n_patients, "seed": seed,
              "population": config_population(env_config).source,
              "policies": {name: group_means(b) for name, b in batches.items()}}
    write_json(out_dir / "evaluation.json", result)
    plot_trajectories(batches, example_patients(batches[config["name"]]),
                      out_dir / "trajectories.png")
    return result

