"""Agent configs, tiny training runs, saved runs and their evaluation."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml

from pgxdl.cli import main as pgxdl_main
from pgxdl.paths import REPO_ROOT
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import WarfarinDosingEnv
from pgxdl.rl.policies.agents import build_agent, load_agent
from pgxdl.rl.policies.qlearning import StateDiscretiser, TabularQLearning
from pgxdl.rl.train import load_config, train

CONFIGS = sorted((REPO_ROOT / "configs" / "rl").glob("*.yaml"))
TINY_ARGS = {"stable_baselines3.PPO": {"n_steps": 16, "batch_size": 32, "n_epochs": 1},
             "stable_baselines3.DQN": {"learning_starts": 16, "buffer_size": 500,
                                       "batch_size": 16}}


def tiny(config: dict, tmp_path, steps: int = 96) -> dict:
    config["output_dir"] = str(tmp_path)
    config["training"].update(total_timesteps=steps, eval_every=steps // 2, n_envs=min(
        4, config["training"]["n_envs"]), n_validation_patients=3)
    config["agent"].setdefault("init_args", {}).update(
        TINY_ARGS.get(config["agent"]["class_path"], {}))
    return config


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_config_instantiates(path, tmp_path):
    config = tiny(load_config(path), tmp_path)
    agent = build_agent(config["agent"], EnvConfig.from_dict(config["env"]), seed=0, n_envs=2)
    env = WarfarinDosingEnv(config["env"])
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs, deterministic=True)
    assert env.action_space.contains(np.asarray(action).reshape(env.action_space.shape)
                                     if env.action_space.shape else int(action))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_tiny_training_writes_a_reloadable_run(path, tmp_path):
    config = tiny(load_config(path), tmp_path)
    run_dir = train(config)
    for name in ("config.yaml", "episodes.csv", "validation.csv", "summary.json"):
        assert (run_dir / name).exists(), name
    with open(run_dir / "validation.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["timesteps"]) >= 48 for r in rows] == [True] * len(rows) and rows
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["best_validation_return"] == max(float(r["return"]) for r in rows)
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["seed"] == 0 and saved["env"] == config["env"]
    agent = load_agent(saved["agent"], run_dir)
    env = WarfarinDosingEnv(saved["env"])
    obs, _ = env.reset(seed=1)
    env.step(agent.predict(obs, deterministic=True)[0])


def test_qlearning_is_deterministic_and_round_trips(tmp_path):
    config = tiny(load_config(REPO_ROOT / "configs" / "rl" / "qlearning.yaml"), tmp_path, 400)
    first = TabularQLearning.load(train(config) / "model_last")
    config["output_dir"] = str(tmp_path / "again")
    second = TabularQLearning.load(train(config) / "model_last")
    np.testing.assert_array_equal(first.q, second.q)
    assert np.abs(first.q).sum() > 0
    env = WarfarinDosingEnv(config["env"])
    obs, _ = env.reset(seed=3)
    batch = np.stack([obs, obs])
    assert list(first.predict(batch)[0]) == [first.predict(obs)[0]] * 2


def test_state_discretiser_reads_inr_dose_phase_and_genotype():
    env = WarfarinDosingEnv({"max_dose_mg": 10.0, "dose_step_mg": 1.0})
    disc = StateDiscretiser.from_env(env)
    obs, _ = env.reset(seed=0)
    inr_bin, dose_bin, phase, _ = np.unravel_index(disc(obs), disc.shape)
    assert (inr_bin, dose_bin, phase) == (0, 0, 0)       # baseline INR ~1, no dose, day 0
    for _ in range(8):
        obs, *_ = env.step(env.action_for_dose(7.0))
    inr_bin, dose_bin, phase, _ = np.unravel_index(disc(obs), disc.shape)
    assert dose_bin == 7 and phase == 2
    assert StateDiscretiser.from_dict(disc.to_dict())(obs) == disc(obs)


def test_config_errors_and_cli(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nagent: {class_path: stable_baselines3.PPO}\noptimiser: adam\n")
    with pytest.raises(ValueError, match="unknown top-level key"):
        load_config(bad)
    worse = tmp_path / "worse.yaml"
    worse.write_text("agent: {class_path: stable_baselines3.NotAnAgent}\n")
    with pytest.raises(ValueError, match="cannot be imported"):
        build_agent(load_config(worse)["agent"], EnvConfig(), seed=0)
    small = tiny(load_config(REPO_ROOT / "configs" / "rl" / "qlearning.yaml"), tmp_path, 64)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small))
    assert pgxdl_main(["rl", "train", "--config", str(path), "--seed", "3", "--output-dir",
                       str(tmp_path / "cli")]) == 0
    run_dir = tmp_path / "cli" / small["name"] / "seed_3"
    assert (run_dir / "summary.json").is_file()
    assert pgxdl_main(["rl", "evaluate", "--run", str(run_dir), "--n-patients", "6", "--out",
                       str(tmp_path / "eval")]) == 0
    result = json.loads((tmp_path / "eval" / "evaluation.json").read_text())
    assert set(result["policies"]) == {"qlearning", "fixed_5mg", "iwpc_pg_titration",
                                       "eupact_clinical_titration"}
    assert (tmp_path / "eval" / "trajectories.png").stat().st_size > 0
    assert result["policies"]["fixed_5mg"]["all"]["mean_dose_mg"] == 5.0
