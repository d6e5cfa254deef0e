"""LightningDataModule over a cohort store: split parts, lazy workers, late one-hot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.accelerators import CUDAAccelerator
from torch.utils.data import DataLoader, Sampler

from pgxdl.data.batch import finalize_batch, reference_sequence
from pgxdl.data.dataset import CohortDataset, collate_batch
from pgxdl.data.spec import DataSpec
from pgxdl.data.splits import PART_NAMES, TEST, TRAIN, VAL
from pgxdl.data.store import CohortStore


class EpochShuffleSampler(Sampler[int]):
    """A random permutation of ``range(n)`` drawn from ``seed + epoch``.

    Lightning calls :meth:`set_epoch` before each training epoch (under DDP its
    distributed wrapper shards the permutation and reshuffles from ``seed + epoch`` too).
    """

    def __init__(self, n: int, seed: int = 0):
        self.n, self.seed, self.epoch = n, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.randperm(self.n, generator=generator).tolist())

    def __len__(self) -> int:
        return self.n


class CohortDataModule(pl.LightningDataModule):
    """Train/val/test loaders over one stored split of a cohort store.

    Parameters
    ----------
    store : path of the cohort store (``pgxdl build`` writes one).
    split : name of a stored split scheme (``default``, ``kfold_0``, ``site_out_3``, ...),
        subject-level or observation-level (e.g. GDSC's ``mixed`` and ``drug_blind``).
    batch_size : observations per batch (per process under DDP).
    num_workers : DataLoader workers; each opens the store itself, lazily.
    haplotypes : ``dosage`` (C = 4) or ``concat`` (phased stores, C = 8).
    with_sequence : load sequence windows (``False`` for tabular-only runs: faster).
    normalisation : ``{"mean": [...], "std": [...]}`` to use instead of the store's (a
        checkpoint's statistics, when evaluating on new data).
    seed : seed of the training shuffle.
    pin_memory : copy batches to page-locked memory (faster, asynchronous host-to-GPU
        transfer); ``None`` (default) pins when the attached Trainer trains on a CUDA
        device (never without a Trainer, so CPU runs on a GPU node start no CUDA context).
    train_on : ``train`` (default), or ``train+val`` to refit on both parts once the
        number of epochs has been chosen on validation (the val loader still serves the
        val part, for schedulers that watch it; it is no longer held out).
    allow_empty : parts (``val``, ``test``) that may be empty on purpose. Asking for the
        loader of an empty part not listed here is a ``ValueError`` naming the store, the
        split and the part (a run never trains without validation by accident).

    The :attr:`spec` is read from the store at construction, so LightningCLI can link it
    into the model before either is instantiated further.
    """

    def __init__(self, store: str, split: str = "default", batch_size: int = 64,
                 num_workers: int = 0, haplotypes: str = "dosage", with_sequence: bool = True,
                 normalisation: dict | None = None, seed: int = 0, train_on: str = "train",
                 pin_memory: bool | None = None, allow_empty: list[str] | None = None):
        super().__init__()
        if train_on not in ("train", "train+val"):
            raise ValueError(f"train_on must be 'train' or 'train+val', got {train_on!r}")
        self.allow_empty = set(allow_empty or ())
        unknown = self.allow_empty - {"val", "test"}
        if unknown:
            raise ValueError(f"allow_empty takes 'val' and 'test', got {sorted(unknown)}")
        self.store = str(Path(store))
        self.split = split
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.haplotypes = haplotypes
        self.with_sequence = with_sequence
        self.seed = seed
        self.pin_memory = pin_memory
        with CohortStore(self.store) as cohort:
            self.spec: DataSpec = cohort.spec(split, haplotypes)
            part_of_row = cohort.observation_parts(split)
            obs = cohort.observations()
        if normalisation:
            self.spec.extra["normalisation"] = normalisation
        labelled = (~np.isnan(obs["values"])).any(axis=1)
        self.rows = {part: np.flatnonzero((part_of_row == code) & labelled)
                     for part, code in zip(PART_NAMES, (TRAIN, VAL, TEST), strict=True)}
        self.rows["all"] = np.arange(len(part_of_row))
        if train_on == "train+val":
            self.rows["train"] = np.sort(np.concatenate([self.rows["train"], self.rows["val"]]))
        self.datasets: dict[str, CohortDataset] = {}

    def _normalisation(self):
        norm = self.spec.extra.get("normalisation") or {}
        return (norm["mean"], norm["std"]) if norm else None

    @property
    def pins_memory(self) -> bool:
        """Whether loaders pin batches: ``pin_memory``, or when ``None`` whether the attached
        Trainer's accelerator is CUDA."""
        if self.pin_memory is not None:
            return self.pin_memory
        return self.trainer is not None and isinstance(self.trainer.accelerator, CUDAAccelerator)

    def dataset(self, part: str) -> CohortDataset:
        """The dataset of one part: ``train``, ``val``, ``test`` or ``all``."""
        if part not in self.rows:
            raise ValueError(f"unknown part {part!r}; use one of {sorted(self.rows)}")
        if not len(self.rows[part]) and part not in self.allow_empty:
            optional = (f", or set data.allow_empty: [{part}] to run without it"
                        if part in ("val", "test") else "")
            raise ValueError(
                f"{self.store}: split {self.split!r} has no labelled observation in its {part} "
                f"part; choose another split (data.split) or rebuild the store with a split "
                f"that fills it{optional}")
        if part not in self.datasets:
            self.datasets[part] = CohortDataset(self.store, self.rows[part],
                                                self._normalisation(), self.with_sequence)
        return self.datasets[part]

    def dataloader(self, part: str, shuffle: bool = False) -> DataLoader:
        """A loader over ``part``; batches hold uint8 ``codes`` until transferred.

        The training shuffle is a function of ``(seed, epoch)`` only
        (:class:`EpochShuffleSampler`), so a run resumed at epoch ``e`` sees the same batches
        as an uninterrupted one.
        """
        dataset = self.dataset(part)
        sampler = EpochShuffleSampler(len(dataset), self.seed) if shuffle else None
        return DataLoader(dataset, batch_size=self.batch_size, sampler=sampler,
                          num_workers=self.num_workers, collate_fn=collate_batch,
                          persistent_workers=self.num_workers > 0, pin_memory=self.pins_memory)

    def train_dataloader(self) -> DataLoader:
        return self.dataloader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.dataloader("val")

    def test_dataloader(self) -> DataLoader:
        return self.dataloader("test")

    def predict_dataloader(self) -> DataLoader:
        return self.dataloader("test")

    def reference_sequence(self) -> torch.Tensor:
        """The store's reference windows as model input ``(W, C, L)``, in this module's
        haplotype encoding."""
        with CohortStore(self.store) as cohort:
            return reference_sequence(cohort, self.haplotypes)

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        """One-hot the codes on the batch's device (late: 16x less to move than floats)."""
        return finalize_batch(batch, self.haplotypes)
