"""Bad-input cases of VCFs and of the vcf_ehr genome options (issue 14 items 1-7, 9, 10)."""

from __future__ import annotations

import gzip
import json

import h5py

from benchmarks.bad_input_case import error_case, handled_case
from benchmarks.bad_input_world import (
    LENGTH,
    WINDOWS,
    alt_base,
    check_sites,
    default_records,
    expected_letters,
    ref_base,
    stored_letters,
)
from pgxdl.genome.errors import (
    BuildMismatchError,
    ContigNotFoundError,
    GenomeInputError,
    MalformedVCFError,
    ReferenceMismatchError,
    SampleNotFoundError,
)

VCF = r"calls\.vcf"


def _with(records: list[tuple], *extra: tuple) -> list[tuple]:
    return [*records, *extra]


def _renamed(mapping: dict) -> list[tuple]:
    return [(mapping[r[0]], *r[1:]) for r in default_records()]


def _build_vcf(**vcf_kw):
    def run(world):
        world.write_vcf(**vcf_kw)
        return world.build()
    return run


def _build_text(edit):
    """Write the default VCF text changed by ``edit(text) -> text | bytes``, then build."""
    def run(world):
        world.write_vcf(edit(world.vcf_text()))
        return world.build()
    return run


def _sites_ok(world, store):
    check_sites(world, store)


def _provenance(store) -> dict:
    with h5py.File(store, "r") as h5:
        return json.loads(h5.attrs["provenance"])


def _window_letters(store, w: int) -> list[str]:
    with h5py.File(store, "r") as h5:
        codes = h5["sequence/codes"][:, w, 0, :]
    return ["".join("ACGTNMRWSYK"[c] for c in row) for row in codes]


def _reference_text(w: int) -> str:
    window = WINDOWS[w]
    return ref_base(window["chrom"], window["start"], LENGTH)


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


def _gvcf_block(world):
    records = [("chr1", 1, ".", ref_base("chr1", 1), "<NON_REF>", ["0/0"] * 6, "END=24"),
               default_records()[0],
               ("chr2", 1, ".", ref_base("chr2", 1), "<NON_REF>", ["0/0"] * 6, "END=120")]
    world.write_vcf(records=records, header_lines=['##ALT=<ID=NON_REF,Description="any">'])
    return world.build()


def _check_gvcf_block(world, store):
    check_sites(world, store, windows=(0,))
    report = _provenance(store)["build_report"]
    assert report["vcf"]["uncovered_windows"] == [], report["vcf"]
    assert report["vcf"]["n_alts_without_sequence"] == 0  # both blocks start outside windows
    assert set(_window_letters(store, 1)) == {_reference_text(1)}


def _gvcf_outside(world):
    records = [("chr1", 80, ".", ref_base("chr1", 80), "<NON_REF>", ["0/0"] * 6, "END=120"),
               ("chr2", 90, ".", ref_base("chr2", 90), "<NON_REF>", ["0/0"] * 6, "END=120")]
    world.write_vcf(records=records)
    return world.build()


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


def _no_gt(inside: bool):
    def run(world):
        pos = 25 if inside else 100
        ref = ref_base("chr1", pos)
        no_gt = ("chr1", pos, ".", ref, alt_base(ref), ["7"] * 6, ".", "DP")
        records = sorted([r for r in default_records() if r[1] != pos] + [no_gt],
                         key=lambda r: (r[0], r[1]))
        world.write_vcf(records=records)
        return world.build()
    return run


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
    from benchmarks.bad_input_world import parse_vcf_text

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


def _multiallelic(world):
    pos = 25
    ref = ref_base("chr1", pos)
    a1, a2 = alt_base(ref), alt_base(alt_base(ref))
    records = default_records()
    records[0] = ("chr1", pos, "rsMulti", ref, f"{a1},{a2}",
                  ["1/2", "0/2", "2/2", "0/1", "./.", "0/0"])
    world.write_vcf(records=records)
    return world.build()


def _check_multiallelic(world, store):
    check_sites(world, store)
    assert any("1 multi-allelic records split" in line for line in world.printed), world.printed


def _odd_alt(alt_suffix: str, header: str = ""):
    def run(world):
        records = default_records()
        chrom, pos, vid, ref, alt, gts = records[1]
        records[1] = (chrom, pos, vid, ref, f"{alt},{alt_suffix}",
                      ["0/2", "0/1", "2/2", "1/2", "0/0", "0/0"])
        world.write_vcf(records=records, header_lines=[header] if header else ())
        return world.build()
    return run


def _half_missing(policy):
    def run(world):
        records = default_records()
        records[0] = (*records[0][:5], ["1/.", "./1", "0/.", "./.", "1|.", "0/0"])
        world.write_vcf(records=records)
        return world.build(**({} if policy is None else {"missing_policy": policy}))
    return run


