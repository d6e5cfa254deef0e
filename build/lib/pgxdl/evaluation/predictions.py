"""Run a trained checkpoint over one part of a cohort store: the predictions table.

The table has one row per observation (subject x drug) and these columns:

``index``                  observation row in the store (not a subject identifier)
``drug``                   drug name
``<group key>``            e.g. ``population``, ``site``
``<task>.target``          observed value (NaN where missing); ``<task>.mask`` True if present
``<task>.pred``            regression mean; binary 0/1 at p >= 0.5; multiclass argmax class
``<task>.std``             predicted standard deviation (heteroscedastic regression heads)
``<task>.prob``            P(y = 1) (binary); ``<task>.prob.<k>`` class probabilities
                           (multiclass)

No subject identifier (raw or hashed) is ever read into the table.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pgxdl.data.batch import finalize_batch
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.spec import DataSpec
from pgxdl.data.store import CohortStore
from pgxdl.evaluation.compatibility import check_evaluation_data, checkpoint_normalisation
from pgxdl.training.checkpoints import checkpoint_spec
from pgxdl.training.module import DrugResponseModule


@dataclass
class LoadedModel:
    """A checkpoint's module in eval mode on ``device``, and its training data spec."""

    module: DrugResponseModule
    spec: DataSpec
    device: torch.device

    @property
    def haplotypes(self) -> str:
        """How sequence codes were one-hot encoded in training (from the channel count)."""
        return "concat" if self.spec.channels == 8 else "dosage"

    @property
    def uses_sequence(self) -> bool:
        return self.module.network.sequence_encoder is not None and self.spec.n_windows > 0


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when available; otherwise the named device (``cpu``, ``cuda:0``)."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available")
    return resolved


def load_model(checkpoint: str | Path, device: str = "cpu") -> LoadedModel:
    """Load a :class:`DrugResponseModule` checkpoint for inference."""
    spec = checkpoint_spec(checkpoint)
    target = resolve_device(device)
    with warnings.catch_warnings():  # the module's training metrics warn; none run here
        warnings.filterwarnings("ignore", message=".*SpearmanCorrcoef.* will save all")
        module = DrugResponseModule.load_from_checkpoint(str(checkpoint), map_location=target)
    module.eval()
    return LoadedModel(module, spec, target)


def evaluation_datamodule(model: LoadedModel, store: str | Path, split: str = "default",
                          batch_size: int = 256, num_workers: int = 0) -> CohortDataModule:
    """A DataModule over ``store`` checked against, and normalised like, the training data.

    Raises ``ValueError`` (naming the store and every mismatch) when the store does not
    fit the checkpoint.
    """
    data = CohortDataModule(str(store), split, batch_size, num_workers, model.haplotypes,
                            with_sequence=model.uses_sequence,
                            normalisation=checkpoint_normalisation(model.spec))
    check_evaluation_data(model.spec, data.spec, str(store))
    return data


@torch.inference_mode()
def predict_outputs(model: LoadedModel, loader) -> dict[str, np.ndarray]:
    """Concatenated ``predict_step`` outputs over ``loader``.

    Returns ``index (N,)`` and per task ``task`` (``(N,)``, or ``(N, K)`` multiclass
    probabilities) plus ``task_std (N,)`` for heteroscedastic regression heads.
    """
    parts: dict[str, list[np.ndarray]] = {}
    for batch_idx, batch in enumerate(loader):
        batch = {k: v.to(model.device, non_blocking=True) for k, v in batch.items()}
        batch = finalize_batch(batch, model.haplotypes)
        for key, value in model.module.predict_step(batch, batch_idx).items():
            parts.setdefault(key, []).append(value.float().cpu().numpy())
    if not parts:
        raise ValueError("the selected part of the store has no observations to predict")
    return {key: np.concatenate(chunks) for key, chunks in parts.items()}


def predictions_table(outputs: dict[str, np.ndarray], spec: DataSpec, store: str | Path,
                      group_keys: Sequence[str] = ()) -> pd.DataFrame:
    """Assemble the predictions table (columns in the module docstring)."""
    index = outputs["index"].astype(np.int64)
    with CohortStore(store) as cohort:
        obs = cohort.observations()
        drugs = np.asarray(cohort.drug_names, dtype=object)
        subject = obs["subject_index"][index]
        columns: dict[str, np.ndarray] = {"index": index, "drug": drugs[obs["drug_index"][index]]}
        for key in group_keys:
            columns[key] = cohort.groups(key)[subject]
    values = obs["values"][index]
    for t, task in enumerate(spec.tasks):
        name, predicted = task.name, outputs[task.name]
        columns[f"{name}.target"] = values[:, t]
        columns[f"{name}.mask"] = ~np.isnan(values[:, t])
        if task.kind == "regression":
            columns[f"{name}.pred"] = predicted
            if f"{name}_std" in outputs:
                columns[f"{name}.std"] = outputs[f"{name}_std"]
        elif task.kind == "binary":
            columns[f"{name}.pred"] = (predicted >= 0.5).astype(np.int64)
            columns[f"{name}.prob"] = predicted
        else:
            columns[f"{name}.pred"] = predicted.argmax(axis=1)
            for k in range(predicted.shape[1]):
                columns[f"{name}.prob.{k}"] = predicted[:, k]
    return pd.DataFrame(columns)


def subject_clusters(store: str | Path, index: np.ndarray) -> np.ndarray | None:
    """Subject row of each observation ``(N,)`` when some subject has several observations
    (for a cluster bootstrap), else ``None``. Never written out: it links rows of one
    subject."""
    with CohortStore(store) as cohort:
        subject = cohort.observations()["subject_index"][np.asarray(index, dtype=np.int64)]
    return subject if len(np.unique(subject)) < len(subject) else None


def predict_store(model: LoadedModel, store: str | Path, split: str = "default",
                  part: str = "test", group_keys: Sequence[str] = (), batch_size: int = 256,
                  num_workers: int = 0) -> pd.DataFrame:
    """Check ``store`` against the checkpoint, predict ``part`` of ``split``: the table."""
    data = evaluation_datamodule(model, store, split, batch_size, num_workers)
    outputs = predict_outputs(model, data.dataloader(part))
    return predictions_table(outputs, model.spec, store, group_keys)
