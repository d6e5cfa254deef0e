"""Evaluation of a task stored on a transformed scale reports in the original units.

The IWPC builder stores ``sqrt_dose`` (sqrt(mg/week)) with ``transform: sqrt``; a model
trained on it is evaluated in mg/week: targets, predictions, intervals, MAE and PW20.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import pytorch_lightning as pl
import yaml
from checkpoint_fixtures import tiny_network
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.builders.store_build import build_store
from pgxdl.commands.evaluate import evaluate_checkpoint
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.iwpc.policy import SCOREABLE
from pgxdl.paths import REPO_ROOT
from pgxdl.training import build_module


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iwpc_units")
    table = write_iwpc_csv(folder / "iwpc.csv", synthetic_rows(80, seed=3))
    config = yaml.safe_load((REPO_ROOT / "configs/data/iwpc.yaml").read_text())
    config.update(table=str(table), reference=str(write_fake_reference(folder / "ref.fa")),
                  require=list(SCOREABLE), protocol_seeds=[0])
    store = build_store(config, folder / "iwpc.h5")
    pl.seed_everything(0)
    data = CohortDataModule(str(store), batch_size=16)
    trainer = pl.Trainer(max_epochs=2, limit_val_batches=0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu")
    module = build_module(data.spec, tiny_network(heteroscedastic=True))
    trainer.fit(module, datamodule=data)
    trainer.save_checkpoint(folder / "model.ckpt")
    report = evaluate_checkpoint(folder / "model.ckpt", store, folder / "eval", part="all",
                                 n_boot=20, plots=True)
    return store, folder / "eval", report


def test_targets_predictions_and_intervals_are_in_mg_per_week(evaluated):
    store, out, _ = evaluated
    table = pd.read_csv(out / "predictions.csv")
    with CohortStore(store) as cohort:
        stored = cohort.observations()["values"][table["index"].to_numpy(), 0]
    np.testing.assert_allclose(table["sqrt_dose.target"], stored.astype(float) ** 2, rtol=1e-5)
    assert table["sqrt_dose.target"].median() > 15  # mg/week, not sqrt units (~6)
    assert np.all(table["sqrt_dose.low"] <= table["sqrt_dose.pred"] + 1e-4)
    assert np.all(table["sqrt_dose.pred"] <= table["sqrt_dose.high"] + 1e-4)


def test_metrics_json_reports_mae_and_pw20_in_mg_per_week(evaluated):
    _, out, _ = evaluated
    table = pd.read_csv(out / "predictions.csv")
    task = json.loads((out / "metrics.json").read_text())["tasks"]["sqrt_dose"]
    assert (task["units"], task["transform"]) == ("mg/week", "sqrt")
    target, pred = table["sqrt_dose.target"], table["sqrt_dose.pred"]
    metrics = task["metrics"]
    assert metrics["mae"]["value"] == pytest.approx(np.mean(np.abs(pred - target)), rel=1e-4)
    within = np.mean(np.abs(pred - target) <= 0.2 * target)
    assert metrics["pw20"]["value"] == pytest.approx(within, abs=1e-9)
    covered = np.mean((target >= table["sqrt_dose.low"]) & (target <= table["sqrt_dose.high"]))
    assert metrics["coverage_90"]["value"] == pytest.approx(covered, abs=1e-9)
    assert (out / "sqrt_dose_pred_vs_obs.png").is_file()


def test_summary_names_the_reported_units(evaluated):
    from pgxdl.evaluation.outputs import format_summary

    _, _, report = evaluated
    assert "mg/week (stored as sqrt, reported in these units)" in format_summary(report)


def test_stored_scale_reports_on_the_sqrt_scale(evaluated, tmp_path):
    store, out, _ = evaluated
    report = evaluate_checkpoint(out.parent / "model.ckpt", store, tmp_path, part="all",
                                 n_boot=0, plots=False, stored_scale=True)
    task = report["tasks"]["sqrt_dose"]
    assert (task["units"], task["transform"]) == ("sqrt(mg/week)", "identity")
    assert "pw20" not in task["metrics"]  # a relative error means nothing on a sqrt scale
    stored = pd.read_csv(tmp_path / "predictions.csv")
    reported = pd.read_csv(out / "predictions.csv")
    np.testing.assert_allclose(stored["sqrt_dose.target"] ** 2, reported["sqrt_dose.target"],
                               rtol=1e-5)
    np.testing.assert_allclose(stored["sqrt_dose.high"] ** 2, reported["sqrt_dose.high"],
                               rtol=1e-5)
    mae = np.mean(np.abs(stored["sqrt_dose.pred"] - stored["sqrt_dose.target"]))
    assert task["metrics"]["mae"]["value"] == pytest.approx(mae, rel=1e-4)
    assert report["context"]["scale"] == "stored"
