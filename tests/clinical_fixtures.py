"""A synthetic warfarin-like cohort and tiny checkpoints trained on it, for clinical tests."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import yaml
from checkpoint_fixtures import TinyCheckpoint, train_tiny_checkpoint

from pgxdl.clinical.synthetic import write_synthetic_cohort


def synthetic_checkpoint(folder: Path, n: int = 80, task: str = "dose",
                         train_batches: int = 3) -> tuple[dict[str, Path], TinyCheckpoint]:
    """Write the synthetic cohort into ``folder`` and train a heteroscedastic tiny model on
    its ``dose`` column (mg/week) or its ``sqrt_dose`` column, either the way stores say it
    now (``task="sqrt_transform"``: units mg/week, transform sqrt) or the legacy way
    (``task="sqrt_units"``: units ``sqrt(mg/week)``, no transform)."""
    paths = write_synthetic_cohort(folder, n=n)
    config = yaml.safe_load(paths["config"].read_text())
    edit = None
    if task != "dose":
        units = "sqrt(mg/week)" if task == "sqrt_units" else "mg/week"
        config["tasks"] = [{"name": "sqrt_dose", "kind": "regression", "column": "sqrt_dose",
                            "units": units}]
    if task == "sqrt_transform":
        edit = _declare_sqrt_transform
    tiny = train_tiny_checkpoint(folder / f"{task}_{train_batches}", config,
                                 heteroscedastic=True, train_batches=train_batches,
                                 edit_store=edit)
    return paths, tiny


def _declare_sqrt_transform(store: Path) -> None:
    """Mark the store's task as stored on the square-root scale (the vcf_ehr builder has no
    ``transform`` setting; the IWPC builder writes the same record)."""
    with h5py.File(store, "r+") as h5:
        tasks = json.loads(h5["tasks"].attrs["tasks"])
        tasks[0]["transform"] = "sqrt"
        h5["tasks"].attrs["tasks"] = json.dumps(tasks)
