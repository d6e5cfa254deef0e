"""Where each variant of a call set lands in the windows, checked against the reference.

:func:`build_site_table` runs once per call set (a loop over windows and over variant
sites, never over bases or subjects) and yields the flat index arrays that
:class:`~pgxdl.genome.personal.builder.PersonalWindowBuilder` applies to all subjects at once.

Variants are assigned to a window by their POS. Equal-length REF/ALT pairs (SNVs, MNVs)
are substitutions, applied base by base (bases past the window end are dropped). Anything
else is an indel, handled by the builder's indel policy. Its *span* (the bases an indel
policy or a missing call may overwrite) is the REF after the anchor bases shared with the
ALT; a pure insertion's span is the base after its anchor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgxdl.genome.encoding import N_CODE, decode, encode
from pgxdl.genome.errors import ReferenceMismatchError
from pgxdl.genome.reference.builds import normalise_chrom, normalise_chroms
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.callset import CallSet, allele_lengths

_EXAMPLES = 5


@dataclass
class SiteTable:
    """Variant sites inside windows, as flat arrays.

    Attributes
    ----------
    variant, window, offset : int arrays ``(K,)``: call-set row, window index and 0-based
        + strand offset of each site, sorted by window then offset.
    is_indel, ref_ok : bool arrays ``(K,)``.
    edit_site, edit_offset, edit_code : arrays ``(E,)``: one base change of a substitution
        (only sites whose REF matches).
    span_site, span_offset : arrays ``(P,)``: the bases each site covers (see module doc).
    n_ref_mismatch : sites whose REF differs from the reference.
    mismatch_examples : a few of them, as text.
    """

    variant: np.ndarray
    window: np.ndarray
    offset: np.ndarray
    is_indel: np.ndarray
    ref_ok: np.ndarray
    edit_site: np.ndarray
    edit_offset: np.ndarray
    edit_code: np.ndarray
    span_site: np.ndarray
    span_offset: np.ndarray
    n_ref_mismatch: int
    mismatch_examples: tuple[str, ...]

    @property
    def n_sites(self) -> int:
        """Number of (variant, window) sites ``K``."""
        return len(self.variant)


def build_site_table(callset: CallSet, windows: list[WindowSpec], reference_codes: np.ndarray,
                     tolerance: float) -> SiteTable:
    """Locate the call set's variants in the windows and check their REF alleles.

    Parameters
    ----------
    callset : the variants.
    windows : ``W`` windows of length ``L``.
    reference_codes : ``(W, L)`` uint8 + strand reference codes of the windows.
    tolerance : largest acceptable fraction of sites whose REF differs from the reference;
        such sites are then left unapplied.

    Raises
    ------
    ReferenceMismatchError with the count, the fraction and the first examples.
    """
    length = reference_codes.shape[1]
    keys = normalise_chroms(callset.chrom)
    variant, window, offset = [], [], []
    for w, spec in enumerate(windows):
        inside = np.flatnonzero((keys == normalise_chrom(spec.chrom)) & (callset.pos >= spec.start)
                                & (callset.pos <= spec.end))
        variant.append(inside)
        window.append(np.full(inside.size, w))
        offset.append(callset.pos[inside] - spec.start)
    variant, window, offset = (np.concatenate(parts).astype(np.int64)
                               for parts in (variant, window, offset))
    order = np.lexsort((variant, offset, window))
    variant, window, offset = variant[order], window[order], offset[order]
    ref, alt = callset.ref[variant], callset.alt[variant]
    is_indel = allele_lengths(ref) != allele_lengths(alt)
    ref_ok = _reference_matches(ref, window, offset, reference_codes)
    n_bad = int((~ref_ok).sum())
    examples = tuple(
        f"{callset.chrom[variant[k]]}:{callset.pos[variant[k]]} {callset.ids[variant[k]]} "
        f"REF={ref[k]} reference={_reference_text(reference_codes, window[k], offset[k], ref[k])}"
        for k in np.flatnonzero(~ref_ok)[:_EXAMPLES])
    if variant.size and n_bad / variant.size > tolerance:
        raise ReferenceMismatchError(
            f"{n_bad} of {variant.size} variant sites ({n_bad / variant.size:.1%}) in "
            f"{callset.source} have a REF allele that differs from the reference (tolerance "
            f"{tolerance:.1%}); first: {'; '.join(examples)}")
    edits = _substitution_edits(ref, alt, offset, ~is_indel & ref_ok, length)
    spans = _spans(ref, alt, offset, is_indel, length)
    return SiteTable(variant, window, offset, is_indel, ref_ok, *edits, *spans,
                     n_ref_mismatch=n_bad, mismatch_examples=examples)


def _reference_matches(ref: np.ndarray, window: np.ndarray, offset: np.ndarray,
                       reference_codes: np.ndarray) -> np.ndarray:
    """Bool ``(K,)``: REF equals the reference over the part inside the window (N matches)."""
    ok = np.ones(ref.size, dtype=bool)
    single = np.flatnonzero(allele_lengths(ref) == 1)
    if single.size:
        expected = encode("".join(ref[single]))
        found = reference_codes[window[single], offset[single]]
        ok[single] = (expected == found) | (expected == N_CODE) | (found == N_CODE)
    for k in np.setdiff1d(np.arange(ref.size), single):
        expected = encode(ref[k])
        found = reference_codes[window[k], offset[k]:offset[k] + len(ref[k])]
        expected = expected[:found.size]
        ok[k] = bool(np.all((expected == found) | (expected == N_CODE) | (found == N_CODE)))
    return ok


def _reference_text(reference_codes: np.ndarray, w: int, offset: int, ref: str) -> str:
    return decode(reference_codes[w, offset:offset + len(ref)])


def _substitution_edits(ref: np.ndarray, alt: np.ndarray, offset: np.ndarray,
                        usable: np.ndarray, length: int):
    """``(site, offset, code)`` arrays of every changed base of the usable substitutions."""
    sites, offsets, codes = [], [], []
    for k in np.flatnonzero(usable):
        r, a = encode(ref[k]), encode(alt[k])
        changed = np.flatnonzero(r != a)
        changed = changed[offset[k] + changed < length]
        sites.append(np.full(changed.size, k))
        offsets.append(offset[k] + changed)
        codes.append(a[changed])
    if not sites:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
    return (np.concatenate(sites), np.concatenate(offsets),
            np.concatenate(codes).astype(np.uint8))


def _spans(ref: np.ndarray, alt: np.ndarray, offset: np.ndarray, is_indel: np.ndarray,
           length: int):
    """``(site, offset)`` arrays of the bases each site covers, clipped to the window."""
    sites, offsets = [], []
    for k in range(ref.size):
        start, stop = 0, len(ref[k])
        if is_indel[k]:
            start = len(_common_prefix(ref[k], alt[k]))
            stop = max(stop, start + 1)
        covered = np.arange(offset[k] + start, min(offset[k] + stop, length))
        sites.append(np.full(covered.size, k))
        offsets.append(covered)
    if not sites:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(sites).astype(np.int64), np.concatenate(offsets).astype(np.int64)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]
