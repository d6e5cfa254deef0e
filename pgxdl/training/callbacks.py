"""Callbacks the CLI adds to every run: per-step seeding, run summary, predictions, config."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import BasePredictionWriter, ModelCheckpoint
from pytorch_lightning.cli import SaveConfigCallback

from pgxdl.io import atomic_write_text, write_json


class StepSeed(pl.Callback):
    """Reseed torch, NumPy and ``random`` from ``(seed, global step)`` before each training step.

    A step's randomness (dropout, augmentation) then depends only on the seed and the step
    number, so a run resumed from a checkpoint continues exactly as an uninterrupted one
    (whatever Lightning's restart bookkeeping does with epoch hooks). ``seed=None`` takes
    ``PL_GLOBAL_SEED`` (set by ``seed_everything``).
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                             batch, batch_idx: int) -> None:
        base = self.seed if self.seed is not None else int(os.environ.get("PL_GLOBAL_SEED", 0))
        step_seed = (base * 1_000_003 + trainer.global_step) % (2**32)
        random.seed(step_seed)
        np.random.seed(step_seed)  # noqa: NPY002 (the global RNG third-party code draws from)
        torch.manual_seed(step_seed)


class RunCheckpoint(ModelCheckpoint):
    """:class:`ModelCheckpoint` that writes to ``<run dir>/checkpoints`` when ``dirpath`` is
    unset (Lightning's default would be a new logger version folder on every start, where
    ``--ckpt_path last`` and SLURM requeues could not find the previous checkpoints)."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self.dirpath is None:
            self.dirpath = os.path.join(trainer.default_root_dir, "checkpoints")
        super().setup(trainer, pl_module, stage)


#: Metrics after the latest validation of a ``fit`` still running (see :class:`RunSummary`).
PROGRESS_FILE = "metrics_fit_progress.json"


class RunSummary(pl.Callback):
    """Write ``<run dir>/metrics_<stage>.json``: the final logged metrics (rank zero).

    During ``fit``, ``<run dir>/metrics_fit_progress.json`` holds those after the latest
    validation (a local sweep prunes trials from it).

    Also records the best checkpoint and its score after ``fit``. Only aggregate
    metrics are written, never per-row values or identifiers.
    """

    def _write(self, trainer: pl.Trainer, stage: str, name: str | None = None) -> None:
        if not trainer.is_global_zero or trainer.sanity_checking:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()
                   if torch.as_tensor(v).numel() == 1}
        summary = {"stage": stage, "epoch": trainer.current_epoch,
                   "global_step": trainer.global_step, "metrics": metrics}
        callback = trainer.checkpoint_callback
        if stage == "fit" and callback is not None and callback.best_model_path:
            score = callback.best_model_score
            summary["best_checkpoint"] = callback.best_model_path
            summary["best_score"] = None if score is None else float(score)
            summary["monitor"] = callback.monitor
        write_json(Path(trainer.default_root_dir) / (name or f"metrics_{stage}.json"), summary)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._write(trainer, "fit")

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.state.fn == "validate":
            self._write(trainer, "validate")
        elif trainer.state.fn == "fit":
            self._write(trainer, "fit", PROGRESS_FILE)

    def on_test_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._write(trainer, "test")


class PredictionWriter(BasePredictionWriter):
    """Write ``predict`` outputs to ``<run dir>/predictions/rank<r>.csv`` (one file per rank).

    Columns: ``index`` (the store's observation row), then each task's prediction
    columns ``<task>.<suffix>`` of :meth:`DrugResponseModule.predict_step`, named as in
    ``evaluate.py``'s ``predictions.csv`` (vocabulary in :mod:`pgxdl.tasks`).
    """

    def __init__(self):
        super().__init__(write_interval="epoch")

    def write_on_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                           predictions, batch_indices) -> None:
        columns = {}
        for key in predictions[0]:
            values = torch.cat([p[key] for p in predictions])
            # float32 for half-precision runs; the int64 index stays exact
            columns[key] = (values.float() if values.is_floating_point() else values).cpu().numpy()
        path = Path(trainer.default_root_dir) / "predictions" / f"rank{trainer.global_rank}.csv"
        atomic_write_text(path, pd.DataFrame(columns).to_csv(index=False, float_format="%.6g"))


class RunConfigSaver(SaveConfigCallback):
    """Save the resolved configuration as ``<run dir>/config_<stage>.yaml`` (rank zero).

    One file per stage (fit, validate, test, predict), so evaluating a run never
    overwrites the configuration it was trained with; a resumed fit rewrites its own.
    """

    def __init__(self, parser, config, config_filename: str = "config.yaml",
                 overwrite: bool = True, multifile: bool = False):
        super().__init__(parser, config, config_filename, overwrite, multifile,
                         save_to_log_dir=False)

    def save_config(self, trainer: pl.Trainer, pl_module: pl.LightningModule,
                    stage: str) -> None:
        text = self.parser.dump(self.config, skip_none=False)
        name = f"config_{getattr(stage, 'value', stage)}.yaml"
        atomic_write_text(Path(trainer.default_root_dir) / name, text)
