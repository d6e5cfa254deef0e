"""Deep fold predictors of the IWPC benchmark: a seed ensemble is the mean of its members."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
import yaml
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.baselines.deep_models import DeepFoldPredictor, load_model_config
from pgxdl.builders.store_build import build_store
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.iwpc.folds import protocol_folds, split_name
from pgxdl.iwpc.policy import SCOREABLE, select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.paths import REPO_ROOT

TINY_CNN = load_model_config("cnn_gated")
TINY_CNN["network"]["init_args"]["sequence_encoder"]["init_args"].update(
    widths=[4], depth=0, stem_kernel=3, stem_pool=2)


@pytest.fixture(scope="module")
def iwpc_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iwpc_deep")
    table = write_iwpc_csv(folder / "iwpc.csv", synthetic_rows(80, seed=3))
    config = yaml.safe_load((REPO_ROOT / "configs/data/iwpc.yaml").read_text())
    config.update(table=str(table), reference=str(write_fake_reference(folder / "ref.fa")),
                  require=list(SCOREABLE), protocol_seeds=[0])
    store = build_store(config, folder / "iwpc.h5")
    frame = read_iwpc_table(table).frame
    kept = select_patients(frame, SCOREABLE)[0]
    return store, int(kept.sum()), frame[kept]["site"].astype(str).to_numpy()


def test_seed_ensemble_is_the_mean_of_its_members_on_the_task_scale(iwpc_store):
    store, n, sites = iwpc_store
    fold = next(iter(protocol_folds("cv", n, [0], 5, sites)))
    ensemble = DeepFoldPredictor(store, TINY_CNN, max_epochs=2, patience=2, ensemble=2)
    dose = ensemble(fold)
    single = DeepFoldPredictor(store, TINY_CNN, max_epochs=2, patience=2)
    data = CohortDataModule(str(store), split=split_name("cv", 0, fold.fold), seed=0)
    members = [single._train_and_predict(data, "sqrt_dose", seed) for seed in (0, 1000)]
    mean = (members[0][0] + members[1][0]) / 2
    np.testing.assert_allclose(dose, np.square(np.clip(mean, 0, None)), rtol=1e-5)
    assert not np.allclose(members[0][0], members[1][0])  # two different models
    # the mixture's spread covers each member's and the gap between them
    low, high = ensemble.intervals[0][fold.test].T
    assert np.all(low <= dose + 1e-6) and np.all(dose <= high + 1e-6)
    with pytest.raises(ValueError, match="at least 1 model"):
        DeepFoldPredictor(store, TINY_CNN, ensemble=0)


def test_refit_trains_on_train_and_val_for_the_chosen_epochs(iwpc_store, monkeypatch):
    store, n, sites = iwpc_store
    fold = next(iter(protocol_folds("cv", n, [0], 5, sites)))
    data = CohortDataModule(str(store), split=split_name("cv", 0, fold.fold))
    both = CohortDataModule(str(store), split=data.split, train_on="train+val")
    np.testing.assert_array_equal(both.rows["train"],
                                  np.sort(np.r_[data.rows["train"], data.rows["val"]]))
    np.testing.assert_array_equal(both.rows["test"], data.rows["test"])
    with pytest.raises(ValueError, match="train_on must be"):
        CohortDataModule(str(store), train_on="val")
    fitted = []  # (rows trained on, epochs run, best epoch or None) of each fit
    original_fit = pl.Trainer.fit

    def recording_fit(trainer, module, datamodule):
        original_fit(trainer, module, datamodule=datamodule)
        best = trainer.checkpoint_callback
        fitted.append((len(datamodule.rows["train"]), trainer.current_epoch,
                       torch.load(best.best_model_path, weights_only=False)["epoch"]
                       if best else None))

    monkeypatch.setattr(pl.Trainer, "fit", recording_fit)
    refit = DeepFoldPredictor(store, TINY_CNN, max_epochs=3, patience=1, refit=True)
    dose = refit(fold)
    (selected_rows, _, best_epoch), (refit_rows, refit_epochs, _) = fitted
    assert selected_rows == len(data.rows["train"]) and refit_rows == len(both.rows["train"])
    assert refit_epochs == best_epoch + 1
    assert dose.shape == fold.test.shape and np.isfinite(dose).all()
    assert not np.allclose(dose, DeepFoldPredictor(store, TINY_CNN, max_epochs=3,
                                                   patience=1)(fold))
