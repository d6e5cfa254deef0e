"""Read VCF/BCF files into a :class:`~pgxdl.genome.variants.callset.CallSet` with cyvcf2.

- plain or bgzipped VCF, or BCF; with ``windows`` and a ``.tbi``/``.csi`` index the
  windows are region queries, otherwise every record is streamed and filtered;
- multi-allelic records become one biallelic row per ALT (other ALTs count as ``0`` in each
  row); symbolic (``<DEL>``, ``<NON_REF>``), spanning-deletion (``*``) and breakend ALTs
  carry no sequence and are dropped (counted in the log);
- missing calls (``./.``, ``.``) become ``-1``; a haploid call fills both slots;
- ``chr16``, ``16`` and ``NC_000016.10`` name the same contig
  (:func:`~pgxdl.genome.reference.builds.normalise_chrom`); when no window's contig is among
  the VCF's, the error lists both;
- text VCFs are validated line by line first, so errors name the line
  (:mod:`pgxdl.genome.variants.vcf_text`), except a bgzipped VCF read through its index:
  its records are checked as they are read, and the file is scanned only when one fails, so
  a biobank file is decompressed once; with a ``reference`` the genome build is checked
  (:mod:`pgxdl.genome.reference.build_check`) over every record read, and the REF of every
  record inside a window (reference-only rows included) against the reference;
- htslib reads and parses records in a background thread while the reader handles the
  earlier ones (:mod:`pgxdl.genome.variants.vcf_prefetch`);
- genotypes are recoded a batch of records at a time
  (:mod:`pgxdl.genome.variants.vcf_genotypes`); with ``spill=True`` they go to an unlinked
  memory-mapped file instead of memory, so reading holds one batch whatever the cohort;
- :func:`read_vcf_with_report` also returns a :class:`VcfReadReport`: records per window
  (a window with none is one the VCF cannot speak for), multi-allelic rows split, ALTs
  without sequence dropped, reference-only rows.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from cyvcf2 import VCF

from pgxdl.genome.errors import GenomeInputError, MalformedVCFError
from pgxdl.genome.reference.build_check import check_build, count_reference_matches
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.callset import CallSet, check_samples_present, string_array
from pgxdl.genome.variants.vcf_genotypes import BATCH_BYTES, DiskRows, MemoryRows, convert_batch
from pgxdl.genome.variants.vcf_prefetch import RecordCopy, decoded_ahead
from pgxdl.genome.variants.vcf_report import (
    VcfReadReport,
    check_reference_alleles,
    check_window_contigs,
)
from pgxdl.genome.variants.vcf_text import (
    ALT_PATTERN,
    REF_PATTERN,
    is_bcf,
    record_excerpt,
    scan_vcf_text,
)

logger = logging.getLogger(__name__)

_SEQUENCE = frozenset("ACGTN")


def read_vcf(path: str | Path, samples: Sequence[str] | None = None,
             windows: Sequence[WindowSpec] | None = None,
             reference: ReferenceGenome | None = None, *, min_ref_match: float = 0.9,
             use_index: bool = True, spill: bool = False,
             spill_folder: str | Path | None = None) -> CallSet:
    """Read biallelic calls of ``samples`` at the records inside ``windows``
    (:func:`read_vcf_with_report` without the report)."""
    return read_vcf_with_report(path, samples, windows, reference, min_ref_match=min_ref_match,
                                use_index=use_index, spill=spill, spill_folder=spill_folder)[0]


def read_vcf_with_report(path: str | Path, samples: Sequence[str] | None = None,
                         windows: Sequence[WindowSpec] | None = None,
                         reference: ReferenceGenome | None = None, *,
                         min_ref_match: float = 0.9, use_index: bool = True,
                         ref_mismatch_tolerance: float | None = None,
                         spill: bool = False, spill_folder: str | Path | None = None
                         ) -> tuple[CallSet, VcfReadReport]:
    """Read biallelic calls of ``samples`` at the records inside ``windows``, with a report.

    Parameters
    ----------
    path : VCF (``.vcf``, ``.vcf.gz``, ``.vcf.bgz``) or BCF file.
    samples : sample names to keep, in this order (all samples in file order if ``None``).
    windows : keep records whose POS lies inside one of them (all records if ``None``).
    reference : check the genome build against it (header and REF match rate).
    min_ref_match : lowest fraction of REF alleles matching ``reference`` before the file
        is declared to be of another build.
    use_index : use region queries when the file has a ``.tbi``/``.csi`` index.
    ref_mismatch_tolerance : with ``reference`` and ``windows``, the largest fraction of the
        records inside windows (reference-only rows included) whose REF may differ from the
        reference; ``None`` skips this check.
    spill : keep the genotypes in an unlinked temporary file in ``spill_folder`` (default:
        the system's temporary folder; :class:`~pgxdl.genome.variants.vcf_genotypes.DiskRows`)
        instead of memory: the
        returned arrays are then strided views of a read-only memory map, and memory stays
        bounded by one batch of records whatever the cohort's size.

    A bgzipped text VCF read through its index (``windows`` and ``use_index``) is not
    pre-scanned: its records are read eagerly and checked as they come, and only when one
    fails is the file scanned (:func:`~pgxdl.genome.variants.vcf_text.scan_vcf_text`) to
    name the line; other text VCFs are scanned first.

    Returns
    -------
    CallSet with ``genotypes (S, V, 2)`` int8 and ``phased (S, V)``, and the report.

    Raises
    ------
    FileNotFoundError, SampleNotFoundError, MalformedVCFError, BuildMismatchError,
    ContigNotFoundError (no window's contig is named by the VCF), ReferenceMismatchError.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"VCF {path} not found")
    if path.is_dir():
        raise MalformedVCFError(f"VCF {path} is a folder, not a file")
    indexed = windows is not None and use_index and _has_index(path)
    binary = is_bcf(path)
    if indexed and not binary:
        try:
            return _read(path, samples, windows, reference, None, indexed, min_ref_match,
                         ref_mismatch_tolerance, spill, spill_folder, check_alleles=True)
        except MalformedVCFError:
            pass  # the scanned read below fails again, naming the line
        except GenomeInputError:
            raise
        except Exception:  # noqa: BLE001 - htslib reports parse failures as bare Exceptions
            pass
    layout = None if binary else scan_vcf_text(path)
    return _read(path, samples, windows, reference, layout, indexed, min_ref_match,
                 ref_mismatch_tolerance, spill, spill_folder)


def _read(path: Path, samples, windows, reference, layout, indexed: bool,
          min_ref_match: float, ref_mismatch_tolerance: float | None, spill: bool, spill_folder,
          check_alleles: bool = False) -> tuple[CallSet, VcfReadReport]:
    """One pass over the records (region queries when ``indexed``); ``layout`` is the text
    scan's, or ``None`` (BCF, or a text VCF read before any scan: ``check_alleles``)."""
    vcf = _open(path, lazy=layout is not None)
    n_file_samples = len(vcf.samples)
    try:
        order, names = _select_samples(vcf, path, samples)
        sink = DiskRows(len(names), spill_folder) if spill else MemoryRows(len(names))
        reader = _RecordReader(path, layout, len(names), windows, order, sink)
        records = _query_windows(vcf, windows) if indexed else _stream(vcf, windows)
        with decoded_ahead(records, layout is None, reader.genotypes_wanted,
                           len(names)) as decoded:  # htslib parses in a thread, GIL released
            callset = reader.read(_checked_alleles(path, decoded) if check_alleles
                                  else decoded, names)
        report = reader.report(_header_contigs(vcf))
        report.n_file_samples = n_file_samples
        if reference is not None:
            check_build(path, vcf.raw_header, *reader.seen_arrays(), reference,
                        min_ref_match=min_ref_match)
    finally:
        vcf.close()
    if windows is not None:
        check_window_contigs(report, windows, reference)
        if reference is not None:
            report.ref_check = count_reference_matches(reference, *reader.inside_arrays())
            if ref_mismatch_tolerance is not None:
                check_reference_alleles(report.ref_check, ref_mismatch_tolerance, path)
    logger.info("%s: %d records read, %d biallelic rows kept, %d ALT alleles without sequence "
                "dropped", path.name, report.n_records, callset.n_variants,
                report.n_alts_without_sequence)
    return callset, report


def _checked_alleles(path: Path, records):
    """Pass ``records`` on, raising at the first whose REF or ALT the text scan would refuse,
    or whose FORMAT lacks GT (the caller then scans the text to name the line)."""
    for number, record, keep in records:
        if not isinstance(record, Exception) and keep and (
                not _allele_ok(record.REF, ref=True)
                or not all(_allele_ok(alt) for alt in record.ALT)
                or (record.ALT and "GT" not in record.FORMAT)):
            raise MalformedVCFError(f"{path}: record {record.CHROM}:{record.POS}: field REF, "
                                  f"ALT or FORMAT is malformed")
        yield number, record, keep


def _allele_ok(allele: str, ref: bool = False) -> bool:
    """Whether the text scan's REF (``ref``) or ALT rule accepts ``allele``."""
    pattern = REF_PATTERN if ref else ALT_PATTERN
    return pattern.match(allele.encode()) is not None


def _open(path: Path, lazy: bool) -> VCF:
    """cyvcf2's reader; BCF files (no text scan) are read eagerly so that a record's FORMAT
    can be checked for GT before its genotypes are touched (a lazy record without GT
    crashes htslib)."""
    try:
        return VCF(str(path), gts012=False, lazy=lazy)
    except Exception as err:  # htslib reports header failures as a bare Exception
        raise MalformedVCFError(f"{path}: htslib cannot read the VCF header ({err}); check "
                                f"the ## lines and the #CHROM line") from err


def _header_contigs(vcf: VCF) -> list[str]:
    try:
        return list(vcf.seqnames)
    except Exception:  # no ##contig lines and no index: the records name the contigs
        return []


def _select_samples(vcf: VCF, path: Path, samples: Sequence[str] | None):
    """Restrict cyvcf2 to ``samples``; return the reordering into the requested order."""
    file_samples = list(vcf.samples)
    if samples is None:
        return np.arange(len(file_samples)), file_samples
    requested = [str(s) for s in samples]
    check_samples_present(requested, file_samples, str(path))
    wanted = set(requested)
    if len(requested) != len(file_samples) or wanted != set(file_samples):
        vcf.set_samples(requested)  # htslib then subsets every record as it parses it
    kept = [s for s in file_samples if s in wanted]
    position = {name: i for i, name in enumerate(kept)}
    return np.array([position[s] for s in requested], dtype=np.intp), requested


def _has_index(path: Path) -> bool:
    return any(Path(f"{path}{suffix}").exists() for suffix in (".tbi", ".csi"))


def _stream(vcf: VCF, windows: Sequence[WindowSpec] | None):
    """Yield ``(record_number, record, keep)`` for every record of the file."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for window in windows or ():
        spans.setdefault(normalise_chrom(window.chrom), []).append((window.start, window.end))
    chrom_keys: dict[str, str] = {}
    iterator = iter(vcf)
    number = 0
    while True:
        try:
            record = next(iterator)
        except StopIteration:
            return
        except Exception as err:  # htslib reports parse failures as a bare Exception
            yield number, err, False
            return
        key = chrom_keys.get(record.CHROM)
        if key is None:
            key = chrom_keys[record.CHROM] = normalise_chrom(record.CHROM)
        keep = windows is None or any(s <= record.POS <= e for s, e in spans.get(key, ()))
        yield number, record, keep
        number += 1


def _query_windows(vcf: VCF, windows: Sequence[WindowSpec]):
    """Yield ``(None, record, True)`` for the records inside each window (region queries).

    A record whose POS lies in an earlier window of the same contig was yielded by that
    window's query and is skipped (overlapping windows); a record repeated in the file is
    yielded twice, so the reader reports it.
    """
    names: dict[str, list[str]] = {}
    for name in vcf.seqnames:
        names.setdefault(normalise_chrom(name), []).append(name)
    queried: dict[str, list[tuple[int, int]]] = {}  # contig -> earlier windows' spans
    for window in windows:
        for name in names.get(normalise_chrom(window.chrom), ()):
            earlier = queried.setdefault(name, [])
            with warnings.catch_warnings():  # a header contig without indexed records
                warnings.filterwarnings("ignore", message="no intervals found")
                records = iter(vcf(f"{name}:{window.start}-{window.end}"))
                first = next(records, None)
            # one record at a time: a window's records decoded at once would hold
            # every genotype of the window
            for record in itertools.chain([first] if first is not None else [], records):
                pos = record.POS
                if window.start <= pos <= window.end and not any(
                        start <= pos <= end for start, end in earlier):
                    yield None, record, True
            earlier.append((window.start, window.end))


def _append(columns: tuple[list, list, list], chrom: str, pos: int, ref: str) -> None:
    columns[0].append(chrom)
    columns[1].append(pos)
    columns[2].append(ref)


def _arrays(columns: tuple[list, list, list]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    chrom, pos, ref = columns
    return string_array(chrom), np.asarray(pos, dtype=np.int64), string_array(ref)


class _RecordReader:
    """Turns cyvcf2 records into the arrays of a :class:`CallSet`.

    Per record it keeps only cyvcf2's genotype array; splitting into biallelic rows and
    recoding to 0/1/-1 happen once, vectorised, at the end.
    """

    def __init__(self, path: Path, layout, n_samples: int,
                 windows: Sequence[WindowSpec] | None, order: np.ndarray,
                 sink: MemoryRows | DiskRows) -> None:
        self.path, self.layout, self.n_samples = path, layout, n_samples
        self._order, self._sink = order, sink
        self.counts = VcfReadReport(str(path))
        self._windows = list(windows or ())
        self._spans: dict[str, list[tuple[int, int, int]]] = {}
        for index, window in enumerate(self._windows):
            self._spans.setdefault(normalise_chrom(window.chrom), []).append(
                (window.start, window.end, index))
        self._covered = np.zeros(len(self._windows), dtype=np.int64)
        self._contigs: dict[str, str] = {}  # as spelled -> normalised
        self._seen: tuple[list, list, list] = ([], [], [])
        self._inside: tuple[list, list, list] = ([], [], [])
        self._rows: dict[str, list] = {k: [] for k in ("chrom", "pos", "ids", "ref", "alt")}
        self._n_rows = 0  # biallelic rows so far
        # the pending batch (converted by _flush): cyvcf2 arrays (S, ploidy + 1), where
        # each came from, and the record (into the batch) and ALT index of each row
        self._arrays: list[np.ndarray] = []
        self._where_kept: list[tuple] = []
        self._pending_record: list[int] = []
        self._pending_allele: list[int] = []
        self._pending_bytes = 0
        self._row_where: dict[tuple, str] = {}  # (chrom, pos, ref, alt) -> where first seen

    def read(self, records, names: list[str]) -> CallSet:
        for number, record, keep in records:
            if isinstance(record, Exception):
                raise MalformedVCFError(f"{self._where(number)}: htslib cannot parse this "
                                        f"record ({record})") from record
            self.counts.n_records += 1
            chrom, pos, ref = record.CHROM, record.POS, record.REF
            key = self._contigs.get(chrom)
            if key is None:
                key = self._contigs[chrom] = normalise_chrom(chrom)
            _append(self._seen, chrom, pos, ref)
            for start, end, index in self._spans.get(key, ()):
                # overlap of the record (POS..END, 1-based) with the window; END (cyvcf2's
                # 0-based exclusive end) is read only for records starting before the window
                if pos <= end and (pos >= start or record.end >= start):
                    self._covered[index] += 1
            if keep:
                _append(self._inside, chrom, pos, ref)
                self._add(number, record)
        self._flush()
        genotypes, phased = self._sink.finish()
        return CallSet(**self._rows, genotypes=genotypes, phased=phased,
                       samples=names, source=str(self.path))

    def seen_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``chrom, pos, ref`` of every record read, each ``(R,)``."""
        return _arrays(self._seen)

    def inside_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``chrom, pos, ref`` of every record whose POS lies in a window, each ``(R,)``."""
        return _arrays(self._inside)

    def report(self, header_contigs: list[str]) -> VcfReadReport:
        """The counts so far, with the records per window and the contigs named."""
        self.counts.window_records = {w.name: int(n) for w, n in
                                      zip(self._windows, self._covered, strict=True)}
        self.counts.contigs = list(dict.fromkeys([*header_contigs, *self._contigs]))
        self.counts.n_rows = self._n_rows
        return self.counts

    def genotypes_wanted(self, record: RecordCopy) -> bool:
        """Whether :meth:`_add` reads the genotypes of this record inside the windows (it
        has samples, an ALT with a sequence and a GT); called by the decoding thread."""
        if not self.n_samples or not any(alt and set(alt.upper()) <= _SEQUENCE
                                         for alt in record.ALT):
            return False
        if self.layout is not None:
            return (record.CHROM, record.POS) not in self.layout.without_gt
        return "GT" in record.FORMAT

    def _add(self, number: int | None, record: RecordCopy) -> None:
        self.counts.n_in_windows += 1
        kept_alts = [(i, alt.upper()) for i, alt in enumerate(record.ALT, start=1)
                     if alt and set(alt.upper()) <= _SEQUENCE]
        self.counts.n_alts_without_sequence += len(record.ALT) - len(kept_alts)
        self.counts.n_reference_only += not record.ALT
        self.counts.n_multiallelic += len(kept_alts) > 1
        self.counts.n_not_pass += record.FILTER is not None
        if not kept_alts:
            return
        if self.n_samples:
            line = (self.layout.without_gt.get((record.CHROM, record.POS))
                    if self.layout is not None else None)
            if line is not None or (self.layout is None and "GT" not in record.FORMAT):
                where = f"line {line}" if line is not None else "record"
                raise MalformedVCFError(
                    f"{self.path}: {where} ({record.CHROM}:{record.POS}): field FORMAT has "
                    f"no GT, so this record's genotypes cannot be read; give every record in "
                    f"the windows a GT (bcftools +setGT, or drop the record)")
            array = record.genotypes  # read by the decoding thread (genotypes_wanted)
            self._arrays.append(array)
            self._where_kept.append((number, record.CHROM, record.POS, len(record.ALT)))
            self._pending_bytes += array.nbytes
        else:
            self._sink.add(np.zeros((len(kept_alts), 0, 2), np.int8),
                           np.zeros((len(kept_alts), 0), bool))
        for index, alt in kept_alts:
            key = (self._contigs[record.CHROM], record.POS, record.REF.upper(), alt)
            if key in self._row_where:
                raise MalformedVCFError(
                    f"{self.path}: {self._short_where(number, record)} repeats the variant "
                    f"{record.CHROM}:{record.POS} {record.REF}>{alt} of "
                    f"{self._row_where[key]}; which genotypes hold is unknown: remove the "
                    f"duplicate (bcftools norm -d exact)")
            self._row_where[key] = self._short_where(number, record)
            self._n_rows += 1
            if self.n_samples:
                self._pending_record.append(len(self._arrays) - 1)
                self._pending_allele.append(index)
            for key, value in (("chrom", record.CHROM), ("pos", record.POS),
                               ("ids", record.ID or "."), ("ref", record.REF.upper()),
                               ("alt", alt)):
                self._rows[key].append(value)
        if self._pending_bytes >= BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        """Convert the pending cyvcf2 arrays into biallelic rows and hand them to the sink."""
        if not self._arrays:
            return
        kept = self._where_kept

        def where(index: int) -> str:
            number, chrom, pos, _ = kept[index]
            return f"{self._where(number)} [{chrom}:{pos}]"

        genotypes, phased = convert_batch(
            self._arrays, np.array([w[3] for w in kept]),
            np.asarray(self._pending_record, dtype=np.intp),
            np.asarray(self._pending_allele, dtype=np.int32), self._order, where)
        self._sink.add(genotypes, phased)
        self._arrays, self._where_kept = [], []
        self._pending_record, self._pending_allele = [], []
        self._pending_bytes = 0

    def _short_where(self, number: int | None, record) -> str:
        """``line N`` of a text VCF, else ``record CHROM:POS``."""
        if number is not None and self.layout is not None and number < len(
                self.layout.data_lines):
            return f"line {int(self.layout.data_lines[number])}"
        return f"record {record.CHROM}:{record.POS}"

    def _where(self, number: int | None, record=None) -> str:
        if number is not None and self.layout is not None and number < len(
                self.layout.data_lines):
            line = int(self.layout.data_lines[number])
            return f"{self.path}: line {line} ({record_excerpt(self.path, line)})"
        if record is not None:
            return f"{self.path}: record {record.CHROM}:{record.POS}"
        return f"{self.path}: record {number + 1 if number is not None else '?'}"
