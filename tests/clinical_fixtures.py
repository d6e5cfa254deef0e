"""A synthetic warfarin-like cohort and tiny checkpoints trained on it, for clinical tests."""

from __future__ import annotations

from pathlib import Path

import yaml
from checkpoint_fixtures import TinyCheckpoint, train_tiny_checkpoint

from pgxdl.clinical.synthetic import write_synthetic_cohort


def synthetic_checkpoint(folder: Path, n: int = 80, task: str = "dose",
                         train_batches: int = 3) -> tuple[dict[str, Path], TinyCheckpoint]:
    """Write the synthetic cohort into ``folder`` and train a heteroscedastic tiny model on
    its ``dose`` (mg/week) or ``sqrt_dose`` (``sqrt(mg/week)``) column."""
    paths = write_synthetic_cohort(folder, n=n)
    config = yaml.safe_load(paths["config"].read_text())
    if task == "sqrt_dose":
        config["tasks"] = [{"name": "sqrt_dose", "kind": "regression", "column": "sqrt_dose",
                            "units": "sqrt(mg/week)"}]
    tiny = train_tiny_checkpoint(folder / f"{task}_{train_batches}", config,
                                 heteroscedastic=True, train_batches=train_batches)
    return paths, tiny