def _check_not_pass(world, store):
    check_sites(world, store)
    assert _provenance(store)["build_report"]["vcf"]["n_not_pass"] == 1
    assert any("FILTER not PASS, used all the same: 1" in line for line in world.printed)


def _check_odd_alt(world, store):
    check_sites(world, store)
    assert _provenance(store)["build_report"]["vcf"]["n_alts_without_sequence"] == 1


def _bgzipped(world):
    import pysam

    plain = world.write_vcf(name="calls.vcf")
    gz = plain.with_name("calls.vcf.gz")
    pysam.tabix_compress(str(plain), str(gz), force=True)
    pysam.tabix_index(str(gz), preset="vcf", force=True)
    world.config["vcf"] = str(gz)
    return world.build()


def _check_bgzipped(world, store):
    world.config["vcf"] = world.config["vcf"].removesuffix(".gz")
    check_sites(world, store)


def _truncated_gzip(world):
    data = gzip.compress(world.vcf_text().encode())
    world.write_vcf(data[: len(data) // 2], name="calls.vcf.gz")
    return world.build()


def _oriented(world, store):
    check_sites(world, store, windows=(0,))
    complement = str.maketrans("ACGTMRWSYKN", "TGCAKYWSRMN")
    plus = {offset: letters for offset, letters in
            expected_letters(world.config["vcf"], world.samples, WINDOWS[1]).items()}
    stored = _window_letters(store, 1)
    for offset, letters in plus.items():
        assert [row[LENGTH - 1 - offset] for row in stored] == \
            [x.translate(complement) for x in letters]


def _ehr_subset(world):
    world.write_ehr(world.ehr_frame.assign(subject=[*world.samples[:5], "S99"]))
    return world.build()


def _grch37_lengths(world):
    header = ["##contig=<ID=chr1,length=249250621>", "##contig=<ID=chr2,length=243199373>"]
    world.write_vcf(contigs=(), header_lines=header)
    return world.build()


def _haploid(world):
    records = [(*r[:5], ["0", "1", "1", "0", ".", "0"]) for r in default_records()]
    world.write_vcf(records=records)
    return world.build()


def _lower_case(world):
    records = [(*r[:3], r[3].lower(), r[4].lower(), r[5]) for r in default_records()]
    world.write_vcf(records=records)
    return world.build()


CASES = [
    handled_case("vcf_refseq_contigs", "vcf",
                 _build_vcf(records=_renamed({"chr1": "NC_000001.11", "chr2": "NC_000002.12"}),
                            contigs=("NC_000001.11", "NC_000002.12")), _sites_ok, issue="14.1"),
    error_case("vcf_refseq_grch37_accessions", "vcf",
               _build_vcf(records=_renamed({"chr1": "NC_000001.10", "chr2": "NC_000002.11"}),
                          contigs=("NC_000001.10", "NC_000002.11")),
               BuildMismatchError, VCF, "GRCh37", "RefSeq", "GRCh38", issue="14.1"),
    error_case("vcf_unknown_contig_names", "vcf",
               _build_vcf(records=_renamed({"chr1": "chromosome_1", "chr2": "chromosome_2"}),
                          contigs=("chromosome_1", "chromosome_2")),
               ContigNotFoundError, VCF, "chromosome_1", "chr1", "reference contigs",
               "rename-chrs"),
    handled_case("vcf_no_chr_prefix", "vcf",
                 _build_vcf(records=_renamed({"chr1": "1", "chr2": "2"}), contigs=("1", "2")),
                 _sites_ok),
    error_case("vcf_gvcf_no_record_in_windows", "vcf", _gvcf_outside, GenomeInputError, VCF,
               "no record overlaps 2 of 2 windows", "w1", "uncovered_windows", issue="14.2"),
    handled_case("vcf_gvcf_block_covers_window", "vcf", _gvcf_block, _check_gvcf_block),
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
    error_case("vcf_format_without_gt", "vcf", _no_gt(inside=True), MalformedVCFError, VCF,
               r"line \d+ \(chr1:25\)", "FORMAT has no GT", issue="14.9"),
    handled_case("vcf_format_without_gt_outside_windows", "vcf", _no_gt(inside=False),
                 _sites_ok, issue="14.9"),
    error_case("vcf_duplicate_sample_names", "vcf",
               _build_vcf(samples=["S1", "S2", "S3", "S4", "S5", "S1"]), MalformedVCFError,
               VCF, r"line \d+", "more than once", "column 15", "reheader", issue="14.10"),
    error_case("vcf_blank_sample_name", "vcf",
               _build_text(lambda t: t.replace("\tS6\n", "\t \n")), MalformedVCFError, VCF,
               "sample column 15 has no name"),
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
    handled_case("vcf_multiallelic_split", "vcf", _multiallelic, _check_multiallelic,
                 issue="14.17"),
    handled_case("vcf_symbolic_alt_dropped", "vcf",
                 _odd_alt("<DEL>", '##ALT=<ID=DEL,Description="Deletion">'), _check_odd_alt),
    handled_case("vcf_spanning_deletion_alt", "vcf", _odd_alt("*"), _check_odd_alt),
    handled_case("vcf_filter_not_pass_reported", "vcf",
                 _build_text(lambda t: t.replace("\tPASS\t", "\tLowQual\t", 1)),
                 _check_not_pass, issue="14.17"),
    handled_case("vcf_crlf_line_ends", "vcf", _build_text(lambda t: t.replace("\n", "\r\n")),
                 _sites_ok),
    error_case("vcf_utf8_bom", "vcf", _build_text(lambda t: "\ufeff" + t), MalformedVCFError,
               VCF, "line 1", "byte-order mark", "remove it"),
    handled_case("vcf_haploid_calls", "vcf", _haploid, _sites_ok),
    handled_case("vcf_lower_case_alleles", "vcf", _lower_case, _sites_ok),
    handled_case("vcf_bgzipped_indexed", "vcf", _bgzipped, _check_bgzipped),
    error_case("vcf_space_separated", "vcf",
               _build_text(lambda t: t.replace("chr1\t25\t", "chr1 25 ")), MalformedVCFError,
               VCF, r"line \d+", "tab-separated columns"),
    error_case("vcf_pos_not_integer", "vcf",
               _build_text(lambda t: t.replace("chr1\t25\t", "chr1\t25a\t")),
               MalformedVCFError, VCF, r"line \d+", "POS"),
    error_case("vcf_ref_not_sequence", "vcf",
               _build_text(lambda t: t.replace(f"rs25\t{ref_base('chr1', 25)}", "rs25\tR")),
               MalformedVCFError, VCF, r"line \d+", "field REF"),
    error_case("vcf_alt_not_allele", "vcf",
               _build_text(lambda t: t.replace(
                   f"rs25\t{ref_base('chr1', 25)}\t{alt_base(ref_base('chr1', 25))}",
                   f"rs25\t{ref_base('chr1', 25)}\tA-T")),
               MalformedVCFError, VCF, r"line \d+", "field ALT", "'A-T'"),
    error_case("vcf_record_before_header", "vcf",
               _build_text(lambda t: t.replace("#CHROM", "chr1\t5\t.\tA\tG\t.\t.\t.\n#CHROM",
                                               1)),
               MalformedVCFError, VCF, "line 7", "before the #CHROM"),
    error_case("vcf_not_a_vcf", "vcf", _build_text(lambda t: "id,age\nS1,50\n"),
               MalformedVCFError, VCF, "line 1", "is this a VCF"),
    error_case("vcf_no_fileformat_line", "vcf",
               _build_text(lambda t: t.replace("##fileformat=VCFv4.2\n", "")), MalformedVCFError,
               VCF, "line 1", "##fileformat"),
    handled_case("vcf_half_missing_calls", "vcf", _half_missing(None), _sites_ok),
    handled_case("vcf_half_missing_calls_as_N", "vcf", _half_missing("N"),
                 lambda w, s: check_sites(w, s, missing="N")),
    handled_case("vcf_gvcf_star_alt", "vcf", _odd_alt("<*>"), _check_odd_alt),
    error_case("vcf_empty_file", "vcf", _build_text(lambda t: ""), MalformedVCFError, VCF,
               "no #CHROM header line"),
    error_case("vcf_truncated_gzip", "vcf", _truncated_gzip, MalformedVCFError,
               r"calls\.vcf\.gz", "damaged or ends early", "bgzip"),
    error_case("vcf_missing_file", "vcf",
               lambda w: w.build(vcf=str(w.folder / "nope.vcf")), FileNotFoundError,
               r"nope\.vcf", "not found"),
    error_case("vcf_path_is_folder", "vcf", lambda w: w.build(vcf=str(w.folder)),
               MalformedVCFError, "is a folder"),
    error_case("vcf_fewer_sample_columns", "vcf",
               _build_text(lambda t: t.replace("\t0/0\n", "\n", 1)), MalformedVCFError, VCF,
               r"line \d+", "tab-separated columns", "declares 15"),
    error_case("vcf_ploidy_three", "vcf",
               _build_text(lambda t: t.replace("\t1/1\t", "\t1/1/1\t", 1)), MalformedVCFError,
               VCF, "ploidy > 2"),
    error_case("vcf_gt_allele_beyond_alt", "vcf",
               _build_text(lambda t: t.replace("\t1/1\t", "\t0/3\t", 1)), MalformedVCFError,
               VCF, "names allele 3 but ALT has 1"),
    error_case("ehr_subject_absent_from_vcf", "vcf", _ehr_subset, SampleNotFoundError,
               "S99", VCF, "exactly, as text"),
    error_case("vcf_grch37_contig_lengths", "vcf", _grch37_lengths, BuildMismatchError,
               VCF, "GRCh37", "##contig lengths", "GRCh38"),
]
