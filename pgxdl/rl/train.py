"""Train a warfarin dosing agent from a YAML config.

Usage::

    pgxdl rl train --config rl/ppo.yaml [--seed 1] [--output-dir runs/rl]
        [--total-timesteps 20000] [--wandb]

The run folder ``<output_dir>/<name>/seed_<seed>/`` receives ``config.yaml`` (the resolved
config), ``episodes.csv`` and ``validation.csv`` (training logs), ``model.*`` (the agent
with the best mean validation return), ``model_last.*`` and ``summary.json``. Validation
runs on a held-out cohort drawn with ``training.validation_seed``, never the test cohorts
of :mod:`pgxdl.rl.evaluate`. Config keys: ``name``, ``seed``, ``output_dir``, ``env``
(:class:`EnvConfig`), ``agent`` (``class_path``, ``init_args``), ``training``
(:data:`TRAINING_DEFAULTS`), ``logging`` (``wandb``, ``wandb_project``).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from pgxdl.io import write_json, write_yaml
from pgxdl.resources import config_path
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.policies.agents import Checkpointer, build_agent, learn_with_checkpoints, save_agent
from pgxdl.rl.rollout import ModelDecider, rollout
from pgxdl.rl.training_log import TrainingLog

TRAINING_DEFAULTS = {"total_timesteps": 100_000, "n_envs": 1, "eval_every": 20_000,
                     "n_validation_patients": 100, "validation_seed": 900_000}
TOP_LEVEL_KEYS = {"name", "seed", "output_dir", "env", "agent", "training", "logging"}


def merge_config(base: dict, override: dict) -> dict:
    """``base`` updated by ``override``, nested mappings merged key by key (a new dict)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        out[key] = merge_config(out[key], value) if isinstance(value, dict) and isinstance(
            out.get(key), dict) else value
    return out


def load_config(path: str | Path) -> dict:
    """Read a run config, filling defaults; unknown keys are errors naming the file."""
    path = config_path(path)
    with open(path, encoding="utf-8") as handle:
        config = yaml.safe_load(handle) or {}
    unknown = sorted(set(config) - TOP_LEVEL_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown top-level key(s) {unknown}; known "
                         f"{sorted(TOP_LEVEL_KEYS)}")
    if "agent" not in config:
        raise ValueError(f"{path}: missing the 'agent' block (class_path, init_args)")
    training = dict(TRAINING_DEFAULTS)
    bad = sorted(set(config.get("training") or {}) - set(TRAINING_DEFAULTS))
    if bad:
        raise ValueError(f"{path}: unknown training key(s) {bad}")
    training.update(config.get("training") or {})
    return {"name": config.get("name", path.stem), "seed": int(config.get("seed", 0)),
            "output_dir": config.get("output_dir", "runs/rl"),
            "env": EnvConfig.from_dict(config.get("env")).to_dict(), "agent": config["agent"],
            "training": training, "logging": dict(config.get("logging") or {})}


def train(config: dict) -> Path:
    """Train the agent of a config from :func:`load_config`; return its run folder."""
    seed, training = config["seed"], config["training"]
    run_dir = Path(config["output_dir"]) / config["name"] / f"seed_{seed}"
    write_yaml(run_dir / "config.yaml", config)
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    env_config = EnvConfig.from_dict(config["env"])
    agent = build_agent(config["agent"], env_config, seed, n_envs=int(training["n_envs"]))
    val_seed = int(training["validation_seed"])
    cohort = draw_patients(env_config, config_population(env_config),
                           int(training["n_validation_patients"]), np.random.default_rng(val_seed))
    decider = ModelDecider(agent, ActionMap(env_config))
    log = TrainingLog(run_dir, use_wandb=bool(config["logging"].get("wandb", False)),
                      wandb_project=config["logging"].get("wandb_project", "pgxdl-rl"),
                      run_name=f"{config['name']}_seed{seed}", config=config)
    best = {"validation_return": -np.inf, "timesteps": 0}

    def validate(timesteps: int) -> None:
        metrics = rollout(env_config, decider, cohort, seed=val_seed).per_patient_metrics()
        row = {"timesteps": timesteps, **{k: float(np.nanmean(v)) for k, v in metrics.items()}}
        log.write("validation", row)
        if row["return"] > best["validation_return"]:
            best.update(validation_return=row["return"], timesteps=timesteps,
                        validation_pttr=row["pttr"])
            save_agent(agent, run_dir)

    start = time.perf_counter()
    total = int(training["total_timesteps"])
    try:
        learn_with_checkpoints(agent, total, log,
                               Checkpointer(int(training["eval_every"]), validate))
        if best["timesteps"] != total:
            validate(total)
        save_agent(agent, run_dir, stem="model_last")
    finally:
        log.close()
    write_json(run_dir / "summary.json", {
        "name": config["name"], "seed": seed, "total_timesteps": total,
        "best_timesteps": best["timesteps"], "best_validation_return": best["validation_return"],
        "best_validation_pttr": best.get("validation_pttr"),
        "train_seconds": time.perf_counter() - start})
    return run_dir

