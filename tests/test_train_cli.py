"""train.py's CLI: every experiment config runs, resume checks, clear errors, no IDs in logs."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import pandas as pd
import pytest
import torch
from fakes import build_tiny_store

from pgxdl.paths import REPO_ROOT
from pgxdl.training.lightning_cli import PgxdlCLI

# GDSC experiments need a store with a drug table: tests/test_gdsc_models.py trains them
EXPERIMENTS = sorted(p for p in (REPO_ROOT / "configs" / "experiment").glob("*.yaml")
                     if not p.stem.startswith("gdsc"))
CSV_ONLY = '[{"class_path": "pgxdl.training.loggers.RunCSVLogger"}]'


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory):
    return build_tiny_store(tmp_path_factory.mktemp("store") / "tiny.h5")


def cli(*args: str) -> PgxdlCLI:
    return PgxdlCLI(args=list(args))


def experiment_args(config: Path, store: str, run_dir: Path, *extra: str) -> list[str]:
    return ["--config", str(config), f"--data.init_args.store={store}",
            "--data.init_args.batch_size=16", f"--run_dir={run_dir}", *extra]


@pytest.mark.parametrize("config", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_config_runs_fast_dev_run(config, tiny_store, tmp_path):
    run = cli("fit", *experiment_args(config, tiny_store, tmp_path, "--trainer.fast_dev_run=1"))
    assert run.trainer.global_step == 1
    assert run.model.spec == run.datamodule.spec


@pytest.fixture(scope="module")
def trained_run(tiny_store, tmp_path_factory):
    """Two short epochs of the main experiment, CSV logs only."""
    run_dir = tmp_path_factory.mktemp("run")
    config = REPO_ROOT / "configs" / "experiment" / "simulated_cnn_gated.yaml"
    cli("fit", *experiment_args(config, tiny_store, run_dir, "--trainer.max_epochs=2",
                                f"--trainer.logger={CSV_ONLY}"))
    return config, run_dir


def test_run_dir_holds_config_checkpoints_and_metrics(trained_run):
    _, run_dir = trained_run
    summary = json.loads((run_dir / "metrics_fit.json").read_text())
    assert summary["epoch"] == 2 and "val/dose/mae" in summary["metrics"]
    assert Path(summary["best_checkpoint"]).is_file()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert "CNNSequenceEncoder" in (run_dir / "config_fit.yaml").read_text()


def test_no_subject_identifier_reaches_the_run_dir(trained_run, tiny_store):
    _, run_dir = trained_run
    with h5py.File(tiny_store, "r") as h5:
        hashes = [h.decode() if isinstance(h, bytes) else str(h) for h in h5["subjects/id_hash"]]
    texts = [p.read_text(errors="ignore") for p in run_dir.rglob("*")
             if p.is_file() and p.suffix in (".csv", ".yaml", ".json")]
    assert texts
    assert not any(h in text for h in hashes for text in texts)
    assert not any("SIM0" in text for text in texts)


def test_validate_and_predict_from_checkpoint(trained_run, tiny_store):
    config, run_dir = trained_run
    ckpt = str(run_dir / "checkpoints" / "last.ckpt")
    validate = cli("validate", *experiment_args(config, tiny_store, run_dir,
                                                f"--trainer.logger={CSV_ONLY}",
                                                f"--ckpt_path={ckpt}"))
    assert validate.trainer.state.fn == "validate"
    summary = json.loads((run_dir / "metrics_validate.json").read_text())
    assert summary["metrics"]["val/loss"] > 0
    assert (run_dir / "config_validate.yaml").is_file()
    predict = cli("predict", *experiment_args(config, tiny_store, run_dir,
                                              f"--trainer.logger={CSV_ONLY}",
                                              f"--ckpt_path={ckpt}"))
    table = pd.read_csv(run_dir / "predictions" / "rank0.csv")
    test_rows = predict.datamodule.rows["test"]
    assert sorted(table["index"]) == sorted(test_rows.tolist())
    assert {"dose.pred", "dose.std", "dose.low", "dose.high", "adverse_event.pred",
            "adverse_event.prob", "dose_band.pred", "dose_band.prob.2"} <= set(table.columns)
    probabilities = table[[f"dose_band.prob.{k}" for k in range(3)]].sum(axis=1)
    assert probabilities.to_numpy() == pytest.approx(1.0, abs=1e-5)


def test_resume_with_ckpt_path_last_continues_the_run(trained_run, tiny_store):
    config, run_dir = trained_run
    run = cli("fit", *experiment_args(config, tiny_store, run_dir, "--trainer.max_epochs=3",
                                      f"--trainer.logger={CSV_ONLY}", "--ckpt_path=last"))
    assert run.trainer.current_epoch == 3
    assert run.trainer.global_step == 3 * run.trainer.num_training_batches


def test_checkpoint_of_other_data_is_refused(trained_run):
    _, run_dir = trained_run
    with pytest.raises(ValueError, match="(?s)trained on other data.*window_names: model expects"):
        cli("validate", "--trainer", str(REPO_ROOT / "configs/trainer/cpu.yaml"),
            "--model", str(REPO_ROOT / "configs/model/cnn_gated.yaml"),
            "--data.class_path=fakes.FakeCohortDataModule", f"--trainer.logger={CSV_ONLY}",
            f"--trainer.default_root_dir={run_dir}",
            f"--ckpt_path={run_dir / 'checkpoints' / 'last.ckpt'}")


def test_missing_last_checkpoint_is_a_clear_error(tiny_store, tmp_path):
    config = EXPERIMENTS[0]
    with pytest.raises(FileNotFoundError, match=r"--ckpt_path last: no .*last.ckpt"):
        cli("fit", *experiment_args(config, tiny_store, tmp_path, "--ckpt_path=last"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cli("fit", *experiment_args(config, tiny_store, tmp_path,
                                    f"--ckpt_path={tmp_path / 'nope.ckpt'}"))


def test_corrupt_checkpoint_is_a_clear_error(tiny_store, tmp_path):
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="corrupt or not a PyTorch checkpoint"):
        cli("fit", *experiment_args(EXPERIMENTS[0], tiny_store, tmp_path,
                                    f"--ckpt_path={corrupt}"))
    weights = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(2)}, weights)
    with pytest.raises(ValueError, match="not a Lightning checkpoint"):
        cli("fit", *experiment_args(EXPERIMENTS[0], tiny_store, tmp_path,
                                    f"--ckpt_path={weights}"))


@pytest.mark.parametrize("override,message", [
    ("--model.network.init_args.fusion.class_path=pgxdl.models.NoSuchFusion",
     "NoSuchFusion"),
    ("--model.network.init_args.fusion.init_args.dimm=3", "dimm"),
    ("--trainer.max_epoks=3", "max_epoks"),
    ("--float32_matmul_precision=fast", "float32_matmul_precision"),
])
def test_unknown_class_or_option_is_a_clear_error(override, message, tiny_store, tmp_path,
                                                  capsys):
    with pytest.raises(SystemExit):
        cli("fit", *experiment_args(EXPERIMENTS[0], tiny_store, tmp_path, override))
    assert message in capsys.readouterr().err


def test_float32_matmul_precision_is_applied_and_saved(tiny_store, tmp_path):
    before = torch.get_float32_matmul_precision()
    try:
        cli("fit", *experiment_args(EXPERIMENTS[0], tiny_store, tmp_path,
                                    "--trainer.max_epochs=1", "--trainer.limit_train_batches=1",
                                    "--trainer.limit_val_batches=1",
                                    f"--trainer.logger={CSV_ONLY}",
                                    "--float32_matmul_precision=medium"))
        assert torch.get_float32_matmul_precision() == "medium"
        cli("fit", *experiment_args(EXPERIMENTS[0], tiny_store, tmp_path / "default",
                                    "--trainer.fast_dev_run=1"))
        assert torch.get_float32_matmul_precision() == "medium"  # unset: left alone
    finally:
        torch.set_float32_matmul_precision(before)
    assert "float32_matmul_precision: medium" in (tmp_path / "config_fit.yaml").read_text()


def test_model_that_does_not_fit_the_data_is_a_clear_error(tiny_store, tmp_path):
    with pytest.raises(ValueError, match=r"\['CYP2C9'\] are not in the data; the data has "
                                         r"\['window0'"):
        cli("fit", *experiment_args(
            REPO_ROOT / "configs/experiment/simulated_cnn_gated.yaml", tiny_store, tmp_path,
            "--model.network.init_args.sequence_encoder.init_args.windows=[CYP2C9]"))
