"""A store's sequence codes as a memory-mapped array, for a single file or a shard set.

A store's ``sequence/codes`` written contiguous and uncompressed (the default) is a plain
``(S, W, H, L)`` uint8 array at a fixed offset of the file, so it can be memory-mapped
(:func:`memory_map`): gathering a batch's rows is a memory copy, ~8x faster than h5py's
selection. A shard index's codes are a virtual dataset over its shards, which h5py reads
by selection; each shard's own codes are contiguous, so :class:`ShardedCodes` maps every
shard and gathers a batch shard by shard (shards are contiguous ranges of subjects).

:func:`open_codes` opens the codes of a store as the file(s) a dataset first saw
(:func:`store_identity`), so rows read in a worker and gathered again in the main process
come from the same bytes.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from pgxdl.data.shards import shard_files

#: ``(device, inode, size, mtime_ns)`` per file: the store's, then each shard's in order.
Identity = tuple[int, ...]


def file_identity(h5: h5py.File) -> Identity:
    """``(device, inode, size, mtime_ns)`` of the file ``h5`` has open (not of its path:
    a store rewritten in place is a new file under the same path)."""
    stat = os.fstat(h5.id.get_vfd_handle())
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


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


class ShardedCodes:
    """The codes ``(S, W, H, L)`` of a shard set, one memory map per shard.

    Parameters
    ----------
    maps : each shard's codes ``(S_k, W, H, L)``, in subject order.

    ``codes[subjects]`` with an integer array ``subjects`` ``(N,)`` returns ``(N, W, H, L)``
    in the given order (repeats allowed), gathered from each shard's map in turn.
    """

    def __init__(self, maps: list[np.memmap]):
        self.maps = maps
        self.starts = np.cumsum([0] + [len(part) for part in maps])
        self.shape = (int(self.starts[-1]), *maps[0].shape[1:])
        self.dtype = maps[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, subjects) -> np.ndarray:
        subjects = np.asarray(subjects, dtype=np.int64)
        if subjects.ndim != 1:
            raise IndexError(f"sharded codes take a 1-d array of subjects, got shape "
                             f"{subjects.shape}")
        if len(subjects) and (subjects.min() < 0 or subjects.max() >= len(self)):
            raise IndexError(f"subjects {subjects.min()}..{subjects.max()} out of range for "
                             f"{len(self)} subjects")
        out = np.empty((len(subjects), *self.shape[1:]), self.dtype)
        shard = np.searchsorted(self.starts, subjects, side="right") - 1
        for k in np.unique(shard):
            rows = np.flatnonzero(shard == k)
            out[rows] = self.maps[k][subjects[rows] - self.starts[k]]
        return out


def store_identity(h5: h5py.File) -> Identity:
    """:func:`file_identity` of the store, followed by its shards' for a shard index."""
    identity = file_identity(h5)
    for shard in shard_files(h5.filename, h5):
        with _open_shard(shard, h5.filename, "while it was opened") as part:
            identity += file_identity(part)
    return identity


def open_codes(path: str, identity: Identity, since: str
               ) -> tuple[h5py.File, np.memmap | ShardedCodes | h5py.Dataset]:
    """Open ``path`` read-only and its codes: memory-mapped (per shard for a shard index
    whose shards all have plain codes), else the h5py dataset. Raise if a file is no longer
    the one of ``identity`` (see :func:`store_identity`), naming ``since`` when it was
    replaced. The open file is returned too; the caller keeps it (and closes it)."""
    h5 = h5py.File(path, "r")
    try:
        seen, maps = file_identity(h5), []
        for shard in shard_files(path, h5):
            with _open_shard(shard, path, since) as part:
                seen += file_identity(part)
                if "sequence/codes" in part:
                    maps.append(memory_map(part["sequence/codes"]))
        if seen != identity:
            raise RuntimeError(f"{path}: the store was replaced {since}; make a new "
                               "CohortDataModule")
    except BaseException:
        h5.close()
        raise
    if maps and all(isinstance(part, np.memmap) for part in maps):
        return h5, ShardedCodes(maps)
    return h5, memory_map(h5["sequence/codes"])


def _open_shard(shard: Path, index: str, since: str) -> h5py.File:
    if not shard.is_file():
        raise RuntimeError(f"{index}: shard {shard.name} went missing {since}; put it back "
                           f"in {shard.parent} and make a new CohortDataModule")
    return h5py.File(shard, "r")
