"""evaluate.py end to end on a tiny simulated store and a tiny trained checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from checkpoint_fixtures import train_tiny_checkpoint
from sklearn import metrics as skm
from store_fixtures import tiny_cohort

from pgxdl.cli import main as pgxdl_main
from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.data.store import CohortStore
from pgxdl.data.store_writer import write_store
from pgxdl.evaluation.predictions import predict_outputs, predictions_table
from pgxdl.training.restore import checkpoint_datamodule, load_model

SIMULATED = {"builder": "simulated", "n_subjects": 200, "n_windows": 2, "window_length": 64,
             "sites_per_window": 8}


def main(argv: list[str]) -> int:
    """``python evaluate.py *argv`` (``metrics`` may lead): ``pgxdl evaluate``."""
    return pgxdl_main(["evaluate", *(argv[1:] if argv[:1] == ["metrics"] else argv)])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``(store, checkpoint)``: a simulated store and a model trained on it for a few steps."""
    tiny = train_tiny_checkpoint(tmp_path_factory.mktemp("evaluation"), SIMULATED,
                                 heteroscedastic=True)
    return tiny.store, tiny.checkpoint


def test_cli_writes_metrics_predictions_and_plots(trained, tmp_path, capsys):
    store, checkpoint = trained
    out = tmp_path / "eval"
    assert main(["--ckpt", str(checkpoint), "--store", str(store), "--out", str(out),
                 "--groups", "population", "--n-boot", "200"]) == 0
    printed = capsys.readouterr().out
    assert "dose" in printed and str(out / "metrics.json") in printed
    report = json.loads((out / "metrics.json").read_text())
    table = pd.read_csv(out / "predictions.csv")
    with CohortStore(store) as cohort:
        test_rows = np.flatnonzero(cohort.split("default") == 2)
        assert sorted(table["index"]) == test_rows.tolist()  # one drug: row = subject
        hashes = set(cohort.h5["subjects/id_hash"].asstr()[:])
        noise_sd = cohort.truth()["model"]["noise_sd"]
    text = (out / "predictions.csv").read_text() + (out / "metrics.json").read_text()
    assert "SIM0" not in text and not any(h in text for h in hashes)
    assert report["noise_floor"]["noise_sd"] == pytest.approx(noise_sd)
    dose = report["tasks"]["dose"]
    assert dose["metrics"]["mae"]["value"] == pytest.approx(
        skm.mean_absolute_error(table["dose.target"], table["dose.pred"]), rel=1e-5)
    assert dose["metrics"]["coverage_90"]["value"] is not None
    band = report["tasks"]["dose_band"]["metrics"]["accuracy"]["value"]
    assert band == pytest.approx(skm.accuracy_score(table["dose_band.target"],
                                                    table["dose_band.pred"]))
    low, high = dose["metrics"]["mae"]["ci"]
    assert low <= dose["metrics"]["mae"]["value"] <= high
    assert set(dose["subgroups"]) == {"population"}
    pngs = {p.name for p in out.glob("*.png")}
    assert pngs == {"dose_pred_vs_obs.png", "dose_residuals_by_population.png",
                    "dose_mae_by_population.png", "adverse_event_calibration.png",
                    "adverse_event_auroc_by_population.png", "dose_band_confusion.png",
                    "dose_band_accuracy_by_population.png"}


def test_predictions_equal_a_direct_forward_pass(trained):
    store, checkpoint = trained
    model = load_model(checkpoint)
    data = checkpoint_datamodule(model, store, "default")
    batch = next(iter(data.dataloader("test")))
    with torch.no_grad():  # the network works in standardised units; predictions in mg/week
        outputs = model.module.scaler.unscale_outputs(
            model.module(*model_inputs(finalize_batch(batch))))
    assert model.module.scaler is not None and "dose" in model.spec.extra["target_normalisation"]
    table = predictions_table(predict_outputs(model, data.dataloader("test")), model.spec,
                              store, ["site"]).set_index("index")
    rows = table.loc[batch["index"].numpy()]
    np.testing.assert_allclose(rows["dose.pred"], outputs["dose"][:, 0], rtol=1e-5)
    np.testing.assert_allclose(rows["dose.std"], torch.exp(0.5 * outputs["dose"][:, 1]),
                               rtol=1e-5)
    np.testing.assert_allclose(rows["adverse_event.prob"],
                               torch.sigmoid(outputs["adverse_event"][:, 0]), rtol=1e-5)


def test_checkpoint_normalisation_is_used_on_other_data(trained):
    store, checkpoint = trained
    model = load_model(checkpoint)
    trained_norm = model.spec.extra["normalisation"]
    data = checkpoint_datamodule(model, store, "kfold_0")  # other training subjects
    with CohortStore(store) as cohort:
        own_mean, _ = cohort.normalisation("kfold_0")
        raw = cohort.h5["tabular/numeric"][:]
    assert not np.allclose(own_mean, trained_norm["mean"])
    assert data.spec.extra["normalisation"] == trained_norm
    dataset = data.dataset("all")
    expected = (raw[dataset.subject] - np.float32(trained_norm["mean"])) / np.float32(
        trained_norm["std"])
    np.testing.assert_allclose(dataset.numeric, np.nan_to_num(expected), rtol=1e-5)


def test_incompatible_store_fails_with_a_clear_message(trained, tmp_path, capsys):
    _, checkpoint = trained
    other = write_store(tmp_path / "other.h5", tiny_cohort(), progress=False)
    code = main(["metrics", "--ckpt", str(checkpoint), "--store", str(other), "--out",
                 str(tmp_path / "eval"), "--n-boot", "0"])
    error = capsys.readouterr().err
    assert code == 2
    assert f"{other}: data does not fit the model" in error
    assert "window_names: model expects ('window0', 'window1'), data has ('w0', 'w1')" in error
    assert not (tmp_path / "eval" / "metrics.json").exists()


def test_data_config_builds_a_new_store_first(trained, tmp_path, capsys):
    _, checkpoint = trained
    config = tmp_path / "site_b.yaml"
    config.write_text(yaml.safe_dump({**SIMULATED, "seed": 1, "n_subjects": 60}))
    out = tmp_path / "eval"
    args = ["--ckpt", str(checkpoint), "--data-config", str(config), "--out", str(out),
            "--part", "all", "--n-boot", "20", "--no-plots"]
    assert main(args) == 0
    assert (out / "store.h5").exists()
    assert json.loads((out / "metrics.json").read_text())["context"]["n_observations"] == 60
    assert main(args) == 2  # refuses to overwrite the store it built
    assert "exists" in capsys.readouterr().err
