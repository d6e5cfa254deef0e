"""Line-level validation of text VCFs before htslib parses them.

htslib reports some malformed lines with a bare error code, and a line whose columns are
separated by spaces can crash it outright. Scanning the text first lets every error name the
file, the line number and the field. BCF files are binary and skip this scan.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pgxdl.genome.errors import MalformedVCFError

_FIXED = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
REF_PATTERN = re.compile(rb"^[ACGTNacgtn]+$")
ALT_PATTERN = re.compile(
    rb"^([ACGTNacgtn]+|\*|\.|<[^<>]+>|.*[\[\]].*|\.[ACGTNacgtn]+|[ACGTNacgtn]+\.)$")


@dataclass(frozen=True)
class VcfTextLayout:
    """Where the records of a text VCF are.

    Attributes
    ----------
    n_columns : columns of the ``#CHROM`` header line (8, or 9 + number of samples).
    data_lines : int64 array ``(R,)``: the 1-based line number of each record, in order.
    without_gt : ``(CHROM, POS) -> line`` of the records whose FORMAT lacks ``GT`` (their
        genotypes cannot be read; htslib would crash on them).
    """

    n_columns: int
    data_lines: np.ndarray
    without_gt: dict[tuple[str, int], int]


def open_vcf_bytes(path: Path):
    """Open a plain or gzip/bgzip-compressed file for reading bytes."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def is_bcf(path: Path) -> bool:
    """Whether ``path`` is a BCF file (binary, compressed or not)."""
    try:
        with open_vcf_bytes(path) as handle:
            return handle.read(3) == b"BCF"
    except (EOFError, OSError, zlib.error) as err:
        raise MalformedVCFError(f"{path}: the compressed file is damaged or ends early "
                                f"({err}); compress it again (bgzip)") from err


def scan_vcf_text(path: Path) -> VcfTextLayout:
    """Check every line of a text VCF and locate its records.

    Checks: a ``#CHROM`` header line naming the 8 fixed columns; on each record, the tab
    count, an integer POS >= 1, REF of A/C/G/T/N, and each ALT a sequence, ``*``, ``.``, a
    symbolic ``<...>`` allele or a breakend.

    Raises
    ------
    MalformedVCFError naming the file, the line number and the field.
    """
    n_columns = 0
    data_lines: list[int] = []
    without_gt: dict[tuple[str, int], int] = {}
    number = 0
    try:
        with open_vcf_bytes(path) as handle:
            for number, line in enumerate(handle, start=1):
                n_columns = _check_line(path, number, line, n_columns, data_lines, without_gt)
    except (EOFError, OSError, zlib.error) as err:
        raise MalformedVCFError(f"{path}: after line {number}: the compressed file is damaged "
                                f"or ends early ({err}); compress it again (bgzip)") from err
    if not n_columns:
        raise MalformedVCFError(f"{path}: no #CHROM header line (is this a VCF?)")
    return VcfTextLayout(n_columns, np.asarray(data_lines, dtype=np.int64), without_gt)


def _check_line(path: Path, number: int, line: bytes, n_columns: int, data_lines: list[int],
                without_gt: dict[tuple[str, int], int]) -> int:
    """Check one line; returns the header's column count (0 until the #CHROM line)."""
    line = line.rstrip(b"\r\n")
    if number == 1 and line.startswith(b"\xef\xbb\xbf"):
        raise MalformedVCFError(f"{path}: line 1 starts with a UTF-8 byte-order mark, which "
                                f"htslib cannot read; remove it (sed -i '1s/^\\xEF\\xBB\\xBF//')")
    if number == 1 and not line.startswith(b"##fileformat=VCF"):
        raise MalformedVCFError(f"{path}: line 1 must be the ##fileformat=VCFv4.x line "
                                f"(is this a VCF?); htslib reads no file without it")
    if line.startswith(b"##") or not line:
        return n_columns
    if line.startswith(b"#"):
        return _check_header_line(path, number, line)
    if not n_columns:
        raise MalformedVCFError(f"{path}: line {number}: record before the #CHROM header line "
                                f"(is this a VCF?)")
    fields = _check_record_line(path, number, line, n_columns)
    data_lines.append(number)
    if n_columns > 9 and b"GT" not in fields[8].split(b":"):
        without_gt[(fields[0].decode(errors="replace"), int(fields[1]))] = number
    return n_columns


def record_excerpt(path: Path, line_number: int) -> str:
    """The first five columns of line ``line_number`` (for error messages)."""
    with open_vcf_bytes(path) as handle:
        for number, line in enumerate(handle, start=1):
            if number == line_number:
                return " ".join(line.decode(errors="replace").split("\t")[:5])[:200]
    return ""


def _check_header_line(path: Path, number: int, line: bytes) -> int:
    columns = line[1:].decode(errors="replace").split("\t")
    if tuple(columns[:8]) != _FIXED or (len(columns) > 8 and columns[8] != "FORMAT"):
        raise MalformedVCFError(f"{path}: line {number}: header line must start with the "
                                f"tab-separated columns #{chr(9).join(_FIXED)}[\\tFORMAT...]")
    samples = columns[9:]
    repeated = sorted(name for name, n in Counter(samples).items() if n > 1)
    if repeated:
        seen: set[str] = set()
        column = next(i for i, s in enumerate(samples) if s in seen or seen.add(s))
        raise MalformedVCFError(
            f"{path}: line {number}: the #CHROM line names {len(repeated)} sample(s) more "
            f"than once (first repeat: column {column + 10}); give each sample column a "
            f"unique name (bcftools reheader --samples)")
    if any(not s.strip() for s in samples):
        raise MalformedVCFError(f"{path}: line {number}: sample column "
                                f"{[s.strip() for s in samples].index('') + 10} has no name")
    return len(columns)


def _check_record_line(path: Path, number: int, line: bytes, n_columns: int) -> list[bytes]:
    """Check a record line; returns its first nine fields and the rest unsplit."""
    n_found = line.count(b"\t") + 1
    if n_found != n_columns:
        raise MalformedVCFError(f"{path}: line {number}: {n_found} tab-separated columns, "
                                f"the #CHROM header declares {n_columns}")
    fields = line.split(b"\t", 9)
    chrom, pos, _id, ref, alt = fields[:5]

    def where() -> str:
        return f"{path}: line {number} ({chrom.decode(errors='replace')}:" \
               f"{pos.decode(errors='replace')})"

    if not pos.isdigit() or int(pos) < 1:
        raise MalformedVCFError(f"{where()}: field POS is not a positive integer")
    if not REF_PATTERN.match(ref):
        raise MalformedVCFError(f"{where()}: field REF {ref.decode(errors='replace')!r} is "
                                f"not a sequence of A, C, G, T, N")
    for allele in alt.split(b","):
        if not ALT_PATTERN.match(allele):
            raise MalformedVCFError(f"{where()}: field ALT has an invalid allele "
                                    f"{allele.decode(errors='replace')!r}")
    return fields
