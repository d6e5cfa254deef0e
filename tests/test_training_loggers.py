"""W&B logging policy: offline unless chosen, one run id per run dir, sweep agent's id wins."""

from __future__ import annotations

import pytest

from pgxdl.training.loggers import RUN_ID_FILE, RunWandbLogger, persistent_run_id, wandb_mode


@pytest.fixture
def no_wandb_env(monkeypatch):
    for name in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_offline_unless_the_user_opts_in(no_wandb_env):
    assert wandb_mode() == "offline"
    no_wandb_env.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_mode() == "online"
    no_wandb_env.setenv("WANDB_MODE", "disabled")
    assert wandb_mode() == "disabled"


def test_run_id_is_kept_in_the_run_dir(no_wandb_env, tmp_path):
    first = persistent_run_id(str(tmp_path))
    assert (tmp_path / RUN_ID_FILE).read_text().strip() == first
    assert persistent_run_id(str(tmp_path)) == first
    assert persistent_run_id(str(tmp_path / "other")) != first


def test_sweep_agent_run_id_wins_and_is_stored(no_wandb_env, tmp_path):
    persistent_run_id(str(tmp_path))
    no_wandb_env.setenv("WANDB_RUN_ID", "agent123")
    assert persistent_run_id(str(tmp_path)) == "agent123"
    assert (tmp_path / RUN_ID_FILE).read_text().strip() == "agent123"


def test_logger_is_offline_resumable_and_never_uploads_checkpoints(no_wandb_env, tmp_path):
    logger = RunWandbLogger(save_dir=str(tmp_path), project="p")
    again = RunWandbLogger(save_dir=str(tmp_path), project="p")
    assert logger.version == again.version == (tmp_path / RUN_ID_FILE).read_text().strip()
    assert logger._offline is True
    assert logger._wandb_init["resume"] == "allow"
    assert logger._log_model is False
    assert logger.save_dir == str(tmp_path)
