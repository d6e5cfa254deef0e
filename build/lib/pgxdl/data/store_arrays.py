"""How the store writer puts arrays into HDF5 quickly.

- :func:`write_arrays`: a group of datasets, the group created once (a path per dataset
  makes h5py look up every parent group again);
- :func:`labels`: per-subject text as fixed-width UTF-8, each distinct label encoded once
  (variable-length strings cost about 10 ms per 20,000 values to write);
- :func:`create_contiguous` and :func:`write_rows`: a large block written in row chunks
  into file space reserved up front, through h5py's low-level API.

Readers see the same values whichever string storage a dataset has (h5py returns bytes
for both, which :mod:`pgxdl.data.store` decodes).
"""

from __future__ import annotations

import ctypes
import errno
import os

import h5py
import numpy as np
import pandas as pd

#: Variable-length UTF-8 string dtype of h5py.
STR = h5py.string_dtype()
#: ``fallocate`` errors that mean "not supported here" (the write then goes on).
_UNSUPPORTED = {errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS, errno.EINVAL}


def write_arrays(parent: h5py.Group, name: str, arrays: dict[str, np.ndarray]
                 ) -> h5py.Group | None:
    """One dataset per array in group ``name`` of ``parent``; nothing (no group) when
    ``arrays`` is empty."""
    if not arrays:
        return None
    grp = parent.require_group(name)
    for key, values in arrays.items():
        grp.create_dataset(key, data=values)
    return grp


def strings(values) -> np.ndarray:
    """Variable-length UTF-8 strings, ``str`` of each value."""
    return np.array([str(v) for v in values], dtype=STR)


def text_or_numbers(values) -> np.ndarray:
    """A column as stored: text as :func:`strings`, numbers as they are."""
    values = np.asarray(values)
    return strings(values) if values.dtype.kind in "OUS" else values


def labels(values) -> np.ndarray:
    """``(S,)`` fixed-width UTF-8 text of each value (``str``), for per-subject columns."""
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        values = strings(values)
    codes, distinct = pd.factorize(values)
    encoded = np.array([label.encode() for label in distinct], dtype="S")
    return encoded.astype(h5py.string_dtype("utf-8", encoded.itemsize))[codes]


def create_contiguous(parent: h5py.Group, name: str, shape: tuple[int, ...], dtype
                      ) -> h5py.Dataset:
    """An uncompressed dataset whose file space is allocated (never filled) and whose
    disk blocks are reserved now, for :func:`write_rows` to fill."""
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
    dataset = parent.create_dataset(name, shape=shape, dtype=dtype, dcpl=dcpl)
    _reserve_disk_space(dataset)
    return dataset


def write_rows(dataset: h5py.Dataset, start: int, rows: np.ndarray) -> None:
    """``dataset[start:start + len(rows)] = rows`` through h5py's low-level API, which
    skips the high-level selection machinery (about 80 us a call)."""
    rows = np.ascontiguousarray(rows, dtype=dataset.dtype)
    file_space = dataset.id.get_space()
    file_space.select_hyperslab((start,) + (0,) * (rows.ndim - 1), rows.shape)
    dataset.id.write(h5py.h5s.create_simple(rows.shape), file_space, rows)


def _reserve_disk_space(dataset: h5py.Dataset) -> None:
    """Reserve the disk blocks of an allocated contiguous dataset: chunks written into
    reserved blocks go as fast as one large write (on ext4, 2 MB chunks written to fresh
    blocks take about 1.4x as long). Linux's ``fallocate(2)``, never ``posix_fallocate``,
    which emulates it on filesystems without it (NFSv3, say) by writing every block;
    skipped where the call is missing or unsupported."""
    offset, size = dataset.id.get_offset(), dataset.id.get_storage_size()
    if offset is None or size == 0 or _FALLOCATE is None:
        return
    fd = os.open(dataset.file.filename, os.O_WRONLY)
    try:
        if _FALLOCATE(fd, 0, offset, size) != 0:
            code = ctypes.get_errno()
            if code not in _UNSUPPORTED:
                raise OSError(code, os.strerror(code), dataset.file.filename)
    finally:
        os.close(fd)


def _native_fallocate():
    """libc's ``fallocate(fd, mode, offset, length)`` (Linux), or ``None`` elsewhere."""
    try:
        function = ctypes.CDLL(None, use_errno=True).fallocate
    except (AttributeError, OSError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int
    return function


_FALLOCATE = _native_fallocate()
