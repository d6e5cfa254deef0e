"""Decode VCF records in a background thread while the reader recodes the previous ones.

cyvcf2 releases the GIL while htslib reads and parses a record (most of a record's cost
at biobank width: every sample's FORMAT fields), so a thread that only iterates the file
(:class:`~pgxdl.genome.ahead.Ahead`) runs in parallel with the reader's Python and numpy
work on earlier records. The thread is the only one that touches htslib: it copies what
the reader needs of each record into a :class:`RecordCopy` (plain Python values and the
GT array as htslib encodes it), so the reader never reads a header the parser may be
extending (htslib adds undeclared tags and contigs as it goes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pgxdl.genome.ahead import Ahead

#: Genotype bytes (int32 ``(S, 2)`` GT arrays) decoded ahead of the reader at most.
AHEAD_BYTES = 16 << 20


class RecordCopy:
    """What the VCF reader uses of one cyvcf2 record, copied in the decoding thread.

    ``FORMAT`` is ``None`` for a lazily parsed record (reading it would crash htslib when
    the record has no ``GT``); ``genotypes`` is the ``(S, ploidy)`` int32 GT array as htslib
    encodes it (:mod:`~pgxdl.genome.variants.vcf_genotypes`), or
    ``None`` when the reader does not need it (outside the windows, no ALT with a
    sequence, no ``GT``, no samples).
    """

    __slots__ = ("CHROM", "POS", "REF", "ALT", "ID", "FILTER", "FORMAT", "end", "genotypes")

    def __init__(self, record, eager: bool, genotypes_wanted: Callable[[RecordCopy], bool] | None
                 ) -> None:
        self.CHROM, self.POS, self.REF = record.CHROM, record.POS, record.REF
        self.ALT, self.ID, self.FILTER, self.end = record.ALT, record.ID, record.FILTER, record.end
        self.FORMAT = record.FORMAT if eager else None
        self.genotypes = (record.format("GT", int)
                          if genotypes_wanted is not None and genotypes_wanted(self) else None)


def decoded_ahead(items: Iterable, eager: bool, genotypes_wanted: Callable[[RecordCopy], bool],
                  n_samples: int) -> Ahead:
    """The reader's ``(number, record, keep)`` stream with each record a :class:`RecordCopy`
    (exceptions passed on as they are), decoded by a background thread.

    Parameters
    ----------
    items : the record stream; iterated only by the thread.
    eager : whether records are parsed eagerly (their FORMAT may be read).
    genotypes_wanted : ``copy -> bool``, called on a kept record's copy before its
        genotypes are read.
    n_samples : samples per record, to bound the bytes decoded ahead.
    """
    def copy(item: tuple) -> tuple:
        number, record, keep = item
        if isinstance(record, Exception):
            return item
        return number, RecordCopy(record, eager, genotypes_wanted if keep else None), keep

    return Ahead(items, AHEAD_BYTES // (8 * n_samples + 1), copy, name="pgxdl-vcf-decode")
