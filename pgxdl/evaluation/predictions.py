"""Run a trained checkpoint over one part of a cohort store: the predictions table.

The table has one row per observation (subject x drug) and these columns:

``index``                  observation row in the store (not a subject identifier)
``drug``                   drug name
``<group key>``            e.g. ``population``, ``site``
``<task>.target``          observed value (NaN where missing); ``<task>.mask`` True if present
``<task>.<suffix>``        the task's prediction columns: ``pred``, and ``std``, ``low``,
                           ``high``, ``prob`` or ``prob.<k>`` by kind (see :mod:`pgxdl.tasks`)

Targets and regression predictions are in reported units (the inverse of the task's
target transform, e.g. mg/week for a task stored as ``sqrt`` of the dose).

No subject identifier (raw or hashed) is ever read into the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pgxdl.data.batch import finalize_batch
from pgxdl.data.spec import DataSpec
from pgxdl.data.store import CohortStore
from pgxdl.tasks import task_kind
from pgxdl.training.restore import LoadedModel, checkpoint_datamodule


@torch.inference_mode()
def predict_outputs(model: LoadedModel, loader) -> dict[str, np.ndarray]:
    """Concatenated ``predict_step`` outputs over ``loader``.

    Returns ``index (N,)`` and each task's prediction columns ``<task>.<suffix>`` ``(N,)``.
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
        kind = task_kind(task)
        columns[kind.column("target")] = kind.reported_target(values[:, t])
        columns[kind.column("mask")] = ~np.isnan(values[:, t])
        columns.update({key: value for key, value in outputs.items()
                        if key.startswith(f"{task.name}.")})
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
    data = checkpoint_datamodule(model, store, split, batch_size, num_workers)
    outputs = predict_outputs(model, data.dataloader(part))
    return predictions_table(outputs, model.spec, store, group_keys)
