"""VCF reading: phasing, multi-allelic splitting, missing calls, naming, samples, errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from genome_fixtures import base, other_base, write_fasta, write_vcf

from pgxdl.genome.errors import (
    BuildMismatchError,
    GenomeInputError,
    MalformedVCFError,
    SampleNotFoundError,
)
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.vcf import read_vcf

SAMPLES = ["s1", "s2", "s3"]


def _records():
    """A SNV (phased), a tri-allelic SNV (unphased, one missing), an indel, a haploid call."""
    r1, r2, r3 = base("chr1", 12), base("chr1", 20), base("chr1", 25, 2)
    a2, b2 = other_base(r2, 1), other_base(r2, 2)
    return [
        ("chr1", 12, "rsA", r1, other_base(r1), ["0|1", "1|0", "1|1"]),
        ("chr1", 20, ".", r2, f"{a2},{b2}", ["1/2", "./.", "0/2"]),
        ("chr1", 25, "rsDel", r3, r3[0], ["0/1", "0/0", "1/1"]),
        ("chr2", 125, "rsHap", base("chr2", 125), other_base(base("chr2", 125)), ["1", "0", "."]),
    ]


def test_phased_unphased_split_missing_haploid(tmp_path):
    callset = read_vcf(write_vcf(tmp_path, _records(), SAMPLES))
    assert callset.samples == SAMPLES
    assert list(callset.pos) == [12, 20, 20, 25, 125]
    assert list(callset.ids) == ["rsA", ".", ".", "rsDel", "rsHap"]
    g = callset.genotypes
    np.testing.assert_array_equal(g[:, 0], [[0, 1], [1, 0], [1, 1]])
    # 1/2 splits into alt-1 row (1, 0) and alt-2 row (0, 1); ./. is -1 in both rows
    np.testing.assert_array_equal(g[:, 1], [[1, 0], [-1, -1], [0, 0]])
    np.testing.assert_array_equal(g[:, 2], [[0, 1], [-1, -1], [0, 1]])
    np.testing.assert_array_equal(g[:, 3], [[0, 1], [0, 0], [1, 1]])
    np.testing.assert_array_equal(g[:, 4], [[1, 1], [0, 0], [-1, -1]])  # haploid fills both
    np.testing.assert_array_equal(callset.phased[:, 0], [True, True, True])
    assert not callset.phased[:, 1:4].any()


def test_samples_in_requested_order_and_absent_sample(tmp_path):
    path = write_vcf(tmp_path, _records(), SAMPLES)
    full = read_vcf(path)
    subset = read_vcf(path, samples=["s3", "s1"])
    np.testing.assert_array_equal(subset.genotypes, full.genotypes[[2, 0]])
    assert subset.samples == ["s3", "s1"]
    np.testing.assert_array_equal(full.subset_samples(["s2"]).genotypes, full.genotypes[[1]])
    with pytest.raises(SampleNotFoundError, match=rf"2 of 3 .*{path.name}: P9, P7"):
        read_vcf(path, samples=["s1", "P9", "P7"])
    with pytest.raises(SampleNotFoundError, match="P9"):
        full.subset_samples(["P9"])
    with pytest.raises(GenomeInputError, match=r"more than once: \['s1'\]"):
        read_vcf(path, samples=["s1", "s2", "s1"])


def test_windows_and_chr_prefix(tmp_path):
    records = [("1" if r[0] == "chr1" else "2",) + r[1:] for r in _records()]
    path = write_vcf(tmp_path, records, SAMPLES)
    windows = [WindowSpec("w", "g", "chr1", 15, 30), WindowSpec("v", "g", "chr2", 120, 130)]
    callset = read_vcf(path, windows=windows)
    assert list(callset.pos) == [20, 20, 25, 125]
    assert list(callset.chrom) == ["1", "1", "1", "2"]
    assert callset.restrict_to_windows(windows[:1]).n_variants == 3


def test_indexed_region_queries_match_streaming(tmp_path):
    windows = [WindowSpec("w", "g", "chr1", 15, 30), WindowSpec("v", "g", "chr1", 20, 40)]
    gz = write_vcf(tmp_path, _records(), SAMPLES, compress=True)
    indexed = read_vcf(gz, windows=windows)
    streamed = read_vcf(gz, windows=windows, use_index=False)
    assert list(indexed.pos) == list(streamed.pos) == [20, 20, 25]  # no duplicates
    np.testing.assert_array_equal(indexed.genotypes, streamed.genotypes)


def test_bcf_reads_like_vcf(tmp_path):
    pysam = pytest.importorskip("pysam")
    vcf = write_vcf(tmp_path, _records(), SAMPLES)
    bcf = tmp_path / "calls.bcf"
    with pysam.VariantFile(str(vcf)) as source, \
            pysam.VariantFile(str(bcf), "wb", header=source.header) as out:
        for record in source:
            out.write(record)
    np.testing.assert_array_equal(read_vcf(bcf).genotypes, read_vcf(vcf).genotypes)


@pytest.mark.parametrize("line, message", [
    ("chr1\tXX\t.\tA\tG\t.\t.\t.\tGT\t0/1\t0/0\t0/0", r"line {n} \(chr1:XX\): field POS"),
    ("chr1\t10\t.\tA", r"line {n}: 4 tab-separated columns"),
    ("chr1 10 . A G . . . GT 0/1 0/0 0/0", r"line {n}: 1 tab-separated columns"),
    ("chr1\t10\t.\tA?\tG\t.\t.\t.\tGT\t0/1\t0/0\t0/0", r"line {n} .*field REF"),
    ("chr1\t10\t.\tA\tG\t.\t.\t.\tGT\t0/3\t0/0\t0/0",
     r"line {n} .*GT of sample column 10 names allele 3"),
    ("chr1\t10\t.\tA\tG\t.\t.\t.\tGT\tfoo\t0/0\t0/0", r"line {n} .*htslib cannot parse"),
])
def test_malformed_line_names_file_and_line(tmp_path, line, message):
    path = write_vcf(tmp_path, [("chr1", 5, ".", "A", "G", ["0/0"] * 3)], SAMPLES)
    path.write_text(path.read_text() + line + "\n")
    number = path.read_text().count("\n")  # the bad line is the last one
    with pytest.raises(MalformedVCFError, match=message.format(n=number)) as info:
        read_vcf(path)
    assert str(path) in str(info.value)


def test_build_mismatch_from_header(tmp_path):
    reference = ReferenceGenome(write_fasta(tmp_path), build="GRCh38")
    header = "##contig=<ID=chr16,length=90354753>"
    path = write_vcf(tmp_path, _records(), SAMPLES, header=header)
    with pytest.raises(BuildMismatchError, match=r"build.*GRCh37.*contig lengths.*GRCh38"):
        read_vcf(path, reference=reference)


def test_build_mismatch_from_reference_alleles(tmp_path):
    reference = ReferenceGenome(write_fasta(tmp_path), build="GRCh38")
    shifted = [("chr1", p, ".", other_base(base("chr1", p)), "N", ["0/0"] * 3)
               for p in range(2, 14)]
    path = write_vcf(tmp_path, shifted, SAMPLES, name="calls_hg19.vcf")
    with pytest.raises(BuildMismatchError, match=r"GRCh37 \(from its file name\).*GRCh38.*0 of 12"):
        read_vcf(path, reference=reference)
    assert read_vcf(write_vcf(tmp_path, _records(), SAMPLES), reference=reference).n_variants


def _text_genotype_counts(path, samples=None):
    """Independent parse: (alt-allele count, missing count) per split row, via plain text."""
    rows = []
    with gzip.open(path, "rt") as handle:
        for line in handle:
            if line.startswith("##"):
                continue
            fields = line.rstrip("\n").split("\t")
            if line.startswith("#"):
                columns = fields[9:]
                keep = [columns.index(s) for s in samples] if samples else range(len(columns))
                continue
            gts = [fields[9 + i].replace("|", "/").split("/") for i in keep]
            for k, alt in enumerate(fields[4].split(","), start=1):
                if alt in ("*",) or alt.startswith("<"):
                    continue
                alleles = [a for gt in gts for a in gt]
                rows.append((sum(a == str(k) for a in alleles), sum(a == "." for a in alleles)))
    return np.array(rows)


def test_getrm_vcf_against_text_parse(shared_data):
    """Multi-allelic rows, indels and ./. in a real unphased VCF."""
    path = shared_data / "vcf" / "getrm_wgs30x_grch38_chr16_VKORC1.vcf.bgz"
    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    callset = read_vcf(path, reference=reference)
    expected = _text_genotype_counts(path)
    assert callset.n_samples == 3 and callset.n_variants == len(expected) > 71021
    np.testing.assert_array_equal((callset.genotypes == 1).sum(axis=(0, 2)), expected[:, 0])
    np.testing.assert_array_equal((callset.genotypes == -1).sum(axis=(0, 2)), expected[:, 1])
    assert not callset.phased.any()
    assert callset.is_indel.any() and (callset.pos[1:] == callset.pos[:-1]).any()


def test_1kgp_vcf_sample_order_and_absent(shared_data):
    path = shared_data / "1kgp" / "VKORC1_GRCh38.vcf.gz"
    picked = ["NA12878", "HG00096"]
    callset = read_vcf(path, samples=picked)
    expected = _text_genotype_counts(path, picked)
    np.testing.assert_array_equal((callset.genotypes == 1).sum(axis=(0, 2)), expected[:, 0])
    assert callset.samples == picked and callset.phased.all()
    with pytest.raises(SampleNotFoundError, match=r"1 of 2 .*VKORC1_GRCh38.vcf.gz: NOT_A_SAMPLE"):
        read_vcf(path, samples=["HG00096", "NOT_A_SAMPLE"])


@pytest.mark.parametrize("windowed", [False, True])
def test_grch37_vcf_against_grch38_reference(shared_data, windowed):
    from pgxdl.genome.reference.windows import load_windows
    from pgxdl.paths import REPO_ROOT

    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    windows = load_windows(REPO_ROOT / "configs/data/windows/grch38_pgx_2kb.yaml")
    path = shared_data / "vcf" / "pypgx_1kgp_phase3_VKORC1_GRCh37.vcf.gz"
    with pytest.raises(BuildMismatchError, match=r"build.*GRCh37.*GRCh38") as info:
        read_vcf(path, windows=windows if windowed else None, reference=reference)
    assert path.name in str(info.value) and "GRCh38_pgx_regions.fa" in str(info.value)
