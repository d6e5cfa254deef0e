"""htslib genotype arrays -> biallelic int8 rows, a batch of records at a time.

:class:`~pgxdl.genome.variants.vcf._RecordReader` keeps the ``(S, ploidy)`` int32 GT
array of each record as htslib encodes it (``record.format("GT", int)``: ``(allele + 1)
<< 1 | phased``, ``0``/``1`` for a missing allele, a vector-end value padding a haploid
call) only until a batch of about :data:`BATCH_BYTES` is pending; the batch is then split
into biallelic rows and recoded (0 ref, 1 alt, -1 missing) in one vectorised step and
handed to a sink, so the reader never holds more than one batch of int32 arrays:

- :class:`MemoryRows` joins the rows into the ``(S, V, 2)`` array of a
  :class:`~pgxdl.genome.variants.callset.CallSet` (small cohorts, tests);
- :class:`DiskRows` appends them, site-major, to an unlinked temporary file and returns
  ``(S, V, 2)`` and ``(S, V)`` views of a read-only memory map of it, so memory no longer
  grows with the cohort; :func:`site_rows` reads a block of subjects of such a view from
  the file itself, so the pages read never count in the process's RSS.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref
from collections.abc import Callable

import numpy as np

from pgxdl.genome.errors import MalformedVCFError

#: int32 bytes of htslib GT arrays held before a batch is converted.
BATCH_BYTES = 32 << 20
_HTS_VECTOR_END = np.iinfo(np.int32).min + 1  # htslib's padding after a haploid call
_VECTOR_END = -2  # the padding's allele once decoded by ``(code >> 1) - 1``
_SPILLED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # map -> its open file


def convert_batch(arrays: list[np.ndarray], n_alts: np.ndarray, row_record: np.ndarray,
                  row_allele: np.ndarray, order: np.ndarray,
                  where: Callable[[int], str]) -> tuple[np.ndarray, np.ndarray]:
    """Biallelic rows of a batch of records.

    Parameters
    ----------
    arrays : ``R`` htslib GT arrays, each ``(S_file, ploidy)`` int32 (module doc).
    n_alts : ``(R,)`` ALT count of each record.
    row_record : ``(V,)`` record (into ``arrays``) of each biallelic row.
    row_allele : ``(V,)`` ALT index (1-based) of each row.
    order : ``(S,)`` sample reordering applied to the file's sample axis.
    where : record index -> ``"file: line N (...)"`` for error messages.

    Returns
    -------
    genotypes ``(V, S, 2)`` int8 (0, 1, -1) and phased ``(V, S)`` bool, site-major; a
    haploid call fills both slots and counts as phased.
    """
    too_many = [i for i, a in enumerate(arrays) if a.shape[1] > 2]
    if too_many:
        raise MalformedVCFError(f"{where(too_many[0])}: field GT has ploidy > 2; only haploid "
                                f"and diploid calls work")
    top = np.array([(int(a.max(initial=0)) >> 1) - 1 for a in arrays])  # (R,) top allele
    if (top > n_alts).any():
        kept = int(np.flatnonzero(top > n_alts)[0])
        named = (arrays[kept] >> 1) - 1
        sample = int(np.flatnonzero(named.max(axis=1) > n_alts[kept])[0])
        raise MalformedVCFError(
            f"{where(kept)}: field GT of sample column {10 + sample} names allele "
            f"{named[sample].max()} but ALT has {n_alts[kept]}")
    codes = np.stack([a if a.shape[1] == 2 else np.concatenate(
        [a, np.full_like(a, _HTS_VECTOR_END)], axis=1) for a in arrays])  # (R, S_file, 2)
    np.maximum(codes, -1, out=codes)  # the vector end becomes -1, then decodes to -2
    if top.max(initial=0) < 62:  # codes fit in int8: a quarter of the bytes to move
        codes = codes.astype(np.int8)
    alleles = (codes >> 1) - 1  # missing (0, 1) -> -1, vector end (-1) -> -2
    phased = (codes[..., 1] & 1) != 0  # htslib keeps the phase on the second allele
    haploid = alleles[..., 1] == _VECTOR_END
    if haploid.any():
        alleles[..., 1][haploid] = alleles[..., 0][haploid]
        phased |= haploid
    if not np.array_equal(order, np.arange(len(order))):
        alleles, phased = alleles[:, order], phased[:, order]
    if not np.array_equal(row_record, np.arange(len(arrays))):  # multi-allelic records
        alleles, phased = alleles[row_record], phased[row_record]
    if alleles.dtype == np.int8 and (n_alts == 1).all():  # biallelic: alleles are the codes
        if alleles.min(initial=0) < -1:
            np.maximum(alleles, np.int8(-1), out=alleles)
        return alleles, phased
    genotypes = (alleles == row_allele.astype(alleles.dtype)[:, None, None]).view(np.int8)
    genotypes[alleles < 0] = -1
    return genotypes, phased


class MemoryRows:
    """Collects site-major batches; :meth:`finish` gives contiguous ``(S, V, 2)``, ``(S, V)``."""

    def __init__(self, n_samples: int) -> None:
        self.n_samples = n_samples
        self._genotypes: list[np.ndarray] = []
        self._phased: list[np.ndarray] = []

    def add(self, genotypes: np.ndarray, phased: np.ndarray) -> None:
        self._genotypes.append(genotypes)
        self._phased.append(phased)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._genotypes:
            return (np.zeros((self.n_samples, 0, 2), np.int8),
                    np.zeros((self.n_samples, 0), bool))
        genotypes = np.concatenate(self._genotypes)
        phased = np.concatenate(self._phased)
        self._genotypes, self._phased = [], []
        return (np.ascontiguousarray(genotypes.transpose(1, 0, 2)),
                np.ascontiguousarray(phased.T))


class DiskRows:
    """Appends site-major batches to unlinked temporary files in ``folder``.

    :meth:`finish` maps them read-only and returns ``(S, V, 2)`` int8 and ``(S, V)`` bool
    views (not contiguous: a subject's row is strided over sites). The files have no name
    once created, so nothing is left behind however the process ends.
    """

    def __init__(self, n_samples: int, folder: str | os.PathLike | None = None) -> None:
        self.n_samples, self.n_rows = n_samples, 0
        self._files = [tempfile.TemporaryFile(dir=folder, prefix="pgxdl-genotypes-")
                       for _ in range(2)]

    def add(self, genotypes: np.ndarray, phased: np.ndarray) -> None:
        self._files[0].write(np.ascontiguousarray(genotypes).tobytes())
        self._files[1].write(np.ascontiguousarray(phased).tobytes())
        self.n_rows += len(genotypes)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        shapes = ((self.n_rows, self.n_samples, 2), (self.n_rows, self.n_samples))
        views = []
        for handle, shape, dtype in zip(self._files, shapes, (np.int8, np.bool_), strict=True):
            handle.flush()
            if not self.n_rows or not self.n_samples:
                views.append(np.zeros(shape, dtype))
                continue
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            views.append(np.frombuffer(mapped, dtype=dtype).reshape(shape))
            _SPILLED[mapped] = handle  # read by site_rows; closed when the map goes
        return views[0].transpose(1, 0, 2), views[1].T


def site_rows(array: np.ndarray, start: int, stop: int, columns: np.ndarray) -> np.ndarray:
    """``array[start:stop][:, columns]`` site-major, contiguous ``(K, s, ...)``, of a
    ``(S, V, ...)`` array; a :class:`DiskRows` view is read from its file (one ``pread``
    per site).

    Reading a memory map would count every page it touches (and the neighbours the kernel
    maps with it) in the process's RSS; a read into a buffer leaves them in the page cache.
    """
    site_major_view = np.swapaxes(array, 0, 1)  # (V, S, ...)
    mapped = _mapping(array)
    handle = _SPILLED.get(mapped) if mapped is not None else None
    if (handle is None or site_major_view.nbytes != len(mapped)
            or not site_major_view.flags.c_contiguous):
        return np.take(site_major_view[:, start:stop], columns, axis=0)
    per_subject = site_major_view[0, 0].nbytes
    rows = np.empty((len(columns), stop - start, *site_major_view.shape[2:]), dtype=array.dtype)
    flat = rows.reshape(len(columns), -1).view(np.uint8)
    for k, site in enumerate(np.asarray(columns, dtype=np.int64)):
        offset = (int(site) * site_major_view.shape[1] + start) * per_subject
        if os.preadv(handle.fileno(), [flat[k]], offset) != flat[k].nbytes:
            raise OSError(f"short read from the spilled genotype file at byte {offset}")
    return rows


def _mapping(array: np.ndarray) -> mmap.mmap | None:
    """The memory map under ``array``'s chain of views, if any."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None) if not isinstance(base, memoryview) else base.obj
    return base
