"""Bad-input cases of the vcf_ehr genome options and coverage (issue 14 items 2-6): each
documented option changes the store as documented, each bad coverage or REF is an error."""

from __future__ import annotations

import h5py

from benchmarks.bad_input_case import error_case, handled_case
from benchmarks.bad_input_cases_vcf import (
    VCF,
    _build_vcf,
    _gvcf_outside,
    _provenance,
    _reference_text,
    _sites_ok,
    _window_letters,
    _with,
)
from benchmarks.bad_input_world import (
    LENGTH,
    WINDOWS,
    alt_base,
    check_sites,
    default_records,
    expected_letters,
    parse_vcf_text,
    ref_base,
    stored_letters,
)
from pgxdl.genome.errors import GenomeInputError, ReferenceMismatchError


def _only_chr1(world):
    world.write_vcf(records=[r for r in default_records() if r[0] == "chr1"])


def _uncovered(policy):
    def run(world):
        _only_chr1(world)
        return world.build(uncovered_windows=policy)
    return run


def _check_uncovered_n(world, store):
    check_sites(world, store, windows=(0,))
    assert set(_window_letters(store, 1)) == {"N" * LENGTH}, "w2 not all N"
    assert _provenance(store)["build_report"]["uncovered_windows"] == {"w2": "N"}


def _check_uncovered_reference(world, store):
    check_sites(world, store, windows=(0,))
    assert set(_window_letters(store, 1)) == {_reference_text(1)}
    assert any("w2 -> reference" in line for line in world.printed), world.printed


def _ref_only_mismatch(world):
    pos = 30
    wrong = alt_base(ref_base("chr1", pos))
    world.write_vcf(records=_with(default_records(), ("chr1", pos, "rsRefOnly", wrong, ".",
                                                      ["0/0"] * 6)))
    return world.build()


def _snv_mismatch(world, tolerance=None):
    pos = 33
    wrong = alt_base(ref_base("chr1", pos))
    world.write_vcf(records=_with(default_records(), ("chr1", pos, "rsBad", wrong,
                                                      alt_base(wrong), ["0/1"] * 6)))
    return world.build(**({} if tolerance is None else {"ref_mismatch_tolerance": tolerance}))


def _check_tolerated(world, store):
    offset = 33 - WINDOWS[0]["start"]
    assert stored_letters(store, 0, offset) == [ref_base("chr1", 33)] * 6, "mismatch applied"
    report = _provenance(store)["build_report"]
    assert report["sites"]["n_ref_mismatch_sites"] == 1
    for w_offset, letters in expected_letters(world.config["vcf"], world.samples,
                                              WINDOWS[0]).items():
        if w_offset != offset:
            assert stored_letters(store, 0, w_offset) == letters


def _extra_samples(world, policy=None):
    samples = [*world.samples, "S7"]
    records = [(*r[:5], [*r[5], "1/1"]) for r in default_records()]
    world.write_vcf(records=records, samples=samples)
    return world.build(**({} if policy is None else {"extra_vcf_samples": policy}))


def _check_extra_samples(world, store):
    check_sites(world, store)
    assert _provenance(store)["build_report"]["vcf_samples_not_in_ehr"] == 1
    assert any("not used: 1" in line for line in world.printed), world.printed


def _missing_policy(policy):
    def run(world):
        return world.build(**({} if policy is None else {"missing_policy": policy}))
    return run


def _check_missing_n(world, store):
    check_sites(world, store, missing="N")
    assert stored_letters(store, 0, 25 - 21)[4] == "N"


def _check_missing_reference(world, store):
    check_sites(world, store)
    assert any("missing calls at variant sites: 2" in line for line in world.printed), \
        world.printed


def _indel_policies(world):
    pos = 50
    deletion = ("chr1", pos, "rsDel", ref_base("chr1", pos, 2), ref_base("chr1", pos),
                ["0/0", "0/1", "0/0", "0/0", "0/0", "0/0"])
    world.write_vcf(records=_with(default_records(), deletion))
    skipped = _window_letters(world.build(), 0)
    masked = _window_letters(world.build(indel_policy="mask"), 0)
    return skipped, masked


def _check_indel_policies(world, result):
    skipped, masked = result
    offset = 51 - WINDOWS[0]["start"]  # the deleted base
    assert skipped[1][offset] == ref_base("chr1", 51), "skip changed the base"
    assert masked[1][offset] == "N", "mask did not write N"
    assert [m[offset] for i, m in enumerate(masked) if i != 1] == \
        [s[offset] for i, s in enumerate(skipped) if i != 1]


def _phased(unphased_het: bool):
    def run(world):
        records = [(*r[:5], [g.replace("/", "|") if "." not in g else "0|0" for g in r[5]])
                   for r in default_records()]
        if unphased_het:
            records[0] = (*records[0][:5], ["0/1", *records[0][5][1:]])
        world.write_vcf(records=records)
        return world.build(phased=True)
    return run


def _check_phased(world, store):
    window = WINDOWS[0]
    _, records = parse_vcf_text(world.config["vcf"])
    with h5py.File(store, "r") as h5:
        codes = h5["sequence/codes"][:]
    assert codes.shape[2] == 2, "phased store needs two tracks"
    for chrom, pos, ref, alts, gts in records:
        if chrom != "chr1":
            continue
        for s, gt in enumerate(gts):
            for track, allele in enumerate(gt.split("|")):
                want = ([ref] + alts)[int(allele)]
                got = "ACGTNMRWSYK"[codes[s, 0, track, pos - window["start"]]]
                assert got == want, f"{pos} sample {s} track {track}: {got} != {want}"


