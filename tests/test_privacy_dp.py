"""DP-SGD through Opacus: accounting, per-sample clipping, module fixes, LightningCLI config."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
import yaml
from opacus.accountants import RDPAccountant
from opacus.layers import DPLSTM

from pgxdl.builders.store_build import build_store
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.privacy import DifferentialPrivacy
from pgxdl.training import build_module
from pgxdl.training.lightning_cli import run_lightning_cli
from pgxdl.training.module import DrugResponseModule

SIMULATED = {"builder": "simulated", "n_subjects": 120, "n_windows": 2, "window_length": 48,
             "sites_per_window": 6}
TABULAR = {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
    "sequence_encoder": None,
    "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                        "init_args": {"hidden": [8], "dropout": 0.0}}}}}


def sequence_model(encoder: str, **init_args) -> dict:
    """A tiny sequence + tabular model with the given sequence encoder class."""
    return {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
        "sequence_encoder": {"class_path": f"pgxdl.models.{encoder}", "init_args": init_args},
        "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                            "init_args": {"hidden": [8]}}}}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(SIMULATED, tmp_path_factory.mktemp("dp") / "store.h5")


def fit(store, dp, model=TABULAR, epochs=1, batches=None, with_sequence=False, **module_args):
    """Train ``model`` with the callback ``dp`` (seed 0, CPU); return the module."""
    pl.seed_everything(0)
    data = CohortDataModule(str(store), batch_size=16, with_sequence=with_sequence)
    trainer = pl.Trainer(max_epochs=epochs, limit_train_batches=batches, limit_val_batches=0,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu",
                         callbacks=dp if isinstance(dp, list) else [dp] if dp else [])
    module = build_module(data.spec, {**model, **module_args})
    trainer.fit(module, datamodule=data)
    return module


def test_epsilon_matches_opacus_accountant_and_grows_with_steps(store):
    spent = []
    for epochs in (1, 2):
        dp = DifferentialPrivacy(noise_multiplier=1.1, max_grad_norm=1.0, delta=1e-5)
        fit(store, dp, epochs=epochs)
        reference = RDPAccountant()
        for _ in range(dp.steps):
            reference.step(noise_multiplier=1.1, sample_rate=dp.sample_rate)
        assert dp.steps == epochs * round(1 / dp.sample_rate)
        assert dp.epsilon == pytest.approx(reference.get_epsilon(delta=1e-5), rel=1e-9)
        spent.append(dp.epsilon)
    assert 0 < spent[0] < spent[1] < float("inf")


def test_target_epsilon_is_spent_not_exceeded(store):
    dp = DifferentialPrivacy(target_epsilon=2.0, delta=1e-5, max_grad_norm=1.0)
    fit(store, dp, epochs=2)
    assert 1.9 < dp.epsilon <= 2.0 + 1e-6


def test_each_patients_gradient_is_clipped(store):
    """One SGD step of lr 1 with (almost) no noise moves the weights by the sum of clipped
    per-sample gradients over the expected batch: at most C * n / E; without DP far more."""
    clip, sizes = 1e-3, []

    class BatchSize(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            sizes.append(batch["target"].shape[0])

    def moved(dp) -> float:
        pl.seed_everything(0)
        start = build_module(CohortDataModule(str(store), with_sequence=False).spec,
                             TABULAR).state_dict()
        sgd = {"class_path": "torch.optim.SGD", "init_args": {"lr": 1.0, "weight_decay": 0.0}}
        module = fit(store, dp, batches=1, optimizer=sgd)
        after = module.state_dict()
        return float(torch.sqrt(sum(((after[k] - start[k]) ** 2).sum() for k in start
                                    if start[k].is_floating_point())))

    dp = DifferentialPrivacy(noise_multiplier=1e-6, max_grad_norm=clip)
    dp_move = moved([dp, BatchSize()])
    n_train = len(CohortDataModule(str(store), with_sequence=False).rows["train"])
    expected_batch = dp.sample_rate * n_train
    assert dp_move <= clip * sizes[0] / expected_batch * (1 + 1e-4)
    assert dp_move > 0.2 * clip * sizes[0] / expected_batch  # the bound is nearly reached
    assert moved(None) > 20 * dp_move


def test_batchnorm_becomes_groupnorm_and_lstm_becomes_dplstm(store):
    dp = DifferentialPrivacy(noise_multiplier=1.0)
    module = fit(store, dp, model=sequence_model(
        "RNNSequenceEncoder", conv_channels=4, hidden=4, shared_windows=False),
        batches=1, with_sequence=True)
    kinds = {type(m) for m in module.modules()}
    assert DPLSTM in kinds and torch.nn.LSTM not in kinds
    assert torch.nn.GroupNorm in kinds and torch.nn.BatchNorm1d not in kinds
    assert any("BatchNorm1d -> GroupNorm" in line for line in dp.fixed_modules)
    assert dp.steps == 1


def test_unsupported_model_and_ddp_are_refused(store):
    with pytest.raises(ValueError, match=r"window_embedding.*shared_windows: false"):
        fit(store, DifferentialPrivacy(noise_multiplier=1.0), with_sequence=True, batches=1,
            model=sequence_model("CNNSequenceEncoder", widths=[4], depth=1, dropout=0.0))
    ddp = SimpleNamespace(world_size=2, accumulate_grad_batches=1, gradient_clip_val=None,
                          datamodule=object())
    with pytest.raises(ValueError, match="DDP"):
        DifferentialPrivacy(noise_multiplier=1.0).setup(ddp, None, "fit")
    with pytest.raises(ValueError, match="exactly one of"):
        DifferentialPrivacy(target_epsilon=3.0, noise_multiplier=1.0)
    with pytest.raises(ValueError, match="delta"):
        DifferentialPrivacy(noise_multiplier=1.0, delta=1.5)


def test_lightning_cli_config_reports_epsilon_in_metrics_and_checkpoint(store, tmp_path):
    config = {
        "seed_everything": 0,
        "trainer": {"max_epochs": 2, "accelerator": "cpu", "logger": False,
                    "enable_progress_bar": False, "limit_val_batches": 1,
                    "callbacks": [{"class_path": "pgxdl.privacy.DifferentialPrivacy",
                                   "init_args": {"target_epsilon": 3.0, "delta": 1e-5,
                                                 "max_grad_norm": 1.0}}]},
        "data": {"class_path": "pgxdl.data.datamodule.CohortDataModule",
                 "init_args": {"store": str(store), "batch_size": 16, "with_sequence": False}},
        "model": TABULAR}
    path = tmp_path / "dp.yaml"
    path.write_text(yaml.safe_dump(config))
    assert run_lightning_cli(["fit", "--config", str(path), "--run_dir", str(tmp_path)]) == 0
    metrics = json.loads((tmp_path / "metrics_fit.json").read_text())["metrics"]
    assert 2.5 < metrics["privacy/epsilon"] <= 3.0 + 1e-6
    saved = next((tmp_path / "checkpoints").glob("*.ckpt"))
    checkpoint = torch.load(saved, weights_only=False)
    assert DrugResponseModule.load_from_checkpoint(saved).network is not None  # hooks gone
    assert checkpoint["privacy"]["epsilon"] == pytest.approx(metrics["privacy/epsilon"])
    assert checkpoint["privacy"]["steps"] == metrics["privacy/steps"]


def test_resumed_accounting_continues_from_the_stored_history(store):
    first = DifferentialPrivacy(noise_multiplier=1.1)
    fit(store, first, epochs=1)
    resumed = DifferentialPrivacy(noise_multiplier=1.1)
    resumed.load_state_dict(first.state_dict())
    assert resumed.epsilon == first.epsilon and resumed.steps == first.steps
    fit(store, resumed, epochs=1)
    assert resumed.steps == 2 * first.steps and resumed.epsilon > first.epsilon
