"""Personal sequence windows: each subject's variants applied to the reference windows.

Output codes have shape ``(S, W, H, L)`` (uint8, :mod:`pgxdl.genome.encoding`):

- ``phased=True``: ``H = 2`` haplotype tracks, slot 1 and slot 2 of each genotype;
- ``phased=False``: ``H = 1`` dosage track; a heterozygous SNV becomes the IUPAC code of
  its two bases (one-hot as half of each), a homozygous one the ALT base.

Policies (documented choices; window length never changes):

- SNVs and equal-length substitutions (MNVs) are applied exactly.
- ``indel_policy='skip'`` (default) leaves the reference at indels; ``'mask'`` writes ``N``
  over the indel's span on the carrying haplotype (see :mod:`pgxdl.genome.personal_sites`).
  Either way the indel is listed with ``applied=False`` and counted in the report.
- ``missing_policy='reference'`` (default) keeps the reference at a missing call;
  ``'N'`` writes ``N`` over the site's span on the missing haplotype.
- A REF allele that differs from the reference: the fraction of such sites must not exceed
  ``ref_mismatch_tolerance`` (else :class:`ReferenceMismatchError` with count and first
  examples); tolerated ones are left unapplied and listed with ``applied=False``.
- Order of writes: substitutions, then indel masks, then missing-call masks (``N`` wins).
- ``oriented=True`` reverse-complements ``-`` strand windows (codes and reference) after
  applying variants; ``offset`` stays a + strand offset and ``seq_offset`` gives the index
  along the stored ``L`` axis.

The hot path is vectorised over all subjects of a chunk with numpy fancy indexing; only the
one-off site table loops, over windows and variant sites.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from pgxdl.genome.encoding import CODE_LETTERS, N_CODE, N_CODES, iupac_code, reverse_complement
from pgxdl.genome.errors import GenomeInputError
from pgxdl.genome.personal_sites import SiteTable, build_site_table
from pgxdl.genome.reference import ReferenceGenome
from pgxdl.genome.variants import CallSet
from pgxdl.genome.windows import WindowSpec, check_equal_length

INDEL_POLICIES = ("skip", "mask")
MISSING_POLICIES = ("reference", "N")
#: Bytes of codes per chunk when streaming to the store (small enough to stay in cache).
STREAM_CHUNK_BYTES = 1 << 21

#: (N_CODES, N_CODES) uint8: dosage code of two haplotype codes (IUPAC for two bases).
PAIR_CODE = np.full((N_CODES, N_CODES), N_CODE, dtype=np.uint8)
for _a in range(N_CODES):
    PAIR_CODE[_a, _a] = _a
    for _b in range(4):
        if _a < 4:
            PAIR_CODE[_a, _b] = iupac_code(CODE_LETTERS[_a], CODE_LETTERS[_b])


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
        return np.concatenate([chunk for _, chunk in self], dtype=dtype)


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
    carriers : dict of ``(K,)`` arrays, one entry per (subject, site) where the subject
        carries the ALT: ``subject_index`` (int32, into ``samples``), ``site_index`` (int32,
        into ``sites``), ``allele_count`` (int8, 1 het or 2 hom), ``hap_mask`` (uint8,
        bit 0 slot 1, bit 1 slot 2).
    report : counts of applied, skipped and mismatching sites and calls.
    """

    reference_codes: np.ndarray
    codes: np.ndarray
    samples: list[str]
    sites: dict[str, np.ndarray]
    carriers: dict[str, np.ndarray]
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
    """

    def __init__(self, reference: ReferenceGenome, windows: list[WindowSpec], phased: bool,
                 indel_policy: str = "skip", missing_policy: str = "reference",
                 ref_mismatch_tolerance: float = 0.0, oriented: bool = False) -> None:
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
        chunk and each chunk is filled while it is still in cache. Sites, carriers and the
        report are computed up front either way; they need no sequence.
        """
        sites = build_site_table(callset, self.windows, self.plus_codes, self.tolerance)
        genotypes = np.take(callset.genotypes, sites.variant, axis=1)  # (S, K, 2)
        if self.phased:
            self._check_phase(callset, sites, genotypes)
        touched = self._touched_positions(sites)
        shape = (callset.n_samples, len(self.windows), self.haplotypes, self.length)

        def chunk_codes(start: int, stop: int) -> np.ndarray:
            return self._codes(genotypes[start:stop], sites, touched)

        codes = (chunk_codes(0, callset.n_samples) if chunk_size is None
                 else CodeChunks(shape, chunk_codes, chunk_size))
        return PersonalWindows(self.reference_codes, codes, list(callset.samples),
                               *self._variant_list(callset, sites, genotypes),
                               self._report(sites, genotypes))

    def stream(self, callset: CallSet) -> PersonalWindows:
        """:meth:`build` with lazy codes in chunks of about :data:`STREAM_CHUNK_BYTES`."""
        per_subject = len(self.windows) * self.haplotypes * self.length
        return self.build(callset, max(1, STREAM_CHUNK_BYTES // per_subject))

    def _codes(self, genotypes: np.ndarray, sites: SiteTable, touched) -> np.ndarray:
        """``(s, W, H, L)`` codes of the subjects whose ``(s, K, 2)`` genotypes are given."""
        touched_window, touched_offset, column = touched
        n = len(genotypes)
        # Haplotype bases only at the P positions any site touches: (s, 2, P), not (s, W, 2, L).
        tracks = np.broadcast_to(self.plus_codes[touched_window, touched_offset],
                                 (n, 2, len(touched_window))).copy()
        self._write(tracks, column, sites, sites.edit_site, sites.edit_offset, sites.edit_code,
                    genotypes == 1)
        indel_span = sites.is_indel[sites.span_site]
        if self.indel_policy == "mask":
            self._write(tracks, column, sites, sites.span_site[indel_span],
                        sites.span_offset[indel_span], N_CODE, genotypes == 1)
        if self.missing_policy == "N":
            self._write(tracks, column, sites, sites.span_site, sites.span_offset, N_CODE,
                        genotypes < 0)
        codes = np.empty((n, len(self.windows), self.haplotypes, self.length), dtype=np.uint8)
        codes[:] = self.plus_codes[None, :, None, :]  # 7x faster than broadcast_to().copy()
        if self.phased:
            codes[:, touched_window, :, touched_offset] = tracks.transpose(2, 0, 1)
        else:
            codes[:, touched_window, 0, touched_offset] = PAIR_CODE[tracks[:, 0], tracks[:, 1]]
        codes[:, self.minus] = reverse_complement(codes[:, self.minus])
        return codes

    def _report(self, sites: SiteTable, genotypes: np.ndarray) -> BuildReport:
        return BuildReport(
            n_sites=sites.n_sites,
            n_substitution_sites=int((~sites.is_indel & sites.ref_ok).sum()),
            n_indel_sites=int(sites.is_indel.sum()), indel_policy=self.indel_policy,
            n_ref_mismatch_sites=sites.n_ref_mismatch,
            ref_mismatch_examples=sites.mismatch_examples,
            n_indel_alleles=np.count_nonzero(genotypes[:, sites.is_indel] == 1),
            n_missing_calls=np.count_nonzero((genotypes[..., 0] < 0) | (genotypes[..., 1] < 0)))

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
    def _write(tracks: np.ndarray, column: np.ndarray, sites: SiteTable, site: np.ndarray,
               offset: np.ndarray, value, selected: np.ndarray) -> None:
        """Write ``value`` at ``(window[site], offset)`` where ``selected[s, site, h]``.

        ``tracks`` is ``(s, 2, P)``; ``column`` maps (window, offset) to its P column.
        """
        columns = column[sites.window[site], offset]  # (E,)
        chosen = selected[:, site, :]  # (s, E, 2)
        if len(np.unique(columns)) == len(columns):  # one write per column: a masked select
            tracks[:, :, columns] = np.where(chosen.transpose(0, 2, 1), value,
                                             tracks[:, :, columns])
            return
        subject, index, hap = np.nonzero(chosen)  # several edits share a column
        value = value[index] if isinstance(value, np.ndarray) else value
        tracks[subject, hap, columns[index]] = value

    def _check_phase(self, callset: CallSet, sites: SiteTable, genotypes: np.ndarray) -> None:
        phased = callset.phased[:, sites.variant]
        het = (genotypes == 1).any(axis=2) & (genotypes[..., 0] != genotypes[..., 1])
        unphased = het & ~phased
        if unphased.any():
            k = int(np.flatnonzero(unphased.any(axis=0))[0])
            v = sites.variant[k]
            raise GenomeInputError(
                f"phased=True but {int(unphased.sum())} heterozygous calls in "
                f"{callset.source} are unphased (first at {callset.chrom[v]}:{callset.pos[v]}); "
                f"build with phased=False for a dosage encoding")

    def _variant_list(self, callset: CallSet, sites: SiteTable, genotypes: np.ndarray
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """The site table ``(K sites,)`` and one carrier row per (subject, carried site)."""
        variant, window, offset = sites.variant, sites.window, sites.offset
        site_table = {
            "window_index": window.astype(np.int32),
            "offset": offset.astype(np.int32),
            "seq_offset": np.where(self.minus[window], self.length - 1 - offset,
                                   offset).astype(np.int32),
            "chrom": callset.chrom[variant], "pos": callset.pos[variant],
            "ids": callset.ids[variant], "ref": callset.ref[variant],
            "alt": callset.alt[variant],
            "applied": ~sites.is_indel & sites.ref_ok,
        }
        carries = (genotypes == 1).view(np.uint8)  # (S, K, 2) 0/1
        hap_mask = carries[..., 0] | carries[..., 1] << 1  # (S, K): bit 0 slot 1, bit 1 slot 2
        subject, k = np.nonzero(hap_mask)
        mask = hap_mask[subject, k]
        carriers = {
            "subject_index": subject.astype(np.int32),
            "site_index": k.astype(np.int32),
            "allele_count": ((mask & 1) + (mask >> 1)).astype(np.int8),
            "hap_mask": mask,
        }
        return site_table, carriers
