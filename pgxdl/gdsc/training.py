"""Train a GDSC deep model on one stored split and predict a part of it.

The model is a :class:`~pgxdl.training.DrugResponseModule` built from a
``configs/model/gdsc_*.yaml`` ``model:`` configuration; training keeps the weights of the
best validation epoch (early stopping on ``val/loss``), bounded by ``max_epochs`` and an
optional wall-clock ``max_minutes`` (the 2-core CPU budget).
"""

from __future__ import annotations

import datetime
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from pgxdl.data.datamodule import CohortDataModule
from pgxdl.gdsc.wide_init import init_wide
from pgxdl.training import DrugResponseModule, build_module


@dataclass
class TrainedModel:
    """A trained module, the rows it was tested on and its predictions there."""

    module: DrugResponseModule
    test_rows: np.ndarray  # (P,) observation rows of the test part
    prediction: np.ndarray  # (P,) predicted ln IC50
    epochs: int
    checkpoint: Path | None


def predict_test(module: DrugResponseModule, data: CohortDataModule
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Observation rows ``(P,)`` of the test part and the first task's predictions ``(P,)``."""
    column = module.kinds[0].column("pred")
    trainer = pl.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False,
                         enable_model_summary=False)
    batches = trainer.predict(module, datamodule=data)
    rows = torch.cat([b["index"] for b in batches]).numpy()
    return rows, torch.cat([b[column] for b in batches]).numpy()


def train_model(store: str | Path, split: str, model_config: dict, max_epochs: int = 20,
                patience: int = 3, batch_size: int = 512, seed: int = 0,
                max_minutes: float | None = None, checkpoint: str | Path | None = None,
                wide_init: str | None = None) -> TrainedModel:
    """Train on ``split``'s train part (validation for early stopping), predict its test.

    ``checkpoint``: where to keep the best checkpoint (a temporary folder otherwise).
    ``wide_init``: start a wide-and-deep model's wide term from the training part
    (:func:`~pgxdl.gdsc.wide_init.init_wide`: ``elastic_net``, ``drug_mean`` or ``zero``).
    """
    pl.seed_everything(seed, workers=True)
    data = CohortDataModule(str(store), split=split, batch_size=batch_size, seed=seed,
                            with_sequence=False)
    module = build_module(data.spec, model_config)
    if wide_init is not None:
        init_wide(module, str(store), split, wide_init, seed)
    with tempfile.TemporaryDirectory(prefix="pgxdl_gdsc_") as folder:
        best = ModelCheckpoint(dirpath=folder, filename="best", monitor="val/loss", mode="min",
                               save_top_k=1)
        limit = (datetime.timedelta(minutes=max_minutes) if max_minutes else None)
        trainer = pl.Trainer(
            accelerator="cpu", devices=1, max_epochs=max_epochs, deterministic=True,
            logger=False, enable_progress_bar=False, enable_model_summary=False,
            default_root_dir=folder, num_sanity_val_steps=0, max_time=limit,
            callbacks=[best, EarlyStopping("val/loss", patience=patience)])
        trainer.fit(module, datamodule=data)
        kept = Path(best.best_model_path)
        module = DrugResponseModule.load_from_checkpoint(kept, weights_only=False)
        epochs = int(torch.load(kept, weights_only=False)["epoch"]) + 1
        saved = None
        if checkpoint is not None:
            saved = Path(checkpoint)
            saved.parent.mkdir(parents=True, exist_ok=True)
            saved.write_bytes(kept.read_bytes())
    module.eval()
    rows, prediction = predict_test(module, data)
    return TrainedModel(module, rows, prediction, epochs, saved)
