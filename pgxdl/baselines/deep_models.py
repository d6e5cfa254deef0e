"""pgxdl's deep models, trained from a cohort store fold by fold, as comparison fold predictors.

Each fold of :mod:`pgxdl.iwpc.folds` is a split stored in the IWPC cohort store
(:func:`~pgxdl.iwpc.folds.split_name`), so a deep model trains on exactly the
patients a baseline trains on, minus the validation part, which it uses for early stopping
(the weights of the best validation epoch are kept). The model is a
:class:`~pgxdl.training.DrugResponseModule` built from a ``configs/model/<name>.yaml``
(``network`` / ``optimizer`` / ``lr_scheduler`` as ``class_path`` configuration).

The store's task is the weekly dose or its square root (the IWPC builder's ``target``);
predictions are returned in mg/week. A heteroscedastic head also gives a standard deviation
``s``; the central ``level`` interval ``mean +/- z s`` on the task scale is mapped to mg/week
(squared for a square-root target, the lower end clipped at 0) and kept per seed in
:attr:`DeepFoldPredictor.intervals`.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
import yaml
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint
from scipy.stats import norm

from pgxdl.data.datamodule import CohortDataModule
from pgxdl.iwpc.folds import Fold, split_name
from pgxdl.resources import CONFIG_ROOT
from pgxdl.tasks import task_kind
from pgxdl.tasks.metrics import INTERVAL_LEVEL
from pgxdl.training import DrugResponseModule, build_module

MODEL_CONFIGS = CONFIG_ROOT / "model"


def load_model_config(name: str | Path) -> dict:
    """The ``model:`` configuration in ``configs/model/<name>.yaml``, or in a YAML path."""
    path = Path(name)
    if path.suffix not in (".yaml", ".yml"):
        path = MODEL_CONFIGS / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in MODEL_CONFIGS.glob("*.yaml"))
        raise FileNotFoundError(f"model config {path} not found; known models: {known}")
    return yaml.safe_load(path.read_text())


class DeepFoldPredictor:
    """Train a fresh deep model per fold and predict the fold's test patients (mg/week).

    Parameters
    ----------
    store : path of the IWPC cohort store holding the protocol splits.
    model_config : ``model:`` configuration (see :func:`load_model_config`).
    max_epochs, patience : training length and early-stopping patience (on ``val/loss``).
    batch_size : patients per batch.
    level : coverage of the prediction intervals of heteroscedastic models.
    ensemble : models trained per fold (different seeds), averaged.
    refit : after early stopping has chosen the number of epochs on the validation part,
        train a fresh model (same seed) on train + validation for that many epochs and
        predict with its final weights (the validation patients are learned from too).
    """

    def __init__(self, store: str | Path, model_config: dict, max_epochs: int = 30,
                 patience: int = 5, batch_size: int = 64, level: float = 0.8,
                 ensemble: int = 1, refit: bool = False):
        if ensemble < 1:
            raise ValueError(f"ensemble must be at least 1 model, got {ensemble}")
        self.store = str(store)
        self.model_config = copy.deepcopy(model_config)
        self.max_epochs, self.patience, self.batch_size = max_epochs, patience, batch_size
        self.level, self.ensemble, self.refit = level, ensemble, refit
        self.intervals: dict[int, np.ndarray] = {}  # seed -> (N, 2) mg/week, NaN if none

    def __call__(self, fold: Fold) -> np.ndarray:
        """Train on ``fold``'s stored split; return the ``(len(fold.test),)`` doses.

        With ``ensemble = k`` the fold trains ``k`` models (seeds ``fold.seed + 1000 i``;
        member 0 is the single model) and averages them on the task scale; a
        heteroscedastic ensemble's standard deviation is that of the equal-weight mixture.
        """
        data = CohortDataModule(self.store, split=split_name(fold.protocol, fold.seed, fold.fold),
                                batch_size=self.batch_size, seed=fold.seed)
        if not np.array_equal(data.rows["test"], fold.test):
            raise ValueError(f"{self.store}: stored split of {fold.protocol} seed {fold.seed} "
                             f"fold {fold.fold} does not hold the fold's test patients; rebuild "
                             "the store from the same table and selection")
        task = data.spec.tasks[0]
        refit_data = (CohortDataModule(self.store, split=data.split, seed=fold.seed,
                                       batch_size=self.batch_size, train_on="train+val")
                      if self.refit else None)
        members = [self._train_and_predict(data, task.name, fold.seed + 1000 * i, refit_data)
                   for i in range(self.ensemble)]
        means = np.stack([m for m, _ in members])  # (k, n)
        mean = means.mean(axis=0)
        transform = task_kind(task).transform  # e.g. sqrt: the dose is squared back
        if members[0][1] is not None:
            second_moment = np.mean([s ** 2 + m ** 2 for m, s in members], axis=0)
            std = np.sqrt(np.maximum(second_moment - mean ** 2, 0))
            half = norm.ppf(0.5 + self.level / 2) * std
            bounds = np.stack([mean - half, mean + half], axis=1)
            self._store_interval(fold, transform.inverse(bounds))
        return transform.inverse(mean)

    def _train_and_predict(self, data: CohortDataModule, task: str, seed: int,
                           refit_data: CohortDataModule | None = None
                           ) -> tuple[np.ndarray, np.ndarray | None]:
        """Train one model (best validation epoch kept, or refit on ``refit_data`` for as
        many epochs); test-part mean and std, or None."""
        pl.seed_everything(seed, workers=True)
        module = build_module(data.spec, self.model_config)
        with tempfile.TemporaryDirectory(prefix="pgxdl_iwpc_") as folder:
            best = ModelCheckpoint(dirpath=folder, monitor="val/loss", mode="min", save_top_k=1)
            trainer = self._trainer(folder, self.max_epochs,
                                    [best, EarlyStopping("val/loss", patience=self.patience)])
            trainer.fit(module, datamodule=data)
            if refit_data is None:
                module = DrugResponseModule.load_from_checkpoint(best.best_model_path,
                                                                 weights_only=False)
            else:
                epochs = torch.load(best.best_model_path, weights_only=False)["epoch"] + 1
                pl.seed_everything(seed, workers=True)
                module = build_module(refit_data.spec, self.model_config)
                trainer = self._trainer(folder, epochs, [])
                trainer.fit(module, datamodule=refit_data)
            batches = trainer.predict(module, datamodule=data)  # the test part
        order = np.argsort(torch.cat([b["index"] for b in batches]).numpy())
        columns = {key: torch.cat([b[key] for b in batches]).numpy()[order]
                   for key in batches[0] if key.startswith(f"{task}.")}
        # back to the task scale (e.g. sqrt dose), where members are averaged
        transform = next(task_kind(t) for t in data.spec.tasks if t.name == task).transform
        mean = transform.forward(columns[f"{task}.pred"])
        if f"{task}.low" not in columns:
            return mean, None
        spread = transform.forward(columns[f"{task}.high"]) - transform.forward(
            columns[f"{task}.low"])
        return mean, spread / (2 * norm.ppf(0.5 + INTERVAL_LEVEL / 2))

    @staticmethod
    def _trainer(folder: str, max_epochs: int, callbacks: list) -> pl.Trainer:
        return pl.Trainer(
            accelerator="cpu", devices=1, max_epochs=max_epochs, deterministic=True,
            logger=False, enable_progress_bar=False, enable_model_summary=False,
            default_root_dir=folder, num_sanity_val_steps=0, callbacks=callbacks,
            enable_checkpointing=bool(callbacks))

    def _store_interval(self, fold: Fold, bounds: np.ndarray) -> None:
        if fold.seed not in self.intervals:
            n = len(fold.train) + len(fold.test)
            self.intervals[fold.seed] = np.full((n, 2), np.nan)
        self.intervals[fold.seed][fold.test] = bounds


def interval_coverage(dose: np.ndarray, intervals: np.ndarray) -> dict:
    """Share of patients whose dose lies in their interval, and the median width (mg/week).

    ``dose (N,)``, ``intervals (N, 2)``.
    """
    low, high = intervals[:, 0], intervals[:, 1]
    return {"coverage": float(np.mean((dose >= low) & (dose <= high))),
            "median_width": float(np.median(high - low))}
