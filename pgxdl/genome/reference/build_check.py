"""Genome-build checks of a variant file against a reference FASTA.

Two kinds of evidence:

1. the VCF header: ``##contig`` lengths (the most reliable), then ``##reference`` /
   ``##assembly`` lines and ``assembly=`` tags, each mapped to GRCh37 or GRCh38;
2. the reference-allele match rate: over the records whose REF lies inside the reference,
   a file of the same build matches (nearly) everywhere; a file from another build matches
   about as often as random bases do.

Either kind of evidence against the reference's build raises :class:`BuildMismatchError`
naming both files and both builds (where known).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgxdl.genome.errors import BuildMismatchError
from pgxdl.genome.reference.builds import (
    build_from_contig_lengths,
    build_from_refseq,
    build_from_text,
    normalise_chroms,
)
from pgxdl.genome.reference.fasta import ReferenceGenome

_CONTIG = re.compile(r"^##contig=<ID=([^,>]+)(.*)>", re.MULTILINE)
_LENGTH = re.compile(r"length=(\d+)")
_ASSEMBLY = re.compile(r"assembly=([^,>]+)")
_REFERENCE = re.compile(r"^##(?:reference|assembly)=(.*)$", re.MULTILINE)
_EXAMPLES = 5


@dataclass(frozen=True)
class ReferenceMatchCount:
    """How many REF alleles inside the reference match it, with a few mismatches."""

    n_checked: int
    n_match: int
    examples: tuple[str, ...]

    @property
    def rate(self) -> float:
        """Fraction matching (1.0 when nothing could be checked)."""
        return self.n_match / self.n_checked if self.n_checked else 1.0


def header_build(raw_header: str) -> tuple[str | None, str]:
    """The build a VCF header states, and which header lines said so.

    Returns
    -------
    ``(build, evidence)``; ``build`` is ``None`` (and ``evidence`` empty) when the header
    states none or contradicts itself.
    """
    lengths, assemblies, names = {}, set(), []
    for name, rest in _CONTIG.findall(raw_header):
        names.append(name)
        length = _LENGTH.search(rest)
        if length:
            lengths[name] = int(length.group(1))
        assembly = _ASSEMBLY.search(rest)
        if assembly:
            assemblies.add(build_from_text(assembly.group(1)))
    from_lengths = build_from_contig_lengths(lengths)
    if from_lengths:
        return from_lengths, "its ##contig lengths"
    from_refseq = build_from_refseq(names)
    if from_refseq:
        return from_refseq, "its ##contig RefSeq accessions"
    stated = {build_from_text(line) for line in _REFERENCE.findall(raw_header)} | assemblies
    stated.discard(None)
    if len(stated) == 1:
        return stated.pop(), "its ##reference/##assembly header"
    return None, ""


def count_reference_matches(reference: ReferenceGenome, chrom: np.ndarray, pos: np.ndarray,
                            ref: np.ndarray) -> ReferenceMatchCount:
    """Compare REF alleles with the reference wherever the reference holds them.

    Parameters
    ----------
    reference : the reference genome.
    chrom, pos, ref : arrays ``(R,)`` of records (one entry per record, not per split row).

    Returns
    -------
    Counts over the records lying entirely inside a reference record; ``N`` on either side
    counts as a match.
    """
    chrom_keys = normalise_chroms(chrom)
    ref_lengths = np.fromiter((len(r) for r in ref), dtype=np.int64, count=len(ref))
    n_checked = n_match = 0
    examples: list[str] = []
    for key in np.unique(chrom_keys):
        for record in reference.records_on(key):
            inside = np.flatnonzero((chrom_keys == key) & (pos >= record.start)
                                    & (pos + ref_lengths - 1 <= record.end))
            if not inside.size:
                continue
            lo, hi = int(pos[inside].min()), int((pos[inside] + ref_lengths[inside] - 1).max())
            text = reference.fetch_text(record.chrom, lo, hi)
            for i in inside:
                allele = ref[i].upper()
                observed = text[pos[i] - lo:pos[i] - lo + len(allele)]
                n_checked += 1
                if all(a == b or "N" in (a, b) for a, b in zip(allele, observed, strict=True)):
                    n_match += 1
                elif len(examples) < _EXAMPLES:
                    examples.append(f"{chrom[i]}:{pos[i]} REF={allele} reference={observed}")
    return ReferenceMatchCount(n_checked, n_match, tuple(examples))


def check_build(source: str | Path, raw_header: str, chrom: np.ndarray, pos: np.ndarray,
                ref: np.ndarray, reference: ReferenceGenome, min_ref_match: float = 0.9,
                min_sites: int = 5) -> ReferenceMatchCount:
    """Raise :class:`BuildMismatchError` when a VCF and the reference differ in build.

    Parameters
    ----------
    source : the VCF path (named in the error).
    raw_header : the VCF header text.
    chrom, pos, ref : arrays ``(R,)``, one entry per record read.
    reference : the reference genome.
    min_ref_match : lowest acceptable fraction of REF alleles matching the reference.
    min_sites : the match rate is judged only over at least this many records.

    Returns
    -------
    The reference-match counts (for reports), when the builds agree.
    """
    vcf_build, evidence = header_build(raw_header)
    if vcf_build is None and build_from_refseq(np.unique(chrom.astype(str))):
        vcf_build, evidence = build_from_refseq(np.unique(chrom.astype(str))), \
            "its RefSeq contig accessions"
    if vcf_build and reference.build and vcf_build != reference.build:
        raise BuildMismatchError(
            f"genome build mismatch: {source} is {vcf_build} (from {evidence}) but reference "
            f"{reference.path} is {reference.build}; use files of one build (or lift over)")
    counts = count_reference_matches(reference, chrom, pos, ref)
    if counts.n_checked >= min_sites and counts.rate < min_ref_match:
        guess = vcf_build or build_from_text(Path(source).name)
        vcf_side = f"{guess} (from {evidence or 'its file name'})" if guess else \
            "a build its header does not state"
        raise BuildMismatchError(
            f"genome build mismatch: {source} looks like {vcf_side}, reference "
            f"{reference.path} is {reference.build or 'of unknown build'}: only "
            f"{counts.n_match} of {counts.n_checked} REF alleles ({counts.rate:.0%}) inside "
            f"the reference match it (need {min_ref_match:.0%}, min_ref_match), e.g. "
            f"{'; '.join(counts.examples)}. Use files of one build (or lift over).")
    return counts
