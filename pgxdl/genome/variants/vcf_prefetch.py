"""Decode VCF records in a background thread while the reader recodes the previous ones.

cyvcf2 releases the GIL while htslib reads and parses a record (most of a record's cost
at biobank width: every sample's FORMAT fields), so a thread that only iterates the file
runs in parallel with the reader's Python and numpy work on earlier records. The thread
is the only one that touches htslib: it copies what the reader needs of each record into a
:class:`RecordCopy` (plain Python values and the genotype array), so the reader never reads
a header the parser may be extending (htslib adds undeclared tags and contigs as it goes).

Records come out in file order; an exception raised while iterating or copying is raised
in the reader when it reaches that point. The queue is bounded in bytes, so the thread
runs at most about :data:`AHEAD_BYTES` of genotype arrays ahead of the reader.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator

#: Genotype bytes (cyvcf2 int16 ``(S, 3)`` arrays) decoded ahead of the reader at most.
AHEAD_BYTES = 16 << 20
_DONE = object()


class RecordCopy:
    """What the VCF reader uses of one cyvcf2 record, copied in the decoding thread.

    ``FORMAT`` is ``None`` for a lazily parsed record (reading it would crash htslib when
    the record has no ``GT``); ``genotypes`` is cyvcf2's ``(S, ploidy + 1)`` array, or
    ``None`` when the reader does not need it (outside the windows, no ALT with a
    sequence, no ``GT``, no samples).
    """

    __slots__ = ("CHROM", "POS", "REF", "ALT", "ID", "FILTER", "FORMAT", "end", "genotypes")

    def __init__(self, record, eager: bool, genotypes_wanted: Callable[[RecordCopy], bool]
                 ) -> None:
        self.CHROM, self.POS, self.REF = record.CHROM, record.POS, record.REF
        self.ALT, self.ID, self.FILTER, self.end = record.ALT, record.ID, record.FILTER, record.end
        self.FORMAT = record.FORMAT if eager else None
        self.genotypes = record.genotype.array() if genotypes_wanted(self) else None


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetched:
    """Iterate ``(number, RecordCopy | Exception, keep)`` items of ``items`` (the reader's
    ``(number, record, keep)`` stream), decoded by a background thread.

    Parameters
    ----------
    items : the record stream; iterated only by the thread.
    eager : whether records are parsed eagerly (their FORMAT may be read).
    genotypes_wanted : ``copy -> bool``, called on a kept record's copy before its
        genotypes are read.
    n_samples : samples per record, to size the queue.

    Use as a context manager: leaving it stops the thread and waits for it, so the file can
    be closed safely afterwards.
    """

    def __init__(self, items: Iterable, eager: bool,
                 genotypes_wanted: Callable[[RecordCopy], bool], n_samples: int) -> None:
        depth = max(2, AHEAD_BYTES // (6 * n_samples + 1))
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._produce, args=(items, eager, genotypes_wanted), daemon=True,
            name="pgxdl-vcf-decode")
        self._thread.start()

    def __iter__(self) -> Iterator[tuple]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def __enter__(self) -> Prefetched:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the thread (it may be blocked on a full queue) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(0.05)

    def _produce(self, items: Iterable, eager: bool, wanted: Callable) -> None:
        never = _never_wanted
        try:
            for number, record, keep in items:
                if not isinstance(record, Exception):
                    record = RecordCopy(record, eager, wanted if keep else never)
                if not self._put((number, record, keep)):
                    return
        except BaseException as error:  # noqa: BLE001 - raised again in the reader
            self._put(_Failure(error))
            return
        self._put(_DONE)

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False


def _never_wanted(_copy: RecordCopy) -> bool:
    return False
