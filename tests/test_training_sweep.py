"""The offline sweep runner: W&B parameter sampling, command macros, a two-trial sweep."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import yaml
from fakes import build_tiny_store

from pgxdl.commands.sweep import run_sweep, sample_parameter, trial_command, trial_parameters
from pgxdl.paths import REPO_ROOT

SWEEP = REPO_ROOT / "configs" / "sweeps" / "cnn_gated.yaml"


def test_random_draws_are_seeded_and_inside_the_ranges():
    sweep = yaml.safe_load(SWEEP.read_text())
    first, again = trial_parameters(sweep, 20, seed=3), trial_parameters(sweep, 20, seed=3)
    assert first == again and first != trial_parameters(sweep, 20, seed=4)
    for params in first:
        assert 0.0003 <= params["model.optimizer.init_args.lr"] <= 0.003
        assert params["model.network.init_args.fusion.init_args.dim"] in (32, 64, 128)
        assert 0.0 <= params["model.network.init_args.sequence_encoder.init_args.dropout"] <= 0.3


def test_log_uniform_values_is_uniform_in_log_space():
    rng = np.random.default_rng(0)
    draws = np.array([sample_parameter("lr", {"distribution": "log_uniform_values",
                                              "min": 1e-4, "max": 1e-2}, rng)
                      for _ in range(4000)])
    assert np.mean(draws < 1e-3) == pytest.approx(0.5, abs=0.03)  # log-midpoint
    assert draws.min() >= 1e-4 and draws.max() <= 1e-2
    assert sample_parameter("n", {"min": 1, "max": 3}, rng) in (1, 2, 3)
    assert math.isfinite(sample_parameter("x", {"min": 0.5, "max": 1.5}, rng))
    with pytest.raises(ValueError, match="unsupported distribution 'beta'"):
        sample_parameter("x", {"distribution": "beta"}, rng)


def test_grid_is_the_product_of_the_values():
    sweep = {"method": "grid", "parameters": {"a": {"values": [1, 2, 3]},
                                              "b": {"values": ["x", "y"]}, "c": {"value": 0}}}
    grid = trial_parameters(sweep, 0, seed=0)
    assert len(grid) == 6 and {(g["a"], g["b"], g["c"]) for g in grid} == {
        (a, b, 0) for a in (1, 2, 3) for b in "xy"}
    with pytest.raises(ValueError, match=r"parameters \['d'\] need 'value' or 'values'"):
        trial_parameters({"method": "grid", "parameters": {"d": {"min": 0, "max": 1}}}, 0, 0)


def test_command_macros_expand_like_the_wandb_agent():
    sweep = {"program": "train.py", "command": ["${env}", "${interpreter}", "${program}", "fit",
                                                "${args}", "--x", "${args_no_hyphens}"]}
    command = trial_command(sweep, {"a.b": 1, "c": "d"}, ["--extra=1"])
    assert command == [sys.executable, "train.py", "fit", "--a.b=1", "--c=d", "--x", "a.b=1",
                       "c=d", "--extra=1"]


@pytest.mark.slow
def test_two_trial_sweep_runs_offline(tmp_path, monkeypatch):
    store = build_tiny_store(tmp_path / "tiny.h5", n_subjects=80, window_length=64)
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    extra = [f"--data.init_args.store={store}", "--trainer.max_epochs=1",
             "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1",
             "--trainer.logger=[{class_path: pgxdl.training.loggers.RunCSVLogger}]",
             f"--run_dir={tmp_path}/trials/$WANDB_RUN_ID"]
    report = run_sweep(SWEEP, trials=2, seed=0, extra=extra, out=tmp_path)
    assert [t["returncode"] for t in report["trials"]] == [0, 0]
    losses = [t["val/loss"] for t in report["trials"]]
    assert all(v is not None and v > 0 for v in losses)
    assert report["best"]["val/loss"] == min(losses)
    saved = json.loads((tmp_path / "sweep_results.json").read_text())
    assert saved["best"]["run_id"] == report["best"]["run_id"]
    config = (tmp_path / "trials" / report["best"]["run_id"] / "config_fit.yaml").read_text()
    lr = report["best"]["parameters"]["model.optimizer.init_args.lr"]
    assert f"lr: {lr}" in config
