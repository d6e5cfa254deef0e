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
    ref_base,
)
from pgxdl.genome.errors import (
    BuildMismatchError,
    ContigNotFoundError,
    MalformedVCFError,
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
    """Compare with the plain text the compressed (or BCF) file was made from."""
    world.config["vcf"] = str(world.folder / "calls.vcf")
    check_sites(world, store)


def _bcf(world, records=None):
    import pysam

    plain = world.write_vcf(records=records)
    bcf = plain.with_name("calls.bcf")
    with pysam.VariantFile(str(plain)) as source, \
            pysam.VariantFile(str(bcf), "wb", header=source.header) as sink:
        for record in source:
            sink.write(record)
    world.config["vcf"] = str(bcf)
    return world.build()


def _bcf_without_gt(world):
    ref = ref_base("chr1", 25)
    records = [("chr1", 25, ".", ref, alt_base(ref), ["7"] * 6, ".", "DP"),
               *default_records()[1:]]
    return _bcf(world, records)


def _renamed_ids(world, vcf_names, ehr_names):
    world.samples = vcf_names
    world.write_vcf()
    world.write_ehr(world.ehr_frame.assign(subject=ehr_names))
    return world.build()


def _truncated_gzip(world):
    data = gzip.compress(world.vcf_text().encode())
    world.write_vcf(data[: len(data) // 2], name="calls.vcf.gz")
    return world.build()


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
    handled_case("vcf_gvcf_block_covers_window", "vcf", _gvcf_block, _check_gvcf_block),
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
    error_case("vcf_duplicate_record", "vcf",
               _build_vcf(records=[*default_records(), default_records()[1]]), MalformedVCFError,
               VCF, r"line \d+", "repeats the variant", "chr1:44", "bcftools norm -d"),
    handled_case("vcf_bcf_input", "vcf", _bcf, _check_bgzipped),
    error_case("vcf_bcf_record_without_gt", "vcf", _bcf_without_gt, MalformedVCFError,
               r"calls\.bcf", "chr1:25", "FORMAT has no GT"),
    error_case("ehr_ids_leading_zeros_lost", "ehr",
               lambda w: _renamed_ids(w, [f"00{i}" for i in range(1, 7)],
                                      [str(i) for i in range(1, 7)]),
               SampleNotFoundError, "6 of 6", "match a sample name up to case, spaces, "
               "leading zeros or a '.0'", issue="14.14"),
    error_case("vcf_grch37_contig_lengths", "vcf", _grch37_lengths, BuildMismatchError,
               VCF, "GRCh37", "##contig lengths", "GRCh38"),
]
