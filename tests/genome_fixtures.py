"""Tiny hand-made genome inputs for the genome-layer tests: a FASTA and VCF writers.

The FASTA has a whole-chromosome record ``chr1`` and a region-slice record
``chr2:101-160`` (so position p of chr2 is character p - 101 of the record).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pgxdl.genome.reference.windows import WindowSpec

CHR1 = "".join(np.random.default_rng(7).choice(list("ACGT"), 60))
CHR2 = "".join(np.random.default_rng(8).choice(list("ACGT"), 60))
CHR2_START = 101

#: Two 20-base windows: a + strand one on chr1, a - strand one on the chr2 slice.
WINDOWS = [WindowSpec("w_plus", "GENEA", "chr1", 11, 30, "+"),
           WindowSpec("w_minus", "GENEB", "chr2", 121, 140, "-")]

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def base(chrom: str, pos: int, n: int = 1) -> str:
    """Reference text of the tiny FASTA at 1-based ``pos`` (computed from the strings)."""
    if chrom.removeprefix("chr") == "1":
        return CHR1[pos - 1:pos - 1 + n]
    return CHR2[pos - CHR2_START:pos - CHR2_START + n]


def other_base(b: str, shift: int = 1) -> str:
    """A base different from ``b``."""
    return "ACGT"[("ACGT".index(b) + shift) % 4]


def write_fasta(folder: Path, name: str = "tiny_GRCh38.fa") -> Path:
    path = Path(folder) / name
    path.write_text(f">chr1\n{CHR1}\n>chr2:{CHR2_START}-{CHR2_START + len(CHR2) - 1}\n{CHR2}\n")
    return path


def write_vcf(folder: Path, records: list[tuple], samples: list[str],
              name: str = "calls.vcf", header: str = "", compress: bool = False) -> Path:
    """Write a VCF; each record is ``(chrom, pos, id, ref, alt, [gt per sample])``.

    With ``compress`` the file is bgzipped and tabix-indexed by pysam (skip if absent).
    """
    lines = ["##fileformat=VCFv4.2",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             *(f"##contig=<ID={c}>" for c in ("chr1", "chr2", "1", "2")),
             *([header] if header else []),
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                        *samples])]
    for chrom, pos, vid, ref, alt, gts in records:
        lines.append("\t".join([chrom, str(pos), vid, ref, alt, ".", "PASS", ".", "GT", *gts]))
    path = Path(folder) / name
    path.write_text("\n".join(lines) + "\n")
    if not compress:
        return path
    import pytest

    pysam = pytest.importorskip("pysam")
    gz = Path(f"{path}.gz")
    pysam.tabix_compress(str(path), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    return gz