def _oriented(world, store):
    check_sites(world, store, windows=(0,))
    complement = str.maketrans("ACGTMRWSYKN", "TGCAKYWSRMN")
    plus = {offset: letters for offset, letters in
            expected_letters(world.config["vcf"], world.samples, WINDOWS[1]).items()}
    stored = _window_letters(store, 1)
    for offset, letters in plus.items():
        assert [row[LENGTH - 1 - offset] for row in stored] == \
            [x.translate(complement) for x in letters]


def _half_missing(policy):
    def run(world):
        records = default_records()
        records[0] = (*records[0][:5], ["1/.", "./1", "0/.", "./.", "1|.", "0/0"])
        world.write_vcf(records=records)
        return world.build(**({} if policy is None else {"missing_policy": policy}))
    return run


CASES = [
    error_case("vcf_gvcf_no_record_in_windows", "vcf", _gvcf_outside, GenomeInputError, VCF,
               "no record overlaps 2 of 2 windows", "w1", "uncovered_windows", issue="14.2"),
    error_case("vcf_window_not_covered", "vcf", _build_vcf(
        records=[r for r in default_records() if r[0] == "chr1"]), GenomeInputError, VCF,
        r"w2 \(chr2:21-60\)", "homozygous reference", "uncovered_windows", issue="14.3"),
    handled_case("uncovered_window_policy_N", "vcf", _uncovered({"w2": "N"}),
                 _check_uncovered_n, issue="14.3"),
    handled_case("uncovered_window_policy_reference", "vcf", _uncovered("reference"),
                 _check_uncovered_reference, issue="14.3"),
    error_case("uncovered_window_policy_unknown_window", "config", _uncovered({"W2": "N"}),
               ValueError, "uncovered_windows", "did you mean 'w2'"),
    error_case("vcf_header_only", "vcf", _build_vcf(records=[]), GenomeInputError, VCF,
               "no record overlaps 2 of 2"),
    error_case("vcf_ref_mismatch_reference_only_row", "vcf", _ref_only_mismatch,
               ReferenceMismatchError, VCF, "reference-only", "chr1:30", "tolerance",
               issue="14.4"),
    error_case("vcf_ref_mismatch_variant", "vcf", _snv_mismatch, ReferenceMismatchError,
               VCF, "chr1:33", "REF", "tolerance"),
    handled_case("option_ref_mismatch_tolerance", "vcf",
                 lambda w: _snv_mismatch(w, tolerance=0.5), _check_tolerated, issue="14.6"),
    handled_case("vcf_samples_absent_from_ehr_reported", "vcf", _extra_samples,
                 _check_extra_samples, issue="14.5"),
    error_case("option_extra_vcf_samples_error", "vcf", lambda w: _extra_samples(w, "error"),
               GenomeInputError, VCF, "1 of its 7 samples", "extra_vcf_samples", issue="14.5"),
    handled_case("option_missing_policy_N", "vcf", _missing_policy("N"), _check_missing_n,
                 issue="14.6"),
    handled_case("option_missing_policy_reference", "vcf", _missing_policy(None),
                 _check_missing_reference, issue="14.17"),
    handled_case("option_indel_policy_mask_vs_skip", "vcf", _indel_policies,
                 _check_indel_policies, issue="14.6"),
    handled_case("option_phased_true", "vcf", _phased(False), _check_phased, issue="14.6"),
    error_case("phased_true_with_unphased_het", "vcf", _phased(True), GenomeInputError,
               "unphased", "chr1:25", "phased=False"),
    handled_case("option_oriented_minus_strand", "vcf",
                 lambda w: w.build(oriented=True), _oriented),
    handled_case("vcf_half_missing_calls", "vcf", _half_missing(None), _sites_ok),
    handled_case("vcf_half_missing_calls_as_N", "vcf", _half_missing("N"),
                 lambda w, s: check_sites(w, s, missing="N")),
]


def _outside_mismatches(world, **overrides):
    """Six records outside the windows whose REF differs from the reference (a build check
    over every record read, governed by min_ref_match)."""
    wrong = []
    for pos in range(70, 100, 5):
        other = alt_base(ref_base("chr1", pos))
        wrong.append(("chr1", pos, ".", other, alt_base(other), ["0/0"] * 6))
    world.write_vcf(records=sorted([*default_records(), *wrong], key=lambda r: (r[0], r[1])))
    return world.build(**overrides)


def _stored_drug(world, store):
    with h5py.File(store, "r") as h5:
        assert h5["drugs/name"][0].decode() == "warfarin"


def _seeds(world):
    return [world.build(out=world.folder / f"s{seed}.h5", seed=seed, split={})
            for seed in (0, 1)]


def _check_seeds(world, stores):
    with h5py.File(stores[0], "r") as a, h5py.File(stores[1], "r") as b:
        assert (a["splits/default"][:] != b["splits/default"][:]).any(), "seed ignored"


CASES += [
    error_case("vcf_build_mismatch_by_ref_rate", "vcf", _outside_mismatches,
               GenomeInputError, VCF, "only 3 of 9 REF alleles", "need 90%, min_ref_match",
               "lift over"),
    handled_case("option_min_ref_match", "vcf",
                 lambda w: _outside_mismatches(w, min_ref_match=0.3), _sites_ok),
    handled_case("option_drug_name", "vcf", lambda w: w.build(drug="warfarin"), _stored_drug),
    handled_case("option_seed_changes_splits", "vcf", _seeds, _check_seeds),
]
