"""A torch Dataset over a cohort store: lazy per-worker h5py, batched reads, uint8 codes.

Items are observation rows (subject x drug). The small parts (tabular block, targets)
are held in memory; sequence codes stay on disk and are read per batch through
``__getitems__``: from a read-only memory map (one per shard for a shard index,
:mod:`pgxdl.data.mapped_codes`) when the codes are stored contiguous and uncompressed
(the default; ~8x faster than h5py's selection), otherwise as one sorted HDF5 selection
per batch (~10x faster than per-item reads). Sequences leave the dataset as uint8 codes
``(N, W, H, L)`` and are one-hot encoded late, on the batch's device, by
:func:`pgxdl.data.batch.finalize_batch`.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import torch
from torch.utils.data import Dataset

from pgxdl.data.mapped_codes import ShardedCodes, open_codes, store_identity
from pgxdl.data.store import CohortStore
from pgxdl.data.worker_batch import MappedRows, WorkerBatch


class CohortDataset(Dataset):
    """Observation rows of a cohort store as dicts of tensors.

    Parameters
    ----------
    store : path of the cohort store.
    rows : ``(R,)`` observation indices this dataset serves (e.g. one split part).
    normalisation : ``(mean, std)`` of the numeric features, each ``(F_num,)``, fitted on
        the training subjects (from the store or from a checkpoint).
    with_sequence : read sequence codes (``False`` for tabular-only models and baselines).

    ``__getitems__(indices)`` returns a batch dict: ``codes`` uint8 ``(N, W, H, L)``,
    ``numeric``, ``numeric_missing`` float32 ``(N, F_num)``, ``categorical`` int64
    ``(N, F_cat)``, ``drug`` int64 ``(N,)``, ``target`` float32 ``(N, T)``,
    ``target_mask`` bool ``(N, T)``, ``index`` int64 ``(N,)``.
    """

    def __init__(self, store: str | Path, rows: np.ndarray,
                 normalisation: tuple[np.ndarray, np.ndarray] | None = None,
                 with_sequence: bool = True):
        self.path = str(store)
        self.rows = np.asarray(rows, dtype=np.int64)
        with CohortStore(self.path) as cohort:
            self._identity = store_identity(cohort.h5)  # codes must come from these files
            obs = cohort.observations()
            self.with_sequence = with_sequence and cohort.has_sequence
            n_subjects = cohort.n_subjects
            numeric = (cohort.h5["tabular/numeric"][:] if cohort.has_tabular
                       else np.zeros((n_subjects, 0), np.float32))
            categorical = (cohort.h5["tabular/categorical"][:] if cohort.has_tabular
                           else np.zeros((n_subjects, 0), np.int32))
        self.subject = obs["subject_index"][self.rows]
        self.drug = obs["drug_index"][self.rows]
        values = obs["values"][self.rows]
        self.target_mask = ~np.isnan(values)
        self.target = np.nan_to_num(values, nan=0.0).astype(np.float32)
        self.numeric_missing = np.isnan(numeric).astype(np.float32)
        if normalisation is not None and numeric.shape[1]:
            mean, std = (np.asarray(a, dtype=np.float32) for a in normalisation)
            numeric = (numeric - mean) / std
        self.numeric = np.nan_to_num(numeric, nan=0.0).astype(np.float32)
        self.categorical = categorical.astype(np.int64)
        self._h5: h5py.File | None = None
        self._codes: np.memmap | ShardedCodes | h5py.Dataset | None = None
        self._pid: int | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def _codes_source(self) -> np.memmap | ShardedCodes | h5py.Dataset:
        """The sequence codes, opened once per process (handles can't cross a fork)."""
        if self._codes is None or self._pid != os.getpid():
            self._h5, self._codes = open_codes(self.path, self._identity,
                                               "after this dataset read its targets")
            self._pid = os.getpid()
        return self._codes

    def read_codes(self, subjects: np.ndarray) -> np.ndarray:
        """Sequence codes of ``subjects`` ``(N,)`` in the given order, ``(N, W, H, L)`` uint8."""
        source = self._codes_source()
        if isinstance(source, np.memmap | ShardedCodes):
            return np.asarray(source[subjects])
        unique, inverse = np.unique(subjects, return_inverse=True)
        return source[unique][inverse]  # one sorted hyperslab read

    def __getitems__(self, indices: list[int]) -> WorkerBatch:
        idx = np.asarray(indices, dtype=np.int64)
        subjects = self.subject[idx]
        batch = {
            "numeric": torch.from_numpy(self.numeric[subjects]),
            "numeric_missing": torch.from_numpy(self.numeric_missing[subjects]),
            "categorical": torch.from_numpy(self.categorical[subjects]),
            "drug": torch.from_numpy(self.drug[idx]),
            "target": torch.from_numpy(self.target[idx]),
            "target_mask": torch.from_numpy(self.target_mask[idx]),
            "index": torch.from_numpy(self.rows[idx]),
        }
        if not self.with_sequence:
            return WorkerBatch(batch)
        batch["codes"] = torch.from_numpy(self.read_codes(subjects))
        mapped = isinstance(self._codes, np.memmap | ShardedCodes)
        return WorkerBatch(batch, MappedRows(self.path, self._identity, subjects)
                           if mapped else None)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        """One item, as a batch of one with the leading axis removed."""
        return {k: v[0] for k, v in self.__getitems__([index]).items()}

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_h5"] = state["_codes"] = None
        return state


def collate_batch(batch: WorkerBatch) -> WorkerBatch:
    """DataLoader ``collate_fn`` for :meth:`CohortDataset.__getitems__`: already a batch."""
    return batch
