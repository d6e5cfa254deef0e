"""A run killed mid-training (SIGKILL) and resumed with --ckpt_path last ends with the same
metrics as an uninterrupted run (CPU, fixed seeds, shuffled data and dropout)."""

from __future__ import annotations

import json
import signal
import subprocess

import pytest
from fakes import train_py_fit

from pgxdl.paths import REPO_ROOT

EPOCHS, STEPS_PER_EPOCH, KILL_AT_STEP = 4, 4, 10  # killed inside the third epoch


def train(run_dir, *extra: str) -> subprocess.CompletedProcess:
    return train_py_fit(
        run_dir, "--trainer", str(REPO_ROOT / "configs" / "trainer" / "cpu.yaml"),
        "--model", str(REPO_ROOT / "configs" / "model" / "cnn_concat.yaml"),
        "--trainer.logger=[{class_path: pgxdl.training.loggers.RunCSVLogger}]",
        f"--trainer.max_epochs={EPOCHS}", f"--run_dir={run_dir}",
        "--data.class_path=fakes.FakeCohortDataModule", "--data.init_args.n_train=64",
        "--data.init_args.batch_size=16", *extra)


@pytest.mark.slow
def test_killed_and_resumed_run_matches_uninterrupted_run(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    whole.mkdir()
    broken.mkdir()
    done = train(whole)
    assert done.returncode == 0, done.stderr[-3000:]

    killed = train(broken, "--trainer.callbacks+=fakes.KillAtStep",
                   f"--trainer.callbacks.init_args.step={KILL_AT_STEP}")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not (broken / "metrics_fit.json").exists()
    resumed = train(broken, "--ckpt_path=last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Restored all states from the checkpoint" in resumed.stderr + resumed.stdout

    expected = json.loads((whole / "metrics_fit.json").read_text())
    got = json.loads((broken / "metrics_fit.json").read_text())
    assert got["global_step"] == expected["global_step"] == EPOCHS * STEPS_PER_EPOCH
    assert set(got["metrics"]) == set(expected["metrics"])
    for key, value in expected["metrics"].items():
        assert got["metrics"][key] == pytest.approx(value, rel=1e-6, abs=1e-7), key
