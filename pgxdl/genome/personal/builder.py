"""Personal sequence windows: each subject's variants applied to the reference windows.

Output codes have shape ``(S, W, H, L)`` (uint8, :mod:`pgxdl.genome.encoding`):

- ``phased=True``: ``H = 2`` haplotype tracks, slot 1 and slot 2 of each genotype;
- ``phased=False``: ``H = 1`` dosage track; a heterozygous SNV becomes the IUPAC code of
  its two bases (one-hot as half of each), a homozygous one the ALT base.

Policies (documented choices; window length never changes):

- SNVs and equal-length substitutions (MNVs) are applied exactly.
- ``indel_policy='skip'`` (default) leaves the reference at indels; ``'mask'`` writes ``N``
  over the indel's span on the carrying haplotype (see :mod:`pgxdl.genome.personal.sites`).
  Either way the indel is listed with ``applied=False`` and counted in the report.
- ``missing_policy='reference'`` (default) keeps the reference at a missing call;
  ``'N'`` writes ``N`` over the site's span on the missing haplotype.
- A REF allele that differs from the reference: the fraction of such sites must not exceed
  ``ref_mismatch_tolerance`` (else :class:`ReferenceMismatchError` with count and first
  examples); tolerated ones are left unapplied and listed with ``applied=False``.
- Order of writes: substitutions, then indel masks, then missing-call masks (``N`` wins).
- ``uncalled_windows``: windows the call set cannot speak for (no record overlaps them) are
  written as ``N`` for every subject, when the caller chose that over an error.
- ``oriented=True`` reverse-complements ``-`` strand windows (codes and reference) after
  applying variants; ``offset`` stays a + strand offset and ``seq_offset`` gives the index
  along the stored ``L`` axis.

The edits are applied once for the whole cohort, vectorised over subjects, at the ``P``
positions any site touches (:mod:`pgxdl.genome.personal.edits`); each chunk of windows is then
the stored reference with those bases scattered in. Only the one-off site table loops, over
windows and variant sites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from pgxdl.genome.ahead import Ahead
from pgxdl.genome.encoding import N_CODE, reverse_complement
from pgxdl.genome.errors import GenomeInputError
from pgxdl.genome.personal.edits import site_selection, stored_codes, write_edits
from pgxdl.genome.personal.sites import SiteTable, build_site_table
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec, check_equal_length
from pgxdl.genome.variants.callset import CallSet
from pgxdl.genome.variants.vcf_genotypes import site_rows

INDEL_POLICIES = ("skip", "mask")
MISSING_POLICIES = ("reference", "N")
#: Bytes of codes per chunk when streaming to the store (small enough to stay in cache).
STREAM_CHUNK_BYTES = 1 << 21

@dataclass(frozen=True)
class BuildReport:
    """What a build did: counts of sites and of calls over the whole call set."""

    n_sites: int
    n_substitution_sites: int
    n_indel_sites: int
    indel_policy: str
    n_ref_mismatch_sites: int
    ref_mismatch_examples: tuple[str, ...]
    n_indel_alleles: int
    n_missing_calls: int
    missing_policy: str = "reference"


@dataclass(frozen=True)
class CodeChunks:
    """Lazily built ``(S, W, H, L)`` codes: iterating yields ``(start, (s, W, H, L) chunk)``.

    ``make(start, stop)`` builds the codes of subjects ``start:stop``; each iteration
    builds them afresh, ``chunk_size`` subjects at a time.
    """

    shape: tuple[int, int, int, int]
    make: Callable[[int, int], np.ndarray]
    chunk_size: int

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        for start in range(0, self.shape[0], self.chunk_size):
            yield start, self.make(start, min(start + self.chunk_size, self.shape[0]))

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """All chunks joined (``np.asarray(chunks)``), for tests and small cohorts."""
        chunks = [chunk for _, chunk in self] or [np.empty(self.shape, np.uint8)]
        return np.concatenate(chunks, dtype=dtype)


@dataclass(frozen=True)
class CarrierChunks(CodeChunks):
    """:class:`CodeChunks` whose chunks also bring their carrier rows.

    ``make(start, stop)`` returns the ``(s, W, H, L)`` codes of subjects
    ``start:stop`` and their carrier rows (``subject_index`` counted from 0 for the whole
    cohort); :meth:`with_carriers` iterates ``(start, codes, carriers)``.
    """

    make: Callable[[int, int], tuple[np.ndarray, dict[str, np.ndarray]]]

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        for start, codes, _ in self.with_carriers():
            yield start, codes

    def with_carriers(self) -> Iterator[tuple[int, np.ndarray, dict[str, np.ndarray]]]:
        """The chunks in order, each built in a background thread while the caller writes
        the previous one (numpy releases the GIL; one chunk ahead at most)."""
        def build(start: int) -> tuple[int, np.ndarray, dict[str, np.ndarray]]:
            return start, *self.make(start, min(start + self.chunk_size, self.shape[0]))

        with Ahead(range(0, self.shape[0], self.chunk_size), 1, build,
                   name="pgxdl-chunks") as chunks:
            yield from chunks


@dataclass
class PersonalWindows:
    """Personal windows of ``S`` subjects and the variants each one carries.

    Attributes
    ----------
    reference_codes : ``(W, L)`` uint8.
    codes : ``(S, W, H, L)`` uint8, or a lazy :class:`CodeChunks` of that shape.
    samples : the ``S`` sample names.
    sites : dict of ``(V,)`` arrays, one entry per variant site in the windows:
        ``window_index``, ``offset`` (int32, + strand), ``seq_offset`` (int32, along the
        stored ``L`` axis), ``chrom``, ``pos`` (int64), ``ids``, ``ref``, ``alt``,
        ``applied`` (bool: False for indels and tolerated REF mismatches).
    carriers : dict of ``(K,)`` arrays (``None`` when ``codes`` is a :class:`CarrierChunks`
        that brings them chunk by chunk), one entry per (subject, site) where the subject
        carries the ALT: ``subject_index`` (int32, into ``samples``), ``site_index`` (int32,
        into ``sites``), ``allele_count`` (int8, 1 het or 2 hom), ``hap_mask`` (uint8,
        bit 0 slot 1, bit 1 slot 2).
    report : counts of applied, skipped and mismatching sites and calls.
    """

    reference_codes: np.ndarray
    codes: np.ndarray
    samples: list[str]
    sites: dict[str, np.ndarray]
    carriers: dict[str, np.ndarray] | None
    report: BuildReport

    @property
    def variants(self) -> dict[str, np.ndarray]:
        """The flat per-carrier variant list: carrier fields joined with their site's."""
        site = self.carriers["site_index"]
        return {**{k: v[site] for k, v in self.sites.items()}, **self.carriers}


