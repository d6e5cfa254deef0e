"""Whole-cohort edit tracks: every subject's bases at the ``P`` positions any site touches.

:class:`~pgxdl.genome.personal.builder.PersonalWindowBuilder` computes these once per call set,
then builds each chunk of personal windows as the stored reference with the tracks
scattered in. Shapes: ``S`` subjects, ``K`` sites, ``E`` edits (one base of one site),
``P`` touched positions, ``H`` stored tracks (2 phased, 1 dosage).

Layouts keep the position axis last and contiguous: a write gathers a ``(S, 2, P)``
selection with one :func:`numpy.take` and blends it in with uint8 arithmetic (about 10x
faster than ``np.where`` or fancy-index scatters along the last axis).
"""

from __future__ import annotations

import itertools

import numpy as np

from pgxdl.genome.encoding import CODE_LETTERS, COMPLEMENT_CODE, N_CODE, N_CODES, iupac_code


def _pair_codes() -> np.ndarray:
    """``(N_CODES, N_CODES)`` uint8 dosage code of two haplotype codes: two bases give their
    IUPAC code, a code paired with itself stays, any other pair is N."""
    table = np.full((N_CODES, N_CODES), N_CODE, dtype=np.uint8)
    table[np.diag_indices(N_CODES)] = np.arange(N_CODES)
    for a, b in itertools.product(range(4), repeat=2):
        table[a, b] = iupac_code(CODE_LETTERS[a], CODE_LETTERS[b])
    return table


#: (N_CODES, N_CODES) uint8: dosage code of two haplotype codes (:func:`_pair_codes`).
PAIR_CODE = _pair_codes()

#: (2 * N_CODES,) uint8: code ``c`` stored on a + strand (``c``) and a - strand (``c + N_CODES``).
ORIENTED_CODE = np.concatenate([np.arange(N_CODES, dtype=np.uint8), COMPLEMENT_CODE])
#: (2 * N_CODES**2,) uint8: dosage code of the pair ``a * N_CODES + b``, + then - strand.
ORIENTED_PAIR_CODE = np.concatenate([PAIR_CODE.ravel(), COMPLEMENT_CODE[PAIR_CODE].ravel()])


def site_selection(selected: np.ndarray, site_major: bool = False) -> np.ndarray:
    """``(S, 2, K + 1)`` bool of a ``(S, K, 2)`` bool genotype test (carries ALT, missing),
    or of a ``(K, S, 2)`` one with ``site_major`` (one transposing copy either way).

    The haplotype axis moves before the site axis; the extra last site is never selected
    (positions without an edit point there in :func:`write_edits`).
    """
    subject_major = selected.transpose(1, 0, 2) if site_major else selected
    n_subjects, n_sites, _ = subject_major.shape
    out = np.zeros((n_subjects, 2, n_sites + 1), dtype=bool)
    out[..., :n_sites] = subject_major.transpose(0, 2, 1)
    return out


def write_edits(tracks: np.ndarray, selected: np.ndarray, site: np.ndarray,
                column: np.ndarray, value) -> None:
    """Write ``value`` at ``tracks[s, h, column[e]]`` wherever ``selected[s, h, site[e]]``.

    Parameters
    ----------
    tracks : ``(S, 2, P)`` uint8 haplotype codes, written in place.
    selected : ``(S, 2, K + 1)`` bool from :func:`site_selection`.
    site, column : ``(E,)`` int: the site and the track column of each edit.
    value : ``(E,)`` uint8 codes, or one code for every edit.

    Edits sharing a column apply in order (the last selected one wins): edits of equal
    rank within their column form one round, each round one gather and one blend.
    """
    n_columns, never = tracks.shape[2], selected.shape[2] - 1
    value = np.broadcast_to(np.asarray(value, dtype=np.uint8), site.shape)
    rank = _rank_within(column)
    for r in range(rank.max(initial=-1) + 1):
        edit = rank == r
        site_at = np.full(n_columns, never)  # (P,) the site whose selection writes there
        site_at[column[edit]] = site[edit]
        value_at = np.zeros(n_columns, dtype=np.uint8)
        value_at[column[edit]] = value[edit]
        chosen = np.take(selected, site_at, axis=2).view(np.uint8)  # (S, 2, P) 0/1
        change = value_at - tracks  # uint8 arithmetic wraps: tracks + 1 * change == value_at
        change *= chosen
        tracks += change


def stored_codes(haps: np.ndarray, minus: np.ndarray, phased: bool) -> np.ndarray:
    """``(S, H, P)`` stored codes of ``(S, 2, P)`` haplotype codes.

    ``phased``: the two tracks as they are (``H = 2``); else one dosage track of their
    pair codes (``H = 1``). Positions where ``minus (P,)`` is set are complemented.
    """
    if phased:
        return np.take(ORIENTED_CODE, haps + np.uint8(N_CODES) * minus)
    pair = haps[:, :1] * np.uint8(N_CODES) + haps[:, 1:]  # (S, 1, P), below N_CODES**2
    return np.take(ORIENTED_PAIR_CODE, pair + np.uint8(N_CODES ** 2) * minus)


def _rank_within(column: np.ndarray) -> np.ndarray:
    """``(E,)`` rank of each entry among the earlier entries with the same ``column``."""
    order = np.argsort(column, kind="stable")
    ordered = column[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # group starts
    starts = np.repeat(first, np.diff(np.r_[first, len(column)]))
    rank = np.empty(len(column), dtype=np.int64)
    rank[order] = np.arange(len(column)) - starts
    return rank
