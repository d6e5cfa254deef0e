"""Genome builds: names, primary chromosome lengths and contig-name normalisation.

Used to tell GRCh37 from GRCh38 from a file's header (``##reference``, ``##contig`` lengths,
``assembly=`` tags), its RefSeq contig accessions or its name, and to match ``chr16`` with
``16`` and with its RefSeq accession (``NC_000016.10`` in GRCh38, ``NC_000016.9`` in GRCh37).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

#: Lower-case tokens that name each build in headers and file names.
BUILD_ALIASES = {
    "GRCh37": ("grch37", "hg19", "b37", "hs37d5", "hs37", "ncbi37", "human_g1k_v37"),
    "GRCh38": ("grch38", "hg38", "b38", "hs38", "hs38dh", "ncbi38"),
}

_PRIMARY = [str(i) for i in range(1, 23)] + ["X", "Y", "MT"]

#: Lengths of the primary chromosomes (normalised names) of each build.
CHROM_LENGTHS = {
    "GRCh37": dict(zip(_PRIMARY, (
        249250621, 243199373, 198022430, 191154276, 180915260, 171115067, 159138663,
        146364022, 141213431, 135534747, 135006516, 133851895, 115169878, 107349540,
        102531392, 90354753, 81195210, 78077248, 59128983, 63025520, 48129895, 51304566,
        155270560, 59373566, 16569,
    ), strict=True)),
    "GRCh38": dict(zip(_PRIMARY, (
        248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973,
        145138636, 138394717, 133797422, 135086622, 133275309, 114364328, 107043718,
        101991189, 90338345, 83257441, 80373285, 58617616, 64444167, 46709983, 50818468,
        156040895, 57227415, 16569,
    ), strict=True)),
}

#: RefSeq accession version of each primary chromosome (1..22, X, Y), per build.
_REFSEQ_VERSIONS = {
    "GRCh37": (10, 11, 11, 11, 9, 11, 13, 10, 11, 10, 9, 11, 10, 8, 9, 9, 10, 9, 9, 10, 8, 10,
               10, 9),
    "GRCh38": (11, 12, 12, 12, 10, 12, 14, 11, 12, 11, 10, 12, 11, 9, 10, 10, 11, 10, 10, 11, 9,
               11, 11, 10),
}
#: RefSeq accession -> (chromosome, build): ``NC_000010.11`` -> ``("10", "GRCh38")``.
REFSEQ_CONTIGS: dict[str, tuple[str, str]] = {
    **{f"NC_{i + 1:06d}.{version}": (chrom, build)
       for build, versions in _REFSEQ_VERSIONS.items()
       for i, (chrom, version) in enumerate(zip(_PRIMARY[:24], versions, strict=True))},
    "NC_012920.1": ("MT", "GRCh38"),
}

_ALIAS_PATTERN = re.compile(
    r"(?<![a-z0-9])("
    + "|".join(sorted((a for v in BUILD_ALIASES.values() for a in v), key=len, reverse=True))
    + r")(?![0-9])"
)


def normalise_chrom(name: str) -> str:
    """Chromosome name without a ``chr`` prefix; mitochondria become ``MT``; a RefSeq
    accession of a primary chromosome (table :data:`REFSEQ_CONTIGS`) becomes its number.

    >>> normalise_chrom("chr16"), normalise_chrom("16"), normalise_chrom("NC_000016.10")
    ('16', '16', '16')
    """
    name = str(name).strip()
    if name in REFSEQ_CONTIGS:
        return REFSEQ_CONTIGS[name][0]
    if name[:3].lower() == "chr":
        name = name[3:]
    return "MT" if name.upper() in ("M", "MT") else name


def normalise_chroms(names) -> np.ndarray:
    """:func:`normalise_chrom` of each name, shape ``(V,)`` str (one call per distinct name)."""
    names = np.asarray(names, dtype=object).reshape(-1)
    if not names.size:
        return np.zeros(0, dtype=str)
    unique, inverse = np.unique(names.astype(str), return_inverse=True)
    return np.array([normalise_chrom(n) for n in unique], dtype=str)[inverse.reshape(-1)]


def canonical_build(name: str | None) -> str | None:
    """``GRCh37`` or ``GRCh38`` for any alias (``hg19``, ``b38``...), ``None`` if unknown."""
    return build_from_text(name) if name else None


def build_from_text(text: str) -> str | None:
    """The build named in free text (a header line, a file name), or ``None``.

    Returns ``None`` when no build or more than one build is named.
    """
    found = {
        build
        for token in _ALIAS_PATTERN.findall(str(text).lower())
        for build, aliases in BUILD_ALIASES.items()
        if token in aliases
    }
    return found.pop() if len(found) == 1 else None


def build_from_refseq(names) -> str | None:
    """The build whose RefSeq accessions name the contigs ``names``, or ``None`` when no
    name is a known accession or the accessions belong to both builds (MT excluded: its
    accession is shared)."""
    builds = {REFSEQ_CONTIGS[n][1] for n in map(str, names)
              if n in REFSEQ_CONTIGS and REFSEQ_CONTIGS[n][0] != "MT"}
    return builds.pop() if len(builds) == 1 else None


def build_from_contig_lengths(lengths: Mapping[str, int]) -> str | None:
    """The build whose primary chromosome lengths agree with ``lengths``.

    Parameters
    ----------
    lengths : contig name -> length (names with or without ``chr``).

    Returns
    -------
    The build matching every comparable primary chromosome, or ``None`` when no primary
    chromosome has a length or the lengths fit no single build.
    """
    votes = {build: 0 for build in CHROM_LENGTHS}
    compared = 0
    for name, length in lengths.items():
        chrom = normalise_chrom(name)
        if chrom not in _PRIMARY or chrom == "MT" or length is None:
            continue
        compared += 1
        for build, table in CHROM_LENGTHS.items():
            votes[build] += int(table[chrom] == int(length))
    matching = [build for build, n in votes.items() if compared and n == compared]
    return matching[0] if len(matching) == 1 else None
