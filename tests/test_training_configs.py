"""Every model config runs fast_dev_run on a small simulated store; trainer configs parse."""

from __future__ import annotations

import pytest
from fakes import build_tiny_store
from pytorch_lightning import Trainer
from pytorch_lightning.cli import LightningArgumentParser

from pgxdl.paths import REPO_ROOT
from pgxdl.training.lightning_cli import PgxdlCLI

# GDSC configs need a store with a drug table: tests/test_gdsc_models.py runs them.
MODELS = sorted(p for p in (REPO_ROOT / "configs" / "model").glob("*.yaml")
                if not p.stem.startswith("gdsc_"))
TRAINERS = sorted((REPO_ROOT / "configs" / "trainer").glob("*.yaml"))


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory):
    return build_tiny_store(tmp_path_factory.mktemp("store") / "tiny.h5")


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_model_config_runs_fast_dev_run(model, tiny_store, tmp_path):
    run = PgxdlCLI(args=[
        "fit", "--trainer", str(REPO_ROOT / "configs/trainer/cpu.yaml"), "--model", str(model),
        "--data.class_path=pgxdl.data.datamodule.CohortDataModule",
        f"--data.init_args.store={tiny_store}", "--data.init_args.batch_size=8",
        f"--run_dir={tmp_path}", "--trainer.fast_dev_run=1"])
    assert run.trainer.global_step == 1
    assert set(run.trainer.callback_metrics) >= {"train/loss", "val/loss", "val/dose/mae"}


@pytest.mark.parametrize("trainer", TRAINERS, ids=lambda p: p.stem)
def test_trainer_config_parses(trainer):
    parser = LightningArgumentParser(exit_on_error=False)
    parser.add_lightning_class_args(Trainer, "trainer")
    config = parser.parse_args(["--trainer", str(trainer)])
    assert config.trainer.max_epochs > 0
    assert config.trainer.callbacks[0].class_path == "pgxdl.training.callbacks.RunCheckpoint"
