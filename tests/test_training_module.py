"""DrugResponseModule: checkpoint round trip, metrics against references, clear errors."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from fakes import FakeCohortDataModule, make_spec
from sklearn.metrics import mean_absolute_error, r2_score, roc_auc_score

from pgxdl.data.batch import model_inputs
from pgxdl.models import CNNSequenceEncoder, MultimodalModel, TabularEncoder
from pgxdl.training import DrugResponseModule, build_module
from pgxdl.training.checkpoints import SPEC_KEY, checkpoint_spec, read_checkpoint

CONFIG = {
    "network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
        "sequence_encoder": {"class_path": "pgxdl.models.CNNSequenceEncoder",
                             "init_args": {"widths": [8, 8], "depth": 1, "dropout": 0.0}},
        "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                            "init_args": {"hidden": [16], "dropout": 0.0}},
        "fusion": {"class_path": "pgxdl.models.GatedFusion", "init_args": {"dim": 16}},
        "heteroscedastic": True}},
    "optimizer": {"class_path": "torch.optim.Adam", "init_args": {"lr": 0.01}},
}


def trainer(tmp_path, **kwargs) -> pl.Trainer:
    options = dict(max_epochs=2, logger=False, enable_progress_bar=False,
                   enable_model_summary=False, default_root_dir=tmp_path, deterministic=True)
    options.update(kwargs)
    return pl.Trainer(**options)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fit")
    pl.seed_everything(0)
    data = FakeCohortDataModule(n_train=48, n_val=40, batch_size=16)
    module = build_module(data.spec, CONFIG)
    fit_trainer = trainer(tmp_path)
    fit_trainer.fit(module, data)
    return module, data, fit_trainer.checkpoint_callback.best_model_path, tmp_path


def test_checkpoint_rebuilds_the_model_without_config(fitted):
    module, data, path, _ = fitted
    loaded = DrugResponseModule.load_from_checkpoint(path, map_location="cpu").eval()
    module.eval()
    batch = next(iter(data.val_dataloader()))
    with torch.no_grad():
        expected, got = module(*model_inputs(batch)), loaded(*model_inputs(batch))
    for task in expected:
        torch.testing.assert_close(got[task], expected[task])
    assert loaded.spec == data.spec
    assert checkpoint_spec(path) == data.spec
    assert isinstance(read_checkpoint(path)[SPEC_KEY]["window_names"], list)


def test_logged_metrics_match_references_from_predictions(fitted):
    module, data, _, tmp_path = fitted
    evaluation = trainer(tmp_path)
    logged = evaluation.validate(module, data, verbose=False)[0]
    rows = evaluation.predict(module, data.val_dataloader())
    predictions = {k: torch.cat([r[k] for r in rows]).numpy() for k in rows[0]}
    target = data.val.batch["target"].numpy()
    mask = data.val.batch["target_mask"].numpy()
    order = predictions["index"] - 48
    dose, bleed = mask[order, 0], mask[order, 1]
    assert logged["val/dose/mae"] == pytest.approx(
        mean_absolute_error(target[order, 0][dose], predictions["dose.pred"][dose]), rel=1e-5)
    assert logged["val/dose/r2"] == pytest.approx(
        r2_score(target[order, 0][dose], predictions["dose.pred"][dose]), rel=1e-4, abs=1e-5)
    assert logged["val/bleeding/auroc"] == pytest.approx(
        roc_auc_score(target[order, 1][bleed], predictions["bleeding.prob"][bleed]), rel=1e-5)
    assert np.all(predictions["dose.std"] > 0)
    assert np.all(predictions["dose.low"] < predictions["dose.high"])
    probs = np.stack([predictions[f"response.prob.{k}"] for k in range(3)], axis=1)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(predictions["response.pred"], probs.argmax(axis=1))
    # the logged names are the evaluation's (one vocabulary)
    assert {"val/bleeding/ece", "val/bleeding/brier", "val/response/macro_auroc",
            "val/response/balanced_accuracy", "val/dose/pw20"} <= set(logged)


def test_regression_predictions_are_in_the_data_units(fitted):
    module, data, _, _ = fitted
    module.eval()
    batch = next(iter(data.val_dataloader()))
    raw = module(*model_inputs(batch))["dose"]
    predicted = module.predict_step(batch, 0)
    stats = data.spec.extra["target_normalisation"]["dose"]
    mean, std = raw[:, 0] * stats["std"] + stats["mean"], torch.exp(0.5 * raw[:, 1]) * stats["std"]
    torch.testing.assert_close(predicted["dose.pred"], mean)
    torch.testing.assert_close(predicted["dose.std"], std)
    torch.testing.assert_close(predicted["dose.high"], mean + 1.6448536 * std)


def test_module_refuses_data_with_another_spec(fitted, tmp_path):
    module, _, _, _ = fitted
    other = FakeCohortDataModule(n_windows=3)
    with pytest.raises(ValueError, match=r"window_names: model expects \('GENE0', 'GENE1'\)"):
        trainer(tmp_path).validate(module, other, verbose=False)


def test_nan_loss_stops_with_the_batch_index(tmp_path):
    data = FakeCohortDataModule(n_train=32, batch_size=16)
    module = build_module(data.spec, CONFIG)
    with torch.no_grad():
        module.network.heads.heads["dose"][-1].bias.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match=r"train loss is nan at batch 0 \(epoch 0"):
        trainer(tmp_path, max_epochs=1, num_sanity_val_steps=0).fit(module, data)


def test_out_of_range_category_codes_are_named(tmp_path):
    data = FakeCohortDataModule(n_train=16, batch_size=16)
    data.train.batch["categorical"][3, 1] = 99
    module = build_module(data.spec, CONFIG)
    with pytest.raises(ValueError, match=r"feature 'cat1' has codes outside \[0, 5\)"):
        trainer(tmp_path, max_epochs=1, num_sanity_val_steps=0).fit(module, data)


def test_module_built_from_python_objects_cannot_write_a_checkpoint(tmp_path):
    spec = make_spec()
    network = partial(MultimodalModel, sequence_encoder=partial(CNNSequenceEncoder, widths=[8]),
                      tabular_encoder=TabularEncoder)
    module = DrugResponseModule(spec.to_dict(), network)
    with pytest.raises(TypeError, match="build_module"):
        module.on_save_checkpoint({})


def test_point_loss_on_a_heteroscedastic_head_is_refused_at_construction():
    spec = FakeCohortDataModule(n_train=8, n_val=8, batch_size=4).spec
    with pytest.raises(ValueError, match="'l1' applies to point heads"):
        build_module(spec, {**CONFIG, "regression_loss": "l1"})
    point = {**CONFIG, "network": {**CONFIG["network"], "init_args": {
        **CONFIG["network"]["init_args"], "heteroscedastic": False}}}
    assert build_module(spec, {**point, "regression_loss": "l1"}).loss.regression_loss == "l1"


def test_a_sqrt_task_is_predicted_and_logged_in_original_units():
    """Stored as sqrt(mg/week): predictions squared back, training metrics in mg/week."""
    from fakes import random_batch

    from pgxdl.data.spec import TaskSpec

    spec = make_spec(tasks=(TaskSpec("sqrt_dose", "regression", "mg/week", transform="sqrt"),))
    module = build_module(spec, CONFIG).eval()
    batch = random_batch(spec, 16)
    batch["target"] = batch["target"].abs() + 5.0  # sqrt doses
    stats = spec.extra["target_normalisation"]["sqrt_dose"]
    with torch.no_grad():
        raw = module(*model_inputs(batch))["sqrt_dose"]
        predicted = module.predict_step(batch, 0)
    mean = raw[:, 0] * stats["std"] + stats["mean"]
    torch.testing.assert_close(predicted["sqrt_dose.pred"], mean.clamp(min=0) ** 2)
    assert torch.all(predicted["sqrt_dose.low"] <= predicted["sqrt_dose.pred"])
    metrics = module.metrics["val_sqrt_dose"]
    kind = module.kinds[0]
    metrics.update(kind.metric_input(module.scaler.unscale_outputs({"sqrt_dose": raw})[
        "sqrt_dose"]), kind.metric_target(batch["target"][:, 0]))
    expected = (mean.clamp(min=0) ** 2 - batch["target"][:, 0] ** 2).abs().mean()
    torch.testing.assert_close(metrics.compute()["val/sqrt_dose/mae"], expected)
