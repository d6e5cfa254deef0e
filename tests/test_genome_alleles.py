"""The shipped allele-definition table, checked against the real FASTA and 1000 Genomes."""

from __future__ import annotations

import pytest
import yaml

from pgxdl.genome.errors import AlleleTableError, UnknownStarAlleleError
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.alleles import AlleleTable, default_allele_table
from pgxdl.genome.variants.vcf import read_vcf

REQUIRED = {"rs1799853": ("chr10", 94942290, "C", "T"), "rs1057910": ("chr10", 94981296, "A", "C"),
            "rs9923231": ("chr16", 31096368, "C", "T"), "rs4244285": ("chr10", 94781859, "G", "A"),
            "rs4986893": ("chr10", 94780653, "G", "A"), "rs12248560": ("chr10", 94761900, "C", "T"),
            "rs3892097": ("chr22", 42128945, "C", "T")}


def test_required_variants_and_star_alleles():
    table = default_allele_table()
    assert table.build == "GRCh38"
    for rsid, (chrom, pos, ref, alt) in REQUIRED.items():
        v = table.variants[rsid]
        assert (v.chrom, v.pos, v.ref, v.alt) == (chrom, pos, ref, alt)
    assert table.star_variants("CYP2C9", "*2") == ("rs1799853",)
    assert table.star_variants("CYP2C9", "*3") == ("rs1057910",)
    assert table.star_variants("CYP2C9", "*1") == ()
    assert table.star_variants("CYP2D6", "*4") == ("rs3892097",)
    with pytest.raises(UnknownStarAlleleError, match=r"'\*99'.*\*1, \*2, \*3"):
        table.star_variants("CYP2C9", "*99")


def test_every_ref_matches_the_fasta(shared_data):
    reference = ReferenceGenome(shared_data / "reference" / "GRCh38_pgx_regions.fa")
    outside = []
    for v in default_allele_table().variants.values():
        if reference.find_record(v.chrom, v.pos, v.pos + len(v.ref) - 1) is None:
            outside.append(v.rsid)
            continue
        assert reference.fetch_text(v.chrom, v.pos, v.pos + len(v.ref) - 1) == v.ref, v.rsid
    assert outside == ["rs9332131"]  # CYP2C9*6, between the two CYP2C9 records


def test_every_ref_alt_is_a_1kgp_site(shared_data):
    """Independent check of the ALT alleles: each variant is a record of the 1kgp VCFs."""
    table = default_allele_table()
    for gene in table.genes:
        variants = [v for v in table.variants.values() if v.gene == gene]
        windows = [WindowSpec(v.rsid, gene, v.chrom, v.pos, v.pos) for v in variants]
        callset = read_vcf(shared_data / "1kgp" / f"{gene}_GRCh38.vcf.gz", samples=[],
                           windows=windows)
        sites = set(zip(callset.pos.tolist(), callset.ref, callset.alt, strict=True))
        for v in variants:
            assert (v.pos, v.ref, v.alt) in sites, v.rsid


def test_invalid_tables(tmp_path):
    path = tmp_path / "alleles.yaml"
    path.write_text(yaml.safe_dump({"variants": {"rs1": {"gene": "G", "chrom": "1", "pos": 5,
                                                         "ref": "A"}}}))
    with pytest.raises(AlleleTableError, match=r"rs1 lacks \['alt'\]"):
        AlleleTable.from_yaml(path)
    path.write_text(yaml.safe_dump({"variants": {}, "genes": {
        "G": {"strand": "+", "star_alleles": {"*2": ["rs404"]}}}}))
    with pytest.raises(AlleleTableError, match=r"undefined variants \['rs404'\]"):
        AlleleTable.from_yaml(path)
