"""Memory-mapped sequence codes, and batches that leave DataLoader workers cheaply.

A store's ``sequence/codes`` written contiguous and uncompressed (the default) is a plain
``(S, W, H, L)`` uint8 array at a fixed offset of the file, so it can be memory-mapped
(:func:`memory_map`): gathering a batch's rows is a memory copy, ~8x faster than h5py's
selection.

torch sends each tensor of a batch from a worker to the main process through its own
shared-memory segment and file descriptor, which costs milliseconds per batch and dwarfs
the read. A :class:`WorkerBatch` crosses instead with its small fields inline in the pickle
(numpy arrays) and, when its codes are memory-mapped rows, as :class:`MappedRows`: the
worker has read them (it does the I/O, so the pages are in the page cache) and the main
process gathers the same rows from its own map of the same file. The main process gets a
plain dict of tensors either way.
"""

from __future__ import annotations

import functools
import os
from typing import NamedTuple

import h5py
import numpy as np
import torch
from torch.utils.data import get_worker_info

#: Batches of codes above this size cross as a shared tensor (no second gather in the
#: main process, whose pages could also have left the page cache by then).
MAPPED_BATCH_MAX_BYTES = 64 * 2**20

Identity = tuple[int, int, int, int]


def file_identity(h5: h5py.File) -> Identity:
    """``(device, inode, size, mtime_ns)`` of the file ``h5`` has open (not of its path:
    a store rewritten in place is a new file under the same path)."""
    stat = os.fstat(h5.id.get_vfd_handle())
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def open_same_store(path: str, identity: Identity, since: str) -> h5py.File:
    """Open ``path`` read-only; raise if it is no longer the file of ``identity`` (see
    :func:`file_identity`), naming ``since`` when it was replaced."""
    h5 = h5py.File(path, "r")
    if file_identity(h5) != identity:
        h5.close()
        raise RuntimeError(f"{path}: the store was replaced {since}; make a new "
                           "CohortDataModule")
    return h5


def memory_map(dataset: h5py.Dataset) -> np.memmap | h5py.Dataset:
    """A read-only memory map of ``dataset``'s bytes in its open file, when it has plain ones.

    Only a contiguous, unfiltered dataset that has been written (the default layout of
    ``sequence/codes``) is a plain array at a fixed file offset; any other (chunked,
    compressed, virtual, external, empty) is returned as it is, to be read through h5py.
    The map is made from the descriptor h5py has open, so it is the same file.
    """
    layout = dataset.id.get_create_plist().get_layout()
    offset = dataset.id.get_offset() if layout == h5py.h5d.CONTIGUOUS else None
    if offset is None or dataset.size == 0:
        return dataset
    with os.fdopen(os.dup(dataset.file.id.get_vfd_handle()), "rb") as handle:
        return np.memmap(handle, dtype=dataset.dtype, mode="r", offset=offset,
                         shape=dataset.shape)


class MappedRows(NamedTuple):
    """Rows ``subjects`` ``(N,)`` of a store's memory-mapped codes, named, not copied."""

    path: str
    identity: Identity  # the file the worker read, see :func:`file_identity`
    subjects: np.ndarray

    def read(self) -> np.ndarray:
        """The codes ``(N, W, H, L)`` uint8, gathered from this process's own map."""
        return np.asarray(_mapped_codes(self.path, self.identity)[self.subjects])


@functools.lru_cache(maxsize=8)
def _mapped_codes(path: str, identity: Identity) -> np.memmap:
    """The map of ``path``'s codes; checked to be the file a worker read (once: cached)."""
    with open_same_store(path, identity, "while a DataLoader was reading it") as h5:
        return memory_map(h5["sequence/codes"])


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
