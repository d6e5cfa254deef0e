"""Genotype tables: rsID strings on either strand, star diplotypes, errors naming row/column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pgxdl.genome.errors import AlleleTableError, GenotypeParseError, UnknownStarAlleleError
from pgxdl.genome.variants.genotype_table import (
    callset_from_genotype_table,
    parse_diplotype,
    parse_genotype,
)


def test_parse_strings():
    assert parse_genotype("A/G") == ("A", "G", False)
    assert parse_genotype(" ag ") == ("A", "G", False)
    assert parse_genotype("T|C") == ("T", "C", True)
    assert parse_genotype(np.nan) is None and parse_genotype("NA") is None
    assert parse_diplotype("*1/*3") == ("*1", "*3", False)
    assert parse_diplotype("2/3") == ("*2", "*3", False)
    for bad in ("A/G/T", "AGT", "A", "X/Y", "A-G"):
        with pytest.raises(GenotypeParseError):
            parse_genotype(bad)
    with pytest.raises(GenotypeParseError):
        parse_diplotype("*1*3")


def test_rsid_column_plus_and_gene_strand():
    """rs9923231 is C>T on the + strand; IWPC writes it as G>A on the VKORC1 (-) strand."""
    table = pd.DataFrame({"plus": ["C/C", "C/T", "TT", None],
                          "gene_strand": ["G/G", "A/G", "A/A", "NA"]},
                         index=["p1", "p2", "p3", "p4"])
    plus = callset_from_genotype_table(table, {"plus": "rs9923231"})
    minus = callset_from_genotype_table(table, {"gene_strand": "rs9923231"})
    np.testing.assert_array_equal(plus.genotypes[:, 0], [[0, 0], [0, 1], [1, 1], [-1, -1]])
    np.testing.assert_array_equal(minus.genotypes[:, 0], [[0, 0], [1, 0], [1, 1], [-1, -1]])
    assert plus.samples == ["p1", "p2", "p3", "p4"] and not plus.phased.any()
    assert (plus.chrom[0], plus.pos[0], plus.ref[0], plus.alt[0]) == ("chr16", 31096368, "C", "T")


def test_palindromic_snp_needs_a_strand():
    """rs8050894 is C/G: 'G/G' on the VKORC1 strand is C/C (REF) on the + strand."""
    table = pd.DataFrame({"v": ["G/G", "C/G", "C/C"]})
    with pytest.raises(GenotypeParseError, match="palindromic.*declare strand"):
        callset_from_genotype_table(table, {"v": "rs8050894"})
    gene = callset_from_genotype_table(table, {"v": {"rsid": "rs8050894", "strand": "gene"}})
    plus = callset_from_genotype_table(table, {"v": {"rsid": "rs8050894", "strand": "+"}})
    np.testing.assert_array_equal(gene.genotypes[:, 0].sum(1), [0, 1, 2])
    np.testing.assert_array_equal(plus.genotypes[:, 0].sum(1), [2, 1, 0])


def test_star_diplotypes():
    table = pd.DataFrame({"cyp": ["*1/*1", "*1/*2", "*2/*3", "*3/*3", np.nan]})
    callset = callset_from_genotype_table(table, {"cyp": "CYP2C9"})
    row = {rsid: i for i, rsid in enumerate(callset.ids)}
    star2 = callset.genotypes[:, row["rs1799853"]]
    star3 = callset.genotypes[:, row["rs1057910"]]
    np.testing.assert_array_equal(star2, [[0, 0], [0, 1], [1, 0], [0, 0], [-1, -1]])
    np.testing.assert_array_equal(star3, [[0, 0], [0, 0], [0, 1], [1, 1], [-1, -1]])
    assert list(callset.pos) == sorted(callset.pos)


def test_unparseable_string_names_row_and_column():
    table = pd.DataFrame({"vk": ["A/G", "G/G", "A/N?"]})
    with pytest.raises(GenotypeParseError, match=r"cohort.csv: data row 3, column 'vk'.*'A/N\?'"):
        callset_from_genotype_table(table, {"vk": "rs9923231"}, source="cohort.csv")
    wrong = pd.DataFrame({"vk": ["C/T", "C/G"]})
    with pytest.raises(GenotypeParseError, match=r"data row 2, column 'vk'.*allele G.*REF C"):
        callset_from_genotype_table(wrong, {"vk": "rs9923231"})


def test_unknown_star_allele_names_row_and_column():
    table = pd.DataFrame({"cyp2c9": ["*1/*1", "*1/*2", "*1/*42"]})
    with pytest.raises(UnknownStarAlleleError,
                       match=r"t.csv: data row 3, column 'cyp2c9': unknown CYP2C9 .*'\*42'"):
        callset_from_genotype_table(table, {"cyp2c9": "CYP2C9"}, source="t.csv")


def test_declaration_errors():
    table = pd.DataFrame({"a": ["C/T"], "b": ["*1/*2"], "c": ["C/T"]})
    with pytest.raises(AlleleTableError, match="rs404"):
        callset_from_genotype_table(table, {"a": {"rsid": "rs404"}})
    with pytest.raises(AlleleTableError, match="gene NOTAGENE"):
        callset_from_genotype_table(table, {"a": "NOTAGENE"})
    with pytest.raises(AlleleTableError, match="rs1799853 is covered by columns 'b' and 'c'"):
        callset_from_genotype_table(table, {"b": "CYP2C9", "c": "rs1799853"})


def test_iwpc_columns_match_reported_counts(shared_data):
    table = pd.read_csv(shared_data / "iwpc" / "iwpc.csv")
    columns = {"CYP2C9 consensus": "CYP2C9", "VKORC1     -1639 consensus": "rs9923231"}
    callset = callset_from_genotype_table(table, columns, sample_column="PharmGKB Subject ID",
                                          source="iwpc.csv")
    dose = {rsid: callset.genotypes[:, i].sum(axis=1) for i, rsid in enumerate(callset.ids)}
    called = {rsid: (callset.genotypes[:, i] >= 0).all(axis=1)
              for i, rsid in enumerate(callset.ids)}
    vk = table["VKORC1     -1639 consensus"]
    assert (dose["rs9923231"][called["rs9923231"]] == 2).sum() == (vk == "A/A").sum()
    assert (dose["rs9923231"][called["rs9923231"]] == 0).sum() == (vk == "G/G").sum()
    cyp = table["CYP2C9 consensus"].fillna("")
    n_star2 = cyp.str.count(r"\*2(?!\d)").sum()
    n_star3 = cyp.str.count(r"\*3(?!\d)").sum()
    assert dose["rs1799853"][called["rs1799853"]].sum() == n_star2
    assert dose["rs1057910"][called["rs1057910"]].sum() == n_star3
