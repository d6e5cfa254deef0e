"""Whole-cohort edit tracks: the vectorised writes equal plain loops, including edits that
share a position (MNVs over SNVs, indel masks, missing calls) on both strands."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from genome_fixtures import WINDOWS, base, write_fasta

from pgxdl.genome.encoding import COMPLEMENT_CODE, N_CODE, N_CODES, reverse_complement
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.personal.edits import PAIR_CODE, site_selection, stored_codes, write_edits
from pgxdl.genome.personal.sites import build_site_table
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.variants.callset import CallSet


def _loop_write(tracks, selected, site, column, value):
    """:func:`write_edits` by a loop over edits, in order."""
    out = tracks.copy()
    value = np.broadcast_to(value, site.shape)
    for e in range(len(site)):
        chosen = selected[:, :, site[e]]
        out[:, :, column[e]] = np.where(chosen, value[e], out[:, :, column[e]])
    return out


@pytest.mark.parametrize("value", ["codes", "N"])
def test_write_edits_equals_a_loop_over_edits(value):
    rng = np.random.default_rng(0)
    n_subjects, n_sites, n_columns, n_edits = 9, 6, 7, 15
    tracks = rng.integers(0, 4, (n_subjects, 2, n_columns)).astype(np.uint8)
    selected = site_selection(rng.random((n_subjects, n_sites, 2)) < 0.5)
    site = rng.integers(0, n_sites, n_edits)
    column = rng.integers(0, n_columns - 1, n_edits)  # shared columns; the last one untouched
    values = rng.integers(0, 4, n_edits).astype(np.uint8) if value == "codes" else N_CODE
    expected = _loop_write(tracks, selected, site, column, values)
    write_edits(tracks, selected, site, column, values)
    np.testing.assert_array_equal(tracks, expected)
    assert np.bincount(column).max() > 2  # several rounds were needed


def test_site_selection_moves_haplotypes_first_and_adds_an_unselected_site():
    selected = np.random.default_rng(1).random((4, 3, 2)) < 0.5
    out = site_selection(selected)
    assert out.shape == (4, 2, 4) and not out[..., 3].any()
    np.testing.assert_array_equal(out[..., :3], selected.transpose(0, 2, 1))


def test_stored_codes_pair_and_orient():
    haps = np.array(list(itertools.product(range(N_CODES), repeat=2)), np.uint8).T[None]
    minus = np.arange(haps.shape[2]) % 2 == 1  # haps: every pair of codes, (1, 2, 121)
    phased = stored_codes(haps, minus, phased=True)
    np.testing.assert_array_equal(phased[..., ~minus], haps[..., ~minus])
    np.testing.assert_array_equal(phased[..., minus], COMPLEMENT_CODE[haps[..., minus]])
    dosage = stored_codes(haps, minus, phased=False)[0, 0]
    pair = PAIR_CODE[haps[0, 0], haps[0, 1]]
    np.testing.assert_array_equal(dosage[~minus], pair[~minus])
    np.testing.assert_array_equal(dosage[minus], COMPLEMENT_CODE[pair[minus]])


def _overlapping_callset(rng, phased: bool, n_samples: int = 7) -> CallSet:
    """SNVs, MNVs and indels at shared positions of both windows, with missing calls."""
    records = []
    for window in WINDOWS:
        for pos in rng.integers(window.start, window.end - 1, 12):
            ref = base(window.chrom, int(pos), 2)
            one, two = ("".join("ACGT"[("ACGT".index(b) + k) % 4] for b in ref) for k in (1, 2))
            records += [(window.chrom, int(pos), ref[0], one[0]),
                        (window.chrom, int(pos), ref, two),  # MNV over the SNV: it wins
                        (window.chrom, int(pos), ref, ref[0]),  # deletion
                        (window.chrom, int(pos), ref[0], ref[0] + "GT")]  # insertion
    chrom, pos, ref, alt = (np.array(field, dtype=object) for field in zip(*records, strict=True))
    n_sites = len(records)
    genotypes = rng.choice(np.array([-1, 0, 1], np.int8), (n_samples, n_sites, 2),
                           p=[0.1, 0.5, 0.4])
    return CallSet(chrom, pos.astype(np.int64), [f"v{i}" for i in range(n_sites)], ref, alt,
                   genotypes, np.full((n_samples, n_sites), phased),
                   [f"s{i}" for i in range(n_samples)])


def _loop_codes(builder: PersonalWindowBuilder, callset: CallSet) -> np.ndarray:
    """``(S, W, H, L)`` codes by loops over subjects, haplotypes and edits, in the documented
    order: substitutions, indel masks, missing-call masks; then pairs and orientation."""
    sites = build_site_table(callset, builder.windows, builder.plus_codes, builder.tolerance)
    genotypes = callset.genotypes[:, sites.variant]  # (S, K, 2)
    haps = np.repeat(builder.plus_codes[None, :, None, :], callset.n_samples, 0).repeat(2, 2)
    indel = sites.is_indel[sites.span_site]
    writes = [(sites.edit_site, sites.edit_offset, sites.edit_code, genotypes == 1)]
    if builder.indel_policy == "mask":
        writes.append((sites.span_site[indel], sites.span_offset[indel], N_CODE,
                       genotypes == 1))
    if builder.missing_policy == "N":
        writes.append((sites.span_site, sites.span_offset, N_CODE, genotypes < 0))
    for site, offset, value, selected in writes:
        value = np.broadcast_to(value, site.shape)
        for s, h, e in itertools.product(range(len(haps)), range(2), range(len(site))):
            if selected[s, site[e], h]:
                haps[s, sites.window[site[e]], h, offset[e]] = value[e]
    codes = haps if builder.phased else PAIR_CODE[haps[:, :, 0], haps[:, :, 1]][:, :, None]
    codes[:, builder.minus] = reverse_complement(codes[:, builder.minus])
    return codes


@pytest.mark.parametrize("phased,indel_policy,missing_policy,oriented", [
    (True, "skip", "reference", False), (True, "mask", "N", True),
    (False, "mask", "reference", True), (False, "skip", "N", False), (False, "mask", "N", True)])
def test_builder_equals_loops_on_overlapping_sites(tmp_path, phased, indel_policy,
                                                   missing_policy, oriented):
    reference = ReferenceGenome(write_fasta(tmp_path))
    callset = _overlapping_callset(np.random.default_rng(5), phased)
    builder = PersonalWindowBuilder(reference, WINDOWS, phased, indel_policy, missing_policy,
                                    oriented=oriented)
    expected = _loop_codes(builder, callset)
    np.testing.assert_array_equal(builder.build(callset).codes, expected)
    np.testing.assert_array_equal(np.asarray(builder.build(callset, chunk_size=3).codes),
                                  expected)


@pytest.mark.parametrize("phased", [True, False])
def test_builder_without_subjects_or_sites_in_windows(tmp_path, phased):
    reference = ReferenceGenome(write_fasta(tmp_path))
    builder = PersonalWindowBuilder(reference, WINDOWS, phased, oriented=True)
    shape = (len(WINDOWS), 2 if phased else 1, builder.length)
    nobody = _overlapping_callset(np.random.default_rng(0), phased, n_samples=0)
    assert builder.build(nobody).codes.shape == (0, *shape)
    assert np.asarray(builder.stream(nobody).codes).shape == (0, *shape)
    outside = _overlapping_callset(np.random.default_rng(0), phased)
    outside.pos[:] = 10**9  # every site beyond the windows
    built = builder.build(outside)
    expected = np.broadcast_to(builder.reference_codes[None, :, None], (7, *shape))
    np.testing.assert_array_equal(built.codes, expected)
    assert built.report.n_sites == 0