class PersonalWindowBuilder:
    """Apply call sets to fixed-length reference windows.

    Parameters
    ----------
    reference : reference genome holding every window.
    windows : ``W`` windows of one length ``L``.
    phased : two haplotype tracks (``H = 2``) instead of one dosage track.
    indel_policy : ``'skip'`` or ``'mask'`` (module doc).
    missing_policy : ``'reference'`` or ``'N'`` (module doc).
    ref_mismatch_tolerance : largest fraction of sites whose REF may differ from the FASTA.
    oriented : store ``-`` strand windows reverse-complemented (transcript orientation).
    uncalled_windows : indices of windows written as ``N`` for every subject.
    """

    def __init__(self, reference: ReferenceGenome, windows: list[WindowSpec], phased: bool,
                 indel_policy: str = "skip", missing_policy: str = "reference",
                 ref_mismatch_tolerance: float = 0.0, oriented: bool = False,
                 uncalled_windows: list[int] | tuple[int, ...] = ()) -> None:
        if indel_policy not in INDEL_POLICIES:
            raise ValueError(f"indel_policy must be one of {INDEL_POLICIES}, got {indel_policy!r}")
        if missing_policy not in MISSING_POLICIES:
            raise ValueError(f"missing_policy must be one of {MISSING_POLICIES}, "
                             f"got {missing_policy!r}")
        self.windows = list(windows)
        self.length = check_equal_length(self.windows)
        self.phased, self.oriented = phased, oriented
        self.haplotypes = 2 if phased else 1  # H
        self.indel_policy, self.missing_policy = indel_policy, missing_policy
        self.tolerance = ref_mismatch_tolerance
        self.plus_codes = reference.fetch_windows(self.windows)  # (W, L), + strand
        self.minus = np.array([oriented and w.strand == "-" for w in self.windows])
        self.uncalled = np.asarray(uncalled_windows, dtype=np.intp)

    @property
    def reference_codes(self) -> np.ndarray:
        """``(W, L)`` uint8 reference codes as stored (oriented if requested)."""
        codes = self.plus_codes.copy()
        codes[self.minus] = reverse_complement(codes[self.minus])
        return codes

    def build(self, callset: CallSet, chunk_size: int | None = None) -> PersonalWindows:
        """Personal windows of every subject of ``callset``.

        ``chunk_size=None`` builds the whole ``(S, W, H, L)`` array at once. Otherwise
        ``codes`` is a lazy :class:`CodeChunks` that builds ``chunk_size`` subjects at a
        time as it is iterated (the store writer streams it to disk), so memory holds one
        chunk and each chunk is filled while it is still in cache. Sites, carriers, the
        report and the edited bases (:meth:`_edited_tracks`, ``S x H x P`` for the ``P``
        positions any site touches) are computed up front, once for the whole cohort;
        a chunk is then the stored reference with those bases scattered in.
        """
        sites = build_site_table(callset, self.windows, self.plus_codes, self.tolerance)
        genotypes = np.take(callset.genotypes, sites.variant, axis=1)  # (S, K, 2)
        if self.phased:
            unphased = self._unphased(callset.phased[:, sites.variant], genotypes)
            self._check_phase(callset, sites, unphased.sum(), unphased.any(axis=0))
        carried = site_selection(genotypes == 1)  # (S, 2, K + 1)
        missing = site_selection(genotypes < 0)
        columns, tracks = self._edited_tracks(sites, carried, missing)
        reference = self.reference_codes
        shape = (callset.n_samples, len(self.windows), self.haplotypes, self.length)

        def chunk_codes(start: int, stop: int) -> np.ndarray:
            return self._chunk(reference, tracks[start:stop], columns)

        codes = (chunk_codes(0, callset.n_samples) if chunk_size is None
                 else CodeChunks(shape, chunk_codes, chunk_size))
        return PersonalWindows(reference, codes, list(callset.samples),
                               self._site_table(callset, sites), _carriers(carried, 0),
                               self._report(sites, *_call_counts(sites, carried, missing)))

    def build_in_chunks(self, callset: CallSet, chunk_bytes: int = 16 << 20
                        ) -> PersonalWindows:
        """:meth:`build` that never holds more than one chunk of subjects.

        For a call set too large for memory (a memory map:
        ``read_vcf_with_report(..., spill=True)``). A first sweep over chunks of subjects
        counts indel alleles and missing calls (and checks phase); ``codes`` is then a lazy
        :class:`CarrierChunks` whose chunks bring their own carrier rows, and ``carriers``
        is ``None``: the store writer appends both chunk by chunk. Each chunk holds about
        ``chunk_bytes`` of codes and per-site selections. The result is the same as
        :meth:`build`'s, chunk for chunk. A call set held site-major (the spilled
        one) is read a block of subjects at a time in its own layout (contiguous runs).
        """
        sites = build_site_table(callset, self.windows, self.plus_codes, self.tolerance)
        per_subject = len(self.windows) * self.haplotypes * self.length + 8 * sites.n_sites
        size = max(1, chunk_bytes // per_subject)
        n_subjects = callset.n_samples

        def selections(start: int, stop: int):
            genotypes = site_rows(callset.genotypes, start, stop, sites.variant)
            missing = (site_selection(genotypes < 0, site_major=True)
                       if self.missing_policy == "N" else None)  # only N writes them
            return site_selection(genotypes == 1, site_major=True), missing

        n_indel = n_missing = n_unphased = 0
        first_unphased = np.zeros(sites.n_sites, dtype=bool)
        sweep = max(1, chunk_bytes // (3 * sites.n_sites + 1))  # counts need no codes
        for start in range(0, n_subjects, sweep):
            stop = min(start + sweep, n_subjects)
            genotypes = site_rows(callset.genotypes, start, stop, sites.variant)
            n_missing += int(np.count_nonzero((genotypes[..., 0] < 0) | (genotypes[..., 1] < 0)))
            n_indel += int(np.count_nonzero(genotypes[sites.is_indel] == 1))
            if self.phased:
                unphased = self._unphased(
                    site_rows(callset.phased, start, stop, sites.variant), genotypes)
                n_unphased += int(unphased.sum())
                first_unphased |= unphased.any(axis=1)
        if self.phased:
            self._check_phase(callset, sites, n_unphased, first_unphased)
        reference = self.reference_codes

        def chunk(start: int, stop: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
            carried, missing = selections(start, stop)
            columns, tracks = self._edited_tracks(sites, carried, missing)
            return self._chunk(reference, tracks, columns), _carriers(carried, start)

        shape = (n_subjects, len(self.windows), self.haplotypes, self.length)
        return PersonalWindows(reference, CarrierChunks(shape, chunk, size),
                               list(callset.samples), self._site_table(callset, sites), None,
                               self._report(sites, n_indel, n_missing))

    def stream(self, callset: CallSet) -> PersonalWindows:
        """:meth:`build` with lazy codes in chunks of about :data:`STREAM_CHUNK_BYTES`."""
        per_subject = len(self.windows) * self.haplotypes * self.length
        return self.build(callset, max(1, STREAM_CHUNK_BYTES // per_subject))

    def _edited_tracks(self, sites: SiteTable, carried: np.ndarray,
                       missing: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Stored codes of every subject at the ``P`` positions any site touches.

        ``carried`` and ``missing`` are ``(S, 2, K + 1)`` bool from
        :func:`~pgxdl.genome.personal.edits.site_selection` (``missing`` is read only with
        ``missing_policy='N'``). Returns ``columns (H * P,)``,
        the flat index of each (track, position) into a subject's ``(W, H, L)`` codes, and
        ``tracks (S, H * P)`` uint8, already oriented (complemented on ``-`` windows).
        """
        touched_window, touched_offset, column = self._touched_positions(sites)
        # Haplotype bases only at the P touched positions: (S, 2, P), not (S, W, 2, L).
        haps = np.broadcast_to(self.plus_codes[touched_window, touched_offset],
                               (len(carried), 2, len(touched_window))).copy()
        edits = sites.edit_site, column[sites.window[sites.edit_site], sites.edit_offset]
        write_edits(haps, carried, *edits, sites.edit_code)
        spans = sites.span_site, column[sites.window[sites.span_site], sites.span_offset]
        if self.indel_policy == "mask":
            indel = sites.is_indel[sites.span_site]
            write_edits(haps, carried, spans[0][indel], spans[1][indel], N_CODE)
        if self.missing_policy == "N":
            write_edits(haps, missing, *spans, N_CODE)
        tracks = stored_codes(haps, self.minus[touched_window], self.phased)  # (S, H, P)
        columns = self._stored_columns(touched_window, touched_offset)
        return columns, tracks.reshape(len(tracks), len(columns))

    def _stored_columns(self, window: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """``(H * P,)`` flat index into a subject's stored ``(W, H, L)`` codes of each track
        at the + strand positions ``window (P,)``, ``offset (P,)``."""
        seq_offset = np.where(self.minus[window], self.length - 1 - offset, offset)
        track = np.arange(self.haplotypes)[:, None]
        return ((window * self.haplotypes + track) * self.length + seq_offset).ravel()

    def _chunk(self, reference: np.ndarray, tracks: np.ndarray, columns: np.ndarray
               ) -> np.ndarray:
        """``(s, W, H, L)`` codes: the stored ``reference (W, L)`` with ``tracks (s, H * P)``
        written at ``columns (H * P,)`` (see :meth:`_edited_tracks`)."""
        codes = np.empty((len(tracks), len(self.windows), self.haplotypes, self.length),
                         dtype=np.uint8)
        codes[:] = reference[None, :, None, :]  # 7x faster than broadcast_to().copy()
        codes.reshape(len(tracks), reference.size * self.haplotypes)[:, columns] = tracks
        codes[:, self.uncalled] = N_CODE
        return codes

    def _report(self, sites: SiteTable, n_indel_alleles: int, n_missing_calls: int
                ) -> BuildReport:
        """The report, given the counts over the whole call set (:func:`_call_counts`)."""
        return BuildReport(
            n_sites=sites.n_sites,
            n_substitution_sites=int((~sites.is_indel & sites.ref_ok).sum()),
            n_indel_sites=int(sites.is_indel.sum()), indel_policy=self.indel_policy,
            n_ref_mismatch_sites=sites.n_ref_mismatch,
            ref_mismatch_examples=sites.mismatch_examples,
            n_indel_alleles=n_indel_alleles, n_missing_calls=n_missing_calls,
            missing_policy=self.missing_policy)

    def _touched_positions(self, sites: SiteTable):
        """Window ``(P,)``, offset ``(P,)`` of every base a site covers, and the ``(W, L)``
        lookup from a (window, offset) to its column in ``0..P-1``."""
        flat = np.unique(np.concatenate([
            sites.window[sites.span_site] * self.length + sites.span_offset,
            sites.window[sites.edit_site] * self.length + sites.edit_offset]))
        column = np.full(len(self.windows) * self.length, -1, dtype=np.int64)
        column[flat] = np.arange(len(flat))
        return flat // self.length, flat % self.length, column.reshape(len(self.windows), -1)

    @staticmethod
    def _unphased(phased: np.ndarray, genotypes: np.ndarray) -> np.ndarray:
        """``(S, K)`` bool: heterozygous calls without phase (``phased (S, K)``,
        ``genotypes (S, K, 2)``; or all site-major, ``(K, S)`` out)."""
        het = (genotypes == 1).any(axis=2) & (genotypes[..., 0] != genotypes[..., 1])
        return het & ~phased

    def _check_phase(self, callset: CallSet, sites: SiteTable, n_unphased: int,
                     site_unphased: np.ndarray) -> None:
        """Raise if any call is unphased; ``site_unphased (K,)``: sites with one."""
        if n_unphased:
            k = int(np.flatnonzero(site_unphased)[0])
            v = sites.variant[k]
            raise GenomeInputError(
                f"phased=True but {int(n_unphased)} heterozygous calls in "
                f"{callset.source} are unphased (first at {callset.chrom[v]}:{callset.pos[v]}); "
                f"build with phased=False for a dosage encoding")

    def _site_table(self, callset: CallSet, sites: SiteTable) -> dict[str, np.ndarray]:
        """The site table: one ``(K,)`` array per field."""
        variant, window, offset = sites.variant, sites.window, sites.offset
        return {
            "window_index": window.astype(np.int32),
            "offset": offset.astype(np.int32),
            "seq_offset": np.where(self.minus[window], self.length - 1 - offset,
                                   offset).astype(np.int32),
            "chrom": callset.chrom[variant], "pos": callset.pos[variant],
            "ids": callset.ids[variant], "ref": callset.ref[variant],
            "alt": callset.alt[variant],
            "applied": ~sites.is_indel & sites.ref_ok,
        }


def _carriers(carried: np.ndarray, first_subject: int) -> dict[str, np.ndarray]:
    """One carrier row per (subject, carried site), sorted by subject; ``carried`` is
    ``(s, 2, K + 1)`` bool for subjects ``first_subject ...``."""
    n_sites = carried.shape[2] - 1
    bits = carried[..., :-1].view(np.uint8)  # (s, 2, K) 0/1
    hap_mask = bits[:, 0] | bits[:, 1] << 1  # (s, K): bit 0 slot 1, bit 1 slot 2
    flat = np.flatnonzero(hap_mask != 0)  # row-major: sorted by subject (bool: 7x faster)
    mask = hap_mask.ravel()[flat]
    subject, site = np.divmod(flat, n_sites) if n_sites else (flat, flat)
    return {
        "subject_index": (subject + first_subject).astype(np.int32),
        "site_index": site.astype(np.int32),
        "allele_count": ((mask & 1) + (mask >> 1)).astype(np.int8),
        "hap_mask": mask,
    }


def _call_counts(sites: SiteTable, carried: np.ndarray, missing: np.ndarray
                 ) -> tuple[int, int]:
    """Indel alleles carried and missing calls; ``carried``, ``missing``: ``(s, 2, K + 1)``."""
    return (int(np.count_nonzero(carried[..., :-1][..., sites.is_indel])),
            int(np.count_nonzero(missing[:, 0] | missing[:, 1])))
