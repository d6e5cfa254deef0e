"""Restore a trained checkpoint for inference, and a store's data checked against it.

Used by evaluation, attribution and exploration alike (:func:`load_model`,
:func:`checkpoint_datamodule`).

:meth:`DataSpec.check_compatible` compares shapes, feature names, cardinalities, tasks
and drugs. Two more things must match for codes to mean the same on both sides: the
categorical vocabularies (code ``k`` must be the same category) and the window
coordinates (window ``w`` must be the same stretch of genome). Both are in
``spec.extra``, which the store fills in :meth:`pgxdl.data.store.CohortStore.spec`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.spec import DataSpec
from pgxdl.training.checkpoints import checkpoint_spec
from pgxdl.training.module import DrugResponseModule


def check_evaluation_data(trained: DataSpec, data: DataSpec, store: str = "the store") -> None:
    """Raise ``ValueError`` listing every way ``data`` differs from the ``trained`` spec.

    Parameters
    ----------
    trained : the spec stored in the checkpoint.
    data : the spec of the store to evaluate on.
    store : the store's path, named in the message.
    """
    if trained.schema_version != data.schema_version:
        raise ValueError(f"{store}: store schema_version {data.schema_version} differs from "
                         f"the checkpoint's {trained.schema_version}; rebuild the store with "
                         f"the pgxdl version the model was trained with")
    try:
        trained.check_compatible(data)
    except ValueError as error:
        raise ValueError(f"{store}: {error}") from None
    problems = []
    mine, theirs = (spec.extra.get("vocabularies", {}) for spec in (trained, data))
    for feature in sorted(set(mine) & set(theirs)):
        if list(mine[feature]) != list(theirs[feature]):
            problems.append(f"vocabulary of {feature!r}: model expects {list(mine[feature])}, "
                            f"data has {list(theirs[feature])}")
    mine, theirs = (spec.extra.get("windows", []) for spec in (trained, data))
    if mine and theirs:
        for old, new in zip(mine, theirs, strict=True):
            fields = ("chrom", "start", "end", "strand")
            if any(old.get(f) != new.get(f) for f in fields):
                problems.append(f"window {old.get('name')!r}: model expects "
                                f"{[old.get(f) for f in fields]}, data has "
                                f"{[new.get(f) for f in fields]}")
    if problems:
        raise ValueError(f"{store}: data does not fit the model:\n  " + "\n  ".join(problems))


def checkpoint_normalisation(trained: DataSpec) -> dict | None:
    """The numeric-feature statistics ``{"mean", "std"}`` fitted at training time, if any."""
    norm = trained.extra.get("normalisation") or None
    if norm is not None and not {"mean", "std"} <= set(norm):
        raise ValueError(f"checkpoint normalisation lacks mean/std (has {sorted(norm)})")
    return norm


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
    module = DrugResponseModule.load_from_checkpoint(str(checkpoint), map_location=target)
    module.eval()
    return LoadedModel(module, spec, target)


def checkpoint_datamodule(model: LoadedModel, store: str | Path, split: str = "default",
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
