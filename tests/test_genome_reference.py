"""Reference access: whole-chromosome and region-slice records, naming, orientation, errors."""

from __future__ import annotations

import pytest
from genome_fixtures import CHR1, CHR2, COMPLEMENT, WINDOWS, write_fasta

from pgxdl.genome.encoding import decode
from pgxdl.genome.errors import ContigNotFoundError, RegionOutsideReferenceError
from pgxdl.genome.reference.builds import (
    build_from_contig_lengths,
    build_from_text,
    normalise_chrom,
)
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec, load_windows
from pgxdl.paths import REPO_ROOT


@pytest.fixture
def reference(tmp_path):
    return ReferenceGenome(write_fasta(tmp_path))


def test_whole_and_region_records(reference):
    plus, minus = WINDOWS
    assert decode(reference.fetch_codes(plus)) == CHR1[10:30]
    assert decode(reference.fetch_codes(minus)) == CHR2[20:40]  # chr2:121-140 in a 101- slice
    assert reference.contigs == ["chr1", "chr2"]
    assert reference.build == "GRCh38"  # from the file name


def test_chr_prefix_is_optional(reference):
    window = WindowSpec("w", "g", "2", 121, 140, "+")
    assert decode(reference.fetch_codes(window)) == CHR2[20:40]
    assert reference.has_contig("chr1") and reference.has_contig("1")


def test_oriented_minus_strand_is_reverse_complement(reference):
    _, minus = WINDOWS
    expected = CHR2[20:40].translate(COMPLEMENT)[::-1]
    assert decode(reference.fetch_codes(minus, oriented=True)) == expected
    plus_window = WINDOWS[0]
    assert decode(reference.fetch_codes(plus_window, oriented=True)) == CHR1[10:30]


def test_missing_contig_lists_available(reference):
    with pytest.raises(ContigNotFoundError, match=r"'chr7'.*available contigs: chr1, chr2"):
        reference.fetch_codes(WindowSpec("w", "g", "chr7", 1, 5))


def test_window_outside_record(reference):
    with pytest.raises(RegionOutsideReferenceError, match=r"chr2:95-110.*chr2:101-160"):
        reference.fetch_codes(WindowSpec("w", "g", "chr2", 95, 110))
    with pytest.raises(RegionOutsideReferenceError, match="chr1:50-70"):
        reference.fetch_codes(WindowSpec("w", "g", "chr1", 50, 70))


def test_build_names_and_lengths():
    assert normalise_chrom("chrM") == "MT" and normalise_chrom("Chr10") == "10"
    assert build_from_text("pypgx_1kgp_phase3_VKORC1_GRCh37.vcf.gz") == "GRCh37"
    assert build_from_text("file:///x/GRCh38_full_analysis_set_plus_decoy_hla.fa") == "GRCh38"
    assert build_from_text("hg19 lifted to hg38") is None
    assert build_from_contig_lengths({"chr16": 90338345}) == "GRCh38"
    assert build_from_contig_lengths({"16": 90354753}) == "GRCh37"
    assert build_from_contig_lengths({"16": 1000}) is None


def test_real_reference_bases_at_key_variants(shared_data):
    """Bases from the data README's table, read through region-slice records."""
    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    expected = {("chr16", 31096368): "C", ("chr10", 94942290): "C", ("chr10", 94981296): "A",
                ("chr10", 94761900): "C", ("chr10", 94780653): "G", ("chr10", 94781859): "G",
                ("chr22", 42128945): "C"}
    for (chrom, pos), letter in expected.items():
        assert reference.fetch_text(chrom, pos, pos) == letter
    assert reference.build == "GRCh38"
    windows = load_windows(REPO_ROOT / "configs" / "data" / "windows" / "grch38_pgx.yaml")
    assert [len(reference.fetch_codes(w)) for w in windows] == [
        11102, 15609, 16000, 5514, 5623, 11312]


def test_refseq_accessions_by_table():
    """GRCh38 and GRCh37 RefSeq accessions of the primary chromosomes map to their numbers;
    an unknown version does not (it would silently be another sequence)."""
    from pgxdl.genome.reference.builds import (
        REFSEQ_CONTIGS,
        build_from_refseq,
        normalise_chrom,
    )

    assert normalise_chrom("NC_000010.11") == normalise_chrom("chr10") == "10"
    assert normalise_chrom("NC_000016.9") == "16" and normalise_chrom("NC_000023.11") == "X"
    assert normalise_chrom("NC_000024.10") == "Y" and normalise_chrom("NC_012920.1") == "MT"
    assert normalise_chrom("NC_000010.99") == "NC_000010.99"
    assert sum(build == "GRCh38" for _, build in REFSEQ_CONTIGS.values()) == 25
    assert build_from_refseq(["NC_000010.11", "NC_000022.11"]) == "GRCh38"
    assert build_from_refseq(["NC_000010.10"]) == "GRCh37"
    assert build_from_refseq(["NC_000010.10", "NC_000022.11"]) is None
