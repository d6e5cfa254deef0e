"""What reading a VCF found, and the checks made on it once read.

:class:`VcfReadReport` holds counts and contig names only (never sample names), for the
build report stored in a store's provenance and printed by ``pgxdl build``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pgxdl.genome.errors import ContigNotFoundError, ReferenceMismatchError
from pgxdl.genome.reference.build_check import ReferenceMatchCount
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec

_SHOWN = 12


@dataclass
class VcfReadReport:
    """What reading a VCF found; counts and contig names only (never sample names).

    Attributes
    ----------
    source : the VCF path.
    n_file_samples : samples in the file (all of them, not only those read).
    n_records : records read (every record when streaming; the windows' records when
        querying an index).
    n_in_windows : records whose POS lies inside a window.
    n_rows : biallelic rows kept.
    n_multiallelic : records with several ALTs, each split into one row per ALT.
    n_alts_without_sequence : symbolic (``<NON_REF>``), ``*`` and breakend ALTs dropped.
    n_reference_only : records inside windows without any ALT (``ALT = .``).
    n_not_pass : records inside windows whose FILTER is neither ``PASS`` nor ``.`` (read
        like the others: filter the VCF first to leave them out).
    window_records : window name -> records overlapping it (POS to END).
    contigs : contigs the VCF names (header and records), as spelled there.
    ref_check : REF alleles of the records inside windows compared with the reference.
    """

    source: str
    n_file_samples: int = 0
    n_records: int = 0
    n_in_windows: int = 0
    n_rows: int = 0
    n_multiallelic: int = 0
    n_alts_without_sequence: int = 0
    n_reference_only: int = 0
    n_not_pass: int = 0
    window_records: dict[str, int] = field(default_factory=dict)
    contigs: list[str] = field(default_factory=list)
    ref_check: ReferenceMatchCount | None = None

    @property
    def uncovered_windows(self) -> list[str]:
        """Names of the windows no record overlaps."""
        return [name for name, n in self.window_records.items() if n == 0]

    def to_dict(self) -> dict:
        """Plain mapping for provenance (JSON)."""
        out = asdict(self)
        out["uncovered_windows"] = self.uncovered_windows
        if self.ref_check is not None:
            out["ref_check"] = {"n_checked": self.ref_check.n_checked,
                                "n_match": self.ref_check.n_match,
                                "examples": list(self.ref_check.examples)}
        return out


def check_window_contigs(report: VcfReadReport, windows: Sequence[WindowSpec],
                          reference: ReferenceGenome | None) -> None:
    """Raise :class:`ContigNotFoundError` when the VCF names none of the windows' contigs."""
    vcf_keys = {normalise_chrom(c) for c in report.contigs}
    window_contigs = list(dict.fromkeys(w.chrom for w in windows))
    if not report.contigs or any(normalise_chrom(c) in vcf_keys for c in window_contigs):
        return
    ref_side = f"; reference contigs: {_listing(reference.contigs)}" if reference else ""
    raise ContigNotFoundError(
        f"{report.source}: none of its contigs ({_listing(report.contigs)}) matches a window "
        f"contig ({_listing(window_contigs)}){ref_side}. chrN, N and GRCh37/GRCh38 RefSeq "
        f"accessions (NC_0000NN.v) match each other; rename other contigs with bcftools "
        f"annotate --rename-chrs")


def check_reference_alleles(counts: ReferenceMatchCount, tolerance: float,
                             path: Path) -> None:
    n_bad = counts.n_checked - counts.n_match
    if counts.n_checked and n_bad / counts.n_checked > tolerance:
        raise ReferenceMismatchError(
            f"{path}: {n_bad} of {counts.n_checked} records inside the windows "
            f"({n_bad / counts.n_checked:.1%}, reference-only rows included) have a REF that "
            f"differs from the reference (tolerance ref_mismatch_tolerance="
            f"{tolerance:.1%}); first: {'; '.join(counts.examples)}. Check the build and "
            f"the reference, or raise ref_mismatch_tolerance")


def _listing(names: Sequence[str]) -> str:
    names = list(names)
    return ", ".join(names[:_SHOWN]) + (f" ... ({len(names)} in all)" if len(names) > _SHOWN
                                        else "")
