"""Reference genome access through pyfaidx, as uint8 codes.

Records may be whole chromosomes (``chr16``, ``16``) or region slices named
``chrom:start-end`` (1-based, inclusive, as ``samtools faidx`` writes them): position ``p``
of the chromosome is then character ``p - start`` of the record. Contig names are matched
after normalisation (``chr16`` equals ``16``, ``chrM`` equals ``MT``).

Orientation: :meth:`ReferenceGenome.fetch_codes` returns the + strand by default; with
``oriented=True`` a window on the ``-`` strand comes back reverse-complemented (transcript
orientation, 5' to 3' of the gene).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyfaidx import Fasta, FastaIndexingError

from pgxdl.genome.encoding import encode, reverse_complement
from pgxdl.genome.errors import (
    BuildMismatchError,
    ContigNotFoundError,
    GenomeInputError,
    RegionOutsideReferenceError,
)
from pgxdl.genome.reference.builds import (
    build_from_contig_lengths,
    build_from_text,
    canonical_build,
    normalise_chrom,
)
from pgxdl.genome.reference.windows import WindowSpec

_REGION_NAME = re.compile(r"^(?P<chrom>.+):(?P<start>\d+)-(?P<end>\d+)$")


@dataclass(frozen=True)
class ReferenceRecord:
    """One FASTA record: it holds ``chrom:start-end`` (1-based, inclusive)."""

    name: str
    chrom: str
    start: int
    end: int


def parse_record(name: str, length: int) -> ReferenceRecord:
    """Interpret a record name: a region slice ``chrom:start-end`` or a whole chromosome."""
    match = _REGION_NAME.match(name)
    if match and int(match["end"]) - int(match["start"]) + 1 == length:
        return ReferenceRecord(name, match["chrom"], int(match["start"]), int(match["end"]))
    return ReferenceRecord(name, name, 1, length)


class ReferenceGenome:
    """A reference FASTA (indexed by pyfaidx) read as uint8 codes.

    Parameters
    ----------
    path : FASTA file (plain or bgzipped); its ``.fai`` index is built if absent.
    build : genome build (``GRCh38``, ``hg19``...). When ``None`` it is inferred from the
        file name, or from whole-chromosome record lengths; it stays ``None`` if unknown.
    """

    def __init__(self, path: str | Path, build: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"reference FASTA {self.path} not found")
        if self.path.is_dir():
            raise GenomeInputError(f"reference FASTA {self.path} is a folder, not a file")
        try:
            self._fasta = Fasta(str(self.path), as_raw=True, sequence_always_upper=True)
        except (FastaIndexingError, UnicodeDecodeError) as err:
            raise GenomeInputError(f"reference FASTA {self.path} cannot be indexed: {err}"
                                   ) from err
        self.records = [parse_record(name, len(self._fasta[name])) for name in self._fasta.keys()]
        self._by_chrom: dict[str, list[ReferenceRecord]] = {}
        for record in self.records:
            self._by_chrom.setdefault(normalise_chrom(record.chrom), []).append(record)
        inferred = self._infer_build()
        if build and inferred and canonical_build(build) and canonical_build(build) != inferred:
            raise BuildMismatchError(
                f"reference FASTA {self.path} is {inferred} (from its name or chromosome "
                f"lengths) but the config says reference_build: {build}; fix the setting or "
                f"use the FASTA of that build")
        self.build = canonical_build(build) if build else inferred

    def __repr__(self) -> str:
        return f"ReferenceGenome({str(self.path)!r}, build={self.build!r})"

    def _infer_build(self) -> str | None:
        whole = {r.chrom: r.end for r in self.records if r.start == 1}
        return build_from_text(self.path.name) or build_from_contig_lengths(whole)

    @property
    def contigs(self) -> list[str]:
        """Chromosome names as the FASTA spells them, in file order, without repeats."""
        return list(dict.fromkeys(r.chrom for r in self.records))

    def has_contig(self, chrom: str) -> bool:
        """Whether any record lies on ``chrom`` (``chr`` prefix optional)."""
        return normalise_chrom(chrom) in self._by_chrom

    def records_on(self, chrom: str) -> list[ReferenceRecord]:
        """The records lying on ``chrom`` (empty when the contig is absent)."""
        return list(self._by_chrom.get(normalise_chrom(chrom), ()))

    def find_record(self, chrom: str, start: int, end: int) -> ReferenceRecord | None:
        """The record holding all of ``chrom:start-end``, or ``None``."""
        for record in self._by_chrom.get(normalise_chrom(chrom), ()):
            if record.start <= start and end <= record.end:
                return record
        return None

    def fetch_text(self, chrom: str, start: int, end: int) -> str:
        """Upper-case + strand sequence of ``chrom:start-end`` (1-based, inclusive).

        Raises
        ------
        ContigNotFoundError listing the available contigs when ``chrom`` is absent.
        RegionOutsideReferenceError listing the records of ``chrom`` when no record holds
        the whole region.
        """
        if not self.has_contig(chrom):
            raise ContigNotFoundError(
                f"contig {chrom!r} is not in reference {self.path}; available contigs: "
                f"{', '.join(self.contigs)}")
        record = self.find_record(chrom, start, end)
        if record is None:
            spans = ", ".join(f"{r.chrom}:{r.start}-{r.end}"
                              for r in self._by_chrom[normalise_chrom(chrom)])
            raise RegionOutsideReferenceError(
                f"region {chrom}:{start}-{end} is not inside any record of reference "
                f"{self.path} (records on {chrom}: {spans})")
        return self._fasta[record.name][start - record.start:end - record.start + 1]

    def fetch_codes(self, window: WindowSpec, oriented: bool = False) -> np.ndarray:
        """Reference codes of a window.

        Parameters
        ----------
        window : the window to read.
        oriented : reverse-complement a ``-`` strand window (transcript orientation).

        Returns
        -------
        uint8 array of shape ``(L,)``; + strand unless ``oriented`` and ``strand == '-'``.
        """
        codes = encode(self.fetch_text(window.chrom, window.start, window.end))
        if oriented and window.strand == "-":
            return reverse_complement(codes)
        return codes

    def fetch_windows(self, windows: list[WindowSpec], oriented: bool = False) -> np.ndarray:
        """Codes of equal-length windows stacked, shape ``(W, L)`` uint8."""
        return np.stack([self.fetch_codes(w, oriented=oriented) for w in windows])
