"""W&B logging policy: the mode chosen (no network, nothing uploaded), one run id per run
dir, the sweep agent's id wins, no anonymous-setting warning."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from wandb.cli import cli as wandb_cli

from pgxdl.training.loggers import (
    RUN_ID_FILE,
    RunWandbLogger,
    persistent_run_id,
    wandb_has_credentials,
    wandb_mode,
)

FAKE_KEY = "0123456789abcdef" * 2 + "01234567"  # 40 characters, the shape of a W&B key


@pytest.fixture
def fresh_home(monkeypatch, tmp_path):
    """A user with no W&B credentials, settings or variables; cwd is an empty folder."""
    for name in ("WANDB_MODE", "WANDB_API_KEY", "WANDB_RUN_ID", "WANDB_SWEEP_ID",
                 "WANDB_BASE_URL", "WANDB_CONFIG_DIR", "WANDB_IDENTITY_TOKEN_FILE",
                 "WANDB_PROJECT", "NETRC"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    return monkeypatch, tmp_path / "home"


def write_netrc(home, machine: str) -> None:
    netrc = home / ".netrc"
    netrc.write_text(f"machine {machine}\n  login user\n  password {FAKE_KEY}\n")
    netrc.chmod(0o600)


def test_offline_without_credentials(fresh_home):
    assert not wandb_has_credentials()
    assert wandb_mode() == "offline"


@pytest.mark.parametrize("machine", ["api.wandb.ai", "api.forge.coreweave.com"])
def test_wandb_login_netrc_goes_online(fresh_home, machine):
    """`wandb login` leaves the key in ~/.netrc, not in the environment."""
    _, home = fresh_home
    write_netrc(home, machine)
    assert wandb_has_credentials()
    assert wandb_mode() == "online"


def test_netrc_entry_for_another_host_does_not_count(fresh_home):
    _, home = fresh_home
    write_netrc(home, "github.com")
    assert wandb_mode() == "offline"


def test_api_key_variable_or_sweep_agent_goes_online(fresh_home):
    monkeypatch, _ = fresh_home
    monkeypatch.setenv("WANDB_SWEEP_ID", "abc123")  # what `wandb agent` sets for its trials
    assert wandb_mode() == "online"
    monkeypatch.delenv("WANDB_SWEEP_ID")
    monkeypatch.setenv("WANDB_API_KEY", FAKE_KEY)
    assert wandb_mode() == "online"


def test_wandbs_own_switches_win_over_credentials(fresh_home):
    monkeypatch, home = fresh_home
    write_netrc(home, "api.wandb.ai")
    monkeypatch.setenv("WANDB_SWEEP_ID", "abc123")
    assert CliRunner().invoke(wandb_cli.offline).exit_code == 0  # writes ./wandb/settings
    assert wandb_mode() == "offline"
    assert CliRunner().invoke(wandb_cli.online).exit_code == 0
    assert wandb_mode() == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert wandb_mode() == "disabled"
    monkeypatch.setenv("WANDB_MODE", "dryrun")  # wandb's old name of offline
    assert wandb_mode() == "offline"


def test_the_mode_asked_for_wins(fresh_home):
    monkeypatch, _ = fresh_home
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert wandb_mode("online") == "online"
    with pytest.raises(ValueError, match="W&B mode 'cloud': use one of online, offline"):
        wandb_mode("cloud")
    monkeypatch.setenv("WANDB_MODE", "cloud")
    with pytest.raises(ValueError, match="W&B setting mode='cloud': Input should be 'online'"):
        wandb_mode()


def test_logger_hands_the_mode_to_wandb_init(fresh_home, tmp_path):
    _, home = fresh_home
    offline = RunWandbLogger(save_dir=str(tmp_path / "a"))
    assert offline.mode == "offline" and offline._offline is True
    write_netrc(home, "api.wandb.ai")
    online = RunWandbLogger(save_dir=str(tmp_path / "b"))
    assert online.mode == "online" and online._offline is False
    assert online._wandb_init["mode"] == "online"
    forced = RunWandbLogger(save_dir=str(tmp_path / "c"), mode="disabled")
    assert forced._wandb_init["mode"] == "disabled"
    # Lightning's anonymous=None made wandb warn "The anonymous setting has no effect".
    assert "anonymous" not in online._wandb_init


def test_run_id_is_kept_in_the_run_dir(fresh_home, tmp_path):
    first = persistent_run_id(str(tmp_path))
    assert (tmp_path / RUN_ID_FILE).read_text().strip() == first
    assert persistent_run_id(str(tmp_path)) == first
    assert persistent_run_id(str(tmp_path / "other")) != first


def test_sweep_agent_run_id_wins_and_is_stored(fresh_home, tmp_path):
    monkeypatch, _ = fresh_home
    persistent_run_id(str(tmp_path))
    monkeypatch.setenv("WANDB_RUN_ID", "agent123")
    assert persistent_run_id(str(tmp_path)) == "agent123"
    assert (tmp_path / RUN_ID_FILE).read_text().strip() == "agent123"


def test_logger_is_resumable_and_never_uploads_checkpoints(fresh_home, tmp_path):
    logger = RunWandbLogger(save_dir=str(tmp_path), project="p")
    again = RunWandbLogger(save_dir=str(tmp_path), project="p")
    assert logger.version == again.version == (tmp_path / RUN_ID_FILE).read_text().strip()
    assert logger._wandb_init["resume"] == "allow"
    assert logger._log_model is False
    assert logger.save_dir == str(tmp_path)


def test_logger_passes_name_project_and_tags(fresh_home, tmp_path):
    logger = RunWandbLogger(save_dir=str(tmp_path), project="p", name="n", tags=["t"])
    assert (logger._wandb_init["project"], logger._wandb_init["name"],
            logger._wandb_init["tags"]) == ("p", "n", ["t"])
