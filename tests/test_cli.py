"""The one ``pgxdl`` command: every subcommand's help, one-line errors, --debug, configs."""

from __future__ import annotations

import pytest

from pgxdl.cli import SUBCOMMANDS, main
from pgxdl.commands.train import lightning_arguments, resolve_configs
from pgxdl.data.store import StoreError
from pgxdl.resources import CONFIG_ROOT, config_path, list_configs


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name, (_, summary) in SUBCOMMANDS.items():
        assert name in out and summary.split()[0] in out


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as done:
        main([name, "--help"])
    assert done.value.code == 0
    assert f"pgxdl {name}" in capsys.readouterr().out


def test_expected_error_is_one_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "none.h5"
    assert main(["inspect", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("pgxdl inspect: error: ") and "pgxdl build" in err


def test_debug_shows_the_exception_before_or_after_the_subcommand(tmp_path):
    for argv in (["--debug", "inspect", str(tmp_path / "x.h5")],
                 ["inspect", str(tmp_path / "x.h5"), "--debug"]):
        with pytest.raises(StoreError, match="cohort store not found"):
            main(argv)


def test_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["trian"])
    assert done.value.code == 2
    assert "invalid choice: 'trian'" in capsys.readouterr().err


def test_train_errors_are_one_line(tmp_path, capsys):
    store = tmp_path / "nope.h5"
    code = main(["train", "fit", "--config", "experiment/quickstart.yaml",
                 "--data.init_args.store", str(store)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("pgxdl train: error: ") and "cohort store not found" in err[0]
    assert main(["train", "fit", "--trainer.max_epochs", "abc"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "trainer.max_epochs" in err[0]
    assert main(["train", "--config", "experiment/quickstart.yaml",
                 "--data.init_args.bogus", "1"]) == 2
    assert "Option 'bogus' is not accepted" in capsys.readouterr().err


def test_shipped_configs_resolve_by_name_and_checkout_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # outside the checkout: no ./configs here
    expected = CONFIG_ROOT / "experiment" / "quickstart.yaml"
    assert config_path("experiment/quickstart.yaml") == expected
    assert config_path("configs/experiment/quickstart.yaml") == expected
    local = tmp_path / "experiment" / "quickstart.yaml"
    local.parent.mkdir()
    local.write_text("seed_everything: 1\n")
    assert config_path("experiment/quickstart.yaml").resolve() == local  # a real file wins
    with pytest.raises(FileNotFoundError, match="experiment/quickstart.yaml"):
        config_path("experiment/quickstrat.yaml")
    assert "experiment/quickstart.yaml" in list_configs("experiment")


def test_train_arguments_default_to_fit_and_resolve_configs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = str(CONFIG_ROOT / "model" / "cnn_gated.yaml")
    assert lightning_arguments(["--config", "model/cnn_gated.yaml"]) == \
        ["fit", "--config", shipped]
    assert lightning_arguments(["test", "--config=model/cnn_gated.yaml", "--x", "1"]) == \
        ["test", f"--config={shipped}", "--x", "1"]
    assert lightning_arguments(["--help"]) == ["--help"]
    assert resolve_configs(["-c", "model/cnn_gated.yaml", "--y", "model/cnn_gated.yaml"]) == \
        ["-c", shipped, "--y", "model/cnn_gated.yaml"]  # only --config values are resolved
