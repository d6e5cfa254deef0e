"""Personal windows: exact SNVs, dosage vs haplotypes, indel/missing policies, REF checks,
orientation, chunking, and hand-checked examples on the real GRCh38 reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from genome_fixtures import CHR2, WINDOWS, base, other_base, write_fasta, write_vcf

from pgxdl.genome.encoding import CODE_LETTERS, IUPAC_PAIRS, N_CODE, decode, encode
from pgxdl.genome.errors import GenomeInputError, ReferenceMismatchError
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import load_windows
from pgxdl.genome.variants.callset import allele_lengths
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table
from pgxdl.genome.variants.vcf import read_vcf
from pgxdl.paths import REPO_ROOT

SAMPLES = [f"s{i}" for i in range(6)]
WINDOWS_2KB = REPO_ROOT / "configs" / "data" / "windows" / "grch38_pgx_2kb.yaml"


@pytest.fixture
def reference(tmp_path):
    return ReferenceGenome(write_fasta(tmp_path))


def _random_snvs(rng, sep="|"):
    """SNVs at distinct positions of both windows with random genotypes."""
    sites = [("chr1", p) for p in rng.choice(np.arange(11, 31), 6, replace=False)] + \
            [("chr2", p) for p in rng.choice(np.arange(121, 141), 5, replace=False)]
    records = []
    for chrom, pos in sites:
        ref = base(chrom, int(pos))
        gts = [f"{a}{sep}{b}" for a, b in rng.integers(0, 2, (len(SAMPLES), 2))]
        records.append((chrom, int(pos), f"v{pos}", ref, other_base(ref, int(rng.integers(1, 4))),
                        gts))
    return records


def _expected_tracks(records, windows):
    """(S, W, 2, L) letters computed by plain loops (the reference implementation)."""
    tracks = [[[list(base(w.chrom, w.start, w.length)) for _ in range(2)] for w in windows]
              for _ in SAMPLES]
    for chrom, pos, _id, _ref, alt, gts in records:
        for w, window in enumerate(windows):
            if window.chrom == chrom and window.start <= pos <= window.end:
                for s, gt in enumerate(gts):
                    for h, allele in enumerate(gt.replace("|", "/").split("/")):
                        if allele == "1":
                            tracks[s][w][h][pos - window.start] = alt
    return tracks


def _random_build(tmp_path, reference, seed: int, phased: bool):
    """Random SNV calls, their call set, the built windows and the loop-computed tracks."""
    records = _random_snvs(np.random.default_rng(seed), sep="|" if phased else "/")
    callset = read_vcf(write_vcf(tmp_path, records, SAMPLES))
    built = PersonalWindowBuilder(reference, WINDOWS, phased=phased).build(callset)
    return records, callset, built, _expected_tracks(records, WINDOWS)


def test_round_trip_phased_differs_exactly_at_variants(tmp_path, reference):
    records, _, built, expected = _random_build(tmp_path, reference, 0, phased=True)
    assert built.codes.shape == (6, 2, 2, 20)
    for s in range(6):
        for w in range(2):
            for h in range(2):
                assert decode(built.codes[s, w, h]) == "".join(expected[s][w][h])
    changed = built.codes != built.reference_codes[None, :, None, :]
    v = built.variants
    carried = np.zeros_like(changed)
    for h in range(2):
        hit = (v["hap_mask"] >> h) & 1 == 1
        carried[v["subject_index"][hit], v["window_index"][hit], h, v["offset"][hit]] = True
    np.testing.assert_array_equal(changed, carried)
    np.testing.assert_array_equal(v["allele_count"], [bin(m).count("1") for m in v["hap_mask"]])
    assert v["applied"].all() and built.report.n_substitution_sites == len(records)


def test_unphased_dosage_uses_iupac(tmp_path, reference):
    _, callset, built, expected = _random_build(tmp_path, reference, 1, phased=False)
    assert built.codes.shape == (6, 2, 1, 20)
    for s in range(6):
        for w in range(2):
            one, two = expected[s][w]
            letters = [a if a == b else IUPAC_PAIRS[frozenset((a, b))]
                       for a, b in zip(one, two, strict=True)]
            assert decode(built.codes[s, w, 0]) == "".join(letters)
    with pytest.raises(GenomeInputError, match="unphased"):
        PersonalWindowBuilder(reference, WINDOWS, phased=True).build(callset)


def test_multiallelic_site_gives_both_alts(tmp_path, reference):
    ref = base("chr1", 15)
    alt1, alt2 = other_base(ref, 1), other_base(ref, 2)
    records = [("chr1", 15, ".", ref, f"{alt1},{alt2}", ["1|2", "2|2", "0|1", "0|0", ".|.",
                                                           "2|0"])]
    callset = read_vcf(write_vcf(tmp_path, records, SAMPLES))
    phased = PersonalWindowBuilder(reference, WINDOWS, phased=True).build(callset)
    dosage = PersonalWindowBuilder(reference, WINDOWS, phased=False).build(callset)
    letters = [decode(phased.codes[s, 0, :, 4]) for s in range(6)]
    assert letters == [alt1 + alt2, alt2 + alt2, ref + alt1, ref + ref, ref + ref, alt2 + ref]
    iupac = IUPAC_PAIRS[frozenset((alt1, alt2))]
    assert decode(dosage.codes[:, 0, 0, 4]) == (
        iupac + alt2 + IUPAC_PAIRS[frozenset((ref, alt1))] + ref + ref
        + IUPAC_PAIRS[frozenset((ref, alt2))])


def test_indel_policies_and_missing_calls(tmp_path, reference):
    deletion = base("chr1", 20, 3)
    snv = base("chr1", 12)
    records = [("chr1", 20, "del", deletion, deletion[0], ["0|1", "1|1", "0|0", "0|0", "0|0",
                                                            "0|0"]),
               ("chr1", 25, "ins", base("chr1", 25), base("chr1", 25) + "AC",
                ["1|0", "0|0", "0|0", "0|0", "0|0", "0|0"]),
               ("chr1", 12, "snv", snv, other_base(snv), ["0|0", "0|0", ".|.", "0|1", "0|0",
                                                          "0|0"])]
    callset = read_vcf(write_vcf(tmp_path, records, SAMPLES))
    skip = PersonalWindowBuilder(reference, WINDOWS, phased=True).build(callset)
    np.testing.assert_array_equal(skip.codes[:3], np.broadcast_to(
        skip.reference_codes[None, :, None, :], (3, 2, 2, 20)))
    assert skip.report.n_indel_sites == 2 and skip.report.n_indel_alleles == 4
    assert skip.report.n_missing_calls == 1
    v = skip.variants
    listed = dict(zip(zip(v["subject_index"], v["ids"], strict=True), v["applied"], strict=True))
    assert listed == {(0, "del"): False, (0, "ins"): False, (1, "del"): False, (3, "snv"): True}
    masked = PersonalWindowBuilder(reference, WINDOWS, phased=True, indel_policy="mask",
                                   missing_policy="N").build(callset)
    n_positions = {(s, h): np.flatnonzero(masked.codes[s, 0, h] == N_CODE).tolist()
                   for s in range(3) for h in range(2)}
    # deletion at 20 spans 21-22 (offsets 10, 11); insertion after 25 marks offset 15
    assert n_positions == {(0, 0): [15], (0, 1): [10, 11], (1, 0): [10, 11], (1, 1): [10, 11],
                           (2, 0): [1], (2, 1): [1]}
    with pytest.raises(ValueError, match="indel_policy"):
        PersonalWindowBuilder(reference, WINDOWS, phased=True, indel_policy="shift")


def test_reference_mismatch_count_examples_tolerance(tmp_path, reference):
    records = _random_snvs(np.random.default_rng(2))[:4]
    chrom, pos, vid, ref, alt, gts = records[1]
    wrong = other_base(ref, 2) if other_base(ref, 2) != alt else other_base(ref, 3)
    records[1] = (chrom, pos, vid, wrong, alt, gts)
    callset = read_vcf(write_vcf(tmp_path, records, SAMPLES))
    with pytest.raises(ReferenceMismatchError,
                       match=rf"1 of 4 variant sites \(25.0%\).*{chrom}:{pos} {vid} "
                             rf"REF={wrong} reference={ref}"):
        PersonalWindowBuilder(reference, WINDOWS, phased=True).build(callset)
    built = PersonalWindowBuilder(reference, WINDOWS, phased=True,
                                  ref_mismatch_tolerance=0.25).build(callset)
    assert built.report.n_ref_mismatch_sites == 1
    offset = pos - 11
    np.testing.assert_array_equal(built.codes[:, 0, :, offset], encode(ref)[0])
    assert not built.variants["applied"][built.variants["ids"] == vid].any()


def test_minus_strand_orientation(tmp_path, reference):
    records = _random_snvs(np.random.default_rng(3))
    callset = read_vcf(write_vcf(tmp_path, records, SAMPLES))
    plus = PersonalWindowBuilder(reference, WINDOWS, phased=True).build(callset)
    oriented = PersonalWindowBuilder(reference, WINDOWS, phased=True, oriented=True).build(callset)
    np.testing.assert_array_equal(oriented.codes[:, 0], plus.codes[:, 0])
    complement = {"A": "T", "C": "G", "G": "C", "T": "A"}
    for s in range(6):
        for h in range(2):
            forward = decode(plus.codes[s, 1, h])
            assert decode(oriented.codes[s, 1, h]) == "".join(complement[b] for b in forward[::-1])
    assert decode(oriented.reference_codes[1]) == "".join(
        complement[b] for b in CHR2[20:40][::-1])
    v = oriented.variants
    minus = v["window_index"] == 1
    np.testing.assert_array_equal(v["seq_offset"][minus], 19 - v["offset"][minus])
    np.testing.assert_array_equal(v["seq_offset"][~minus], v["offset"][~minus])


def test_lazy_chunks_equal_one_build(tmp_path, reference):
    callset = read_vcf(write_vcf(tmp_path, _random_snvs(np.random.default_rng(4)), SAMPLES))
    builder = PersonalWindowBuilder(reference, WINDOWS, phased=False)
    whole = builder.build(callset)
    lazy = builder.build(callset, chunk_size=3)
    chunks = list(lazy.codes)
    assert [start for start, _ in chunks] == [0, 3]
    assert lazy.codes.shape == whole.codes.shape
    np.testing.assert_array_equal(np.concatenate([c for _, c in chunks]), whole.codes)
    np.testing.assert_array_equal(np.asarray(lazy.codes), whole.codes)  # re-iterable
    for key in whole.carriers:
        np.testing.assert_array_equal(lazy.carriers[key], whole.carriers[key])
    assert lazy.report == whole.report


def test_hand_checked_rs9923231_and_cyp2c9_star2_star3(shared_data):
    """IWPC-style table on the real GRCh38 reference, checked base by base."""
    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    windows = load_windows(WINDOWS_2KB)
    names = [w.name for w in windows]
    vk, c9_2, c9_3 = (names.index(n) for n in ("VKORC1_rs9923231", "CYP2C9_star2_rs1799853",
                                               "CYP2C9_star3_rs1057910"))
    table = pd.DataFrame({"vkorc1": ["A/G", "A/A", "G/G"], "cyp2c9": ["*2/*3", "*3/*3", "*1/*2"]})
    callset = callset_from_genotype_table(table, {"vkorc1": "rs9923231", "cyp2c9": "CYP2C9"})
    built = PersonalWindowBuilder(reference, windows, phased=False).build(callset)
    centre = 1000
    assert reference.fetch_text("chr16", 31096368, 31096368) == "C"
    assert reference.fetch_text("chr10", 94942290, 94942290) == "C"
    assert reference.fetch_text("chr10", 94981296, 94981296) == "A"
    ref_letters = [decode(built.reference_codes[w, centre:centre + 1]) for w in (vk, c9_2, c9_3)]
    assert ref_letters == ["C", "C", "A"]
    personal = [[decode(built.codes[s, w, 0, centre:centre + 1]) for w in (vk, c9_2, c9_3)]
                for s in range(3)]
    # C/T -> Y, T/T -> T; *2 is C>T (Y when het), *3 is A>C (M when het, C when hom)
    assert personal == [["Y", "Y", "M"], ["T", "C", "C"], ["C", "Y", "A"]]
    changed = built.codes[:, :, 0] != built.reference_codes[None]
    assert changed.sum() == 6  # nothing else moved
    oriented = PersonalWindowBuilder(reference, windows, phased=False, oriented=True).build(callset)
    # in VKORC1 transcript orientation the IWPC letters come back: A/G is R, A/A is A
    assert decode(oriented.codes[:2, vk, 0, 1999 - centre]) == "RA"


def test_1kgp_phased_tracks_at_rs9923231(shared_data):
    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    windows = [w for w in load_windows(WINDOWS_2KB) if w.gene == "VKORC1"]
    path = shared_data / "1kgp" / "VKORC1_GRCh38.vcf.gz"
    callset = read_vcf(path, windows=windows, reference=reference)
    row = int(np.flatnonzero(callset.pos == 31096368)[0])
    expected = callset.genotypes[:, row]  # cross-checked with the text parse in test_genome_vcf
    built = PersonalWindowBuilder(reference, windows, phased=True).build(callset)
    letters = np.array(list(CODE_LETTERS))[built.codes[:, 0, :, 1000]]
    np.testing.assert_array_equal(letters == "T", expected == 1)
    np.testing.assert_array_equal(letters == "C", expected == 0)
    assert 0 < (expected == 1).mean() < 1
    v = built.variants
    at_site = v["pos"] == 31096368
    np.testing.assert_array_equal(np.sort(v["subject_index"][at_site]),
                                  np.flatnonzero((expected == 1).any(axis=1)))


def test_getrm_unphased_with_indels_and_multiallelics(shared_data):
    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    windows = load_windows(REPO_ROOT / "configs/data/windows/grch38_pgx.yaml")[:1]  # VKORC1
    path = shared_data / "vcf" / "getrm_wgs30x_grch38_chr16_VKORC1.vcf.bgz"
    callset = read_vcf(path, windows=windows, reference=reference)
    built = PersonalWindowBuilder(reference, windows, phased=False).build(callset)
    v = built.variants
    is_indel = allele_lengths(v["ref"]) != allele_lengths(v["alt"])
    assert is_indel.any() and not v["applied"][is_indel].any() and v["applied"][~is_indel].all()
    assert built.report.n_indel_alleles == int(
        v["allele_count"][is_indel].sum())
    changed = np.argwhere(built.codes[:, 0, 0] != built.reference_codes[0])
    snv_positions = {(s, o) for s, o, ok in zip(v["subject_index"], v["offset"], v["applied"],
                                                   strict=True) if ok}
    assert {tuple(x) for x in changed} == snv_positions
