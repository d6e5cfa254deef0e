"""Batches that leave DataLoader workers cheaply.

torch sends each tensor of a batch from a worker to the main process through its own
shared-memory segment and file descriptor, which costs milliseconds per batch and dwarfs
the read. A :class:`WorkerBatch` crosses instead with its small fields inline in the pickle
(numpy arrays) and, when its codes are memory-mapped rows, as :class:`MappedRows`: the
worker has read them (it does the I/O, so the pages are in the page cache) and the main
process gathers the same rows from its own map of the same file(s)
(:mod:`pgxdl.data.mapped_codes`: one store file, or every shard of a shard index). The
main process gets a plain dict of tensors either way.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import get_worker_info

from pgxdl.data.mapped_codes import Identity, ShardedCodes, open_codes

#: Batches of codes above this size cross as a shared tensor (no second gather in the
#: main process, whose pages could also have left the page cache by then).
MAPPED_BATCH_MAX_BYTES = 64 * 2**20

class MappedRows(NamedTuple):
    """Rows ``subjects`` ``(N,)`` of a store's memory-mapped codes, named, not copied."""

    path: str
    identity: Identity  # the file(s) the worker read, see ``store_identity``
    subjects: np.ndarray

    def read(self) -> np.ndarray:
        """The codes ``(N, W, H, L)`` uint8, gathered from this process's own map."""
        return np.asarray(_mapped_codes(self.path, self.identity)[self.subjects])


@functools.lru_cache(maxsize=8)
def _mapped_codes(path: str, identity: Identity) -> np.memmap | ShardedCodes:
    """The map of ``path``'s codes; checked to be the file(s) a worker read (once: cached).
    The maps hold their own descriptors, so the store is closed."""
    h5, codes = open_codes(path, identity, "while a DataLoader was reading it")
    h5.close()
    return codes


class WorkerBatch(dict):
    """A batch dict that pickles cheaply (see the module docstring).

    ``mapped_rows`` names where ``batch["codes"]`` came from; it is only used inside a
    DataLoader worker, for batches up to :data:`MAPPED_BATCH_MAX_BYTES`, and only while
    the codes are the tensor that was read, unmodified (else the tensor itself is sent).
    """

    def __init__(self, batch: dict[str, torch.Tensor], mapped_rows: MappedRows | None = None):
        super().__init__(batch)
        codes = batch.get("codes")
        small = codes is not None and codes.nbytes <= MAPPED_BATCH_MAX_BYTES
        self.mapped_rows = mapped_rows if small and get_worker_info() is not None else None
        self._read = (codes, _version(codes)) if self.mapped_rows is not None else None

    def _codes_as_read(self) -> bool:
        codes = self.get("codes")
        return codes is self._read[0] and _version(codes) == self._read[1]

    def __reduce__(self):
        small = {k: v.numpy() for k, v in self.items() if k != "codes"}
        if self.mapped_rows is not None and self._codes_as_read():
            return _unpack_batch, (small, self.mapped_rows)
        return _unpack_batch, (small, self.get("codes"))


def _version(tensor: torch.Tensor) -> int | None:
    """The in-place write counter (inference tensors, made under ``inference_mode``, keep
    none; they cannot be written in place outside it)."""
    return None if tensor.is_inference() else tensor._version


def _unpack_batch(small: dict[str, np.ndarray], codes: MappedRows | torch.Tensor | None
                  ) -> dict[str, torch.Tensor]:
    batch = {k: torch.from_numpy(v) for k, v in small.items()}
    if isinstance(codes, MappedRows):
        codes = torch.from_numpy(codes.read())
    if codes is not None:
        batch["codes"] = codes
    return batch
