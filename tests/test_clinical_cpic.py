"""CPIC calls: the matcher on known diplotypes (phased, unphased, missing calls), pypgx
phenotypes and activity scores against CPIC's published assignments, recommendations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("pypgx")

from pgxdl.clinical.cpic.definitions import gene_definitions  # noqa: E402
from pgxdl.clinical.cpic.matcher import match_cohort  # noqa: E402
from pgxdl.clinical.cpic.phenotypes import gene_call, recommendation, vkorc1_genotypes  # noqa: E402
from pgxdl.genome.variants.callset import CallSet  # noqa: E402


def diplotype_callset(gene: str, pairs: list[tuple[str, str]], phased: bool = True,
                      missing: str | None = None) -> CallSet:
    """People carrying exactly the core variants of each allele pair (hap 1, hap 2) at
    every definition site of ``gene``; ``missing`` site gets ``./.`` for everyone."""
    defs = gene_definitions(gene)
    index = {a: k for k, a in enumerate(defs.alleles)}
    genotypes = np.zeros((len(pairs), len(defs.sites), 2), dtype=np.int8)
    for s, pair in enumerate(pairs):
        for h, allele in enumerate(pair):
            if allele in index:
                genotypes[s, defs.core[index[allele]], h] = 1
    if missing is not None:
        genotypes[:, defs.sites.index(missing), :] = -1
    fields = [site.split("-") for site in defs.sites]
    return CallSet([f"chr{f[0]}" for f in fields], [int(f[1]) for f in fields],
                   ["."] * len(fields), [f[2] for f in fields], [f[3] for f in fields],
                   genotypes, np.full(genotypes.shape[:2], phased),
                   [f"p{s}" for s in range(len(pairs))])


@pytest.mark.parametrize(("gene", "pairs"), [
    ("CYP2C9", [("*1", "*1"), ("*1", "*2"), ("*2", "*3"), ("*3", "*3"), ("*1", "*11")]),
    ("CYP2C19", [("*1", "*1"), ("*2", "*17"), ("*17", "*17"), ("*38", "*38"), ("*2", "*3")]),
    ("CYP2D6", [("*1", "*4"), ("*4", "*10"), ("*1", "*2"), ("*41", "*41")]),
])
def test_phased_known_diplotypes_are_called_back(gene, pairs):
    calls = match_cohort(diplotype_callset(gene, pairs), gene).resolutions
    expected = [tuple(["/".join(sorted(p, key=lambda a: int(a[1:].split(".")[0])))])
                for p in pairs]
    assert calls == expected


def test_unphased_star2_star3_is_called_in_trans():
    calls = match_cohort(diplotype_callset("CYP2C9", [("*2", "*3"), ("*1", "*3")],
                                           phased=False), "CYP2C9").resolutions
    assert calls == [("*2/*3",), ("*1/*3",)]


def _nested_triple(gene: str):
    """Alleles X, Y with single core variants and Z whose core is exactly X's + Y's."""
    defs = gene_definitions(gene)
    singles = {int(np.flatnonzero(row)[0]): a for a, row in zip(defs.alleles, defs.core,
                                                                strict=True)
               if row.sum() == 1}
    for z, row in zip(defs.alleles, defs.core, strict=True):
        sites = np.flatnonzero(row)
        if len(sites) == 2 and all(s in singles for s in sites):
            return singles[sites[0]], singles[sites[1]], z
    return None


def test_unphased_cis_or_trans_is_reported_ambiguous():
    triple = next(t for t in map(_nested_triple, ("CYP2D6", "CYP2C19", "CYP2C9")) if t)
    gene = next(g for g in ("CYP2D6", "CYP2C19", "CYP2C9") if _nested_triple(g) == triple)
    x, y, z = triple
    default = gene_definitions(gene).default
    callset = diplotype_callset(gene, [(x, y)], phased=False)
    (options,) = match_cohort(callset, gene).resolutions
    assert len(options) == 2
    assert {tuple(sorted(o.split("/"))) for o in options} == {
        tuple(sorted((x, y))), tuple(sorted((z, default)))}
    assert gene_call(gene, options).status == "ambiguous"


def test_missing_call_at_a_defining_site_is_never_reference():
    site = next(s for s in gene_definitions("CYP2C9").sites if s.endswith("94981296-A-C"))
    callset = diplotype_callset("CYP2C9", [("*1", "*1")], phased=False, missing=site)
    (options,) = match_cohort(callset, "CYP2C9").resolutions
    assert set(options) == {"*1/*1", "*1/*3", "*3/*3"}
    call = gene_call("CYP2C9", options)
    assert call.status == "ambiguous" and call.phenotype == "Indeterminate"


def test_absent_sites_are_reported():
    callset = diplotype_callset("CYP2C9", [("*1", "*3")]).select_variants(np.arange(5))
    result = match_cohort(callset, "CYP2C9")
    assert len(result.sites_absent) == len(gene_definitions("CYP2C9").sites) - 5


@pytest.mark.parametrize(("gene", "diplotype", "phenotype", "score"), [
    # CPIC activity scores and phenotypes (CYP2C9 2020, CYP2D6 2019 consensus, CYP2C19 2022)
    ("CYP2C9", "*1/*1", "Normal Metabolizer", 2.0),
    ("CYP2C9", "*1/*3", "Intermediate Metabolizer", 1.0),
    ("CYP2C9", "*2/*3", "Poor Metabolizer", 0.5),
    ("CYP2C9", "*3/*3", "Poor Metabolizer", 0.0),
    ("CYP2D6", "*4/*4", "Poor Metabolizer", 0.0),
    ("CYP2D6", "*1/*10", "Normal Metabolizer", 1.25),
    ("CYP2D6", "*4/*10", "Intermediate Metabolizer", 0.25),
    ("CYP2C19", "*17/*17", "Ultrarapid Metabolizer", None),
    ("CYP2C19", "*1/*17", "Rapid Metabolizer", None),
    ("CYP2C19", "*1/*2", "Intermediate Metabolizer", None),
    ("CYP2C19", "*2/*3", "Poor Metabolizer", None),
])
def test_phenotypes_and_scores_follow_cpic(gene, diplotype, phenotype, score):
    call = gene_call(gene, (diplotype,))
    assert call.status == "called" and call.phenotype == phenotype
    if score is None:
        assert np.isnan(call.activity_score)
    else:
        assert call.activity_score == pytest.approx(score)


def test_recommendations_for_antidepressants_and_codeine():
    poor = {"CYP2C19": gene_call("CYP2C19", ("*2/*2",))}
    assert "50% reduction" in recommendation("citalopram", poor)
    assert "50% reduction" in recommendation("sertraline", poor)
    ultra = {"CYP2D6": gene_call("CYP2D6", ("*1/*1",))}
    assert recommendation("codeine", ultra)
    assert recommendation("warfarin", poor) is None  # not in pypgx's table
    assert recommendation("citalopram", {}) is None  # gene not called


def test_vkorc1_gene_strand_genotypes():
    genotypes = np.array([[[0, 0]], [[0, 1]], [[1, 1]], [[-1, -1]]], dtype=np.int8)
    callset = CallSet(["chr16"], [31096368], ["rs9923231"], ["C"], ["T"], genotypes,
                      np.zeros((4, 1), bool), ["a", "b", "c", "d"])
    assert vkorc1_genotypes(callset) == ["G/G", "G/A", "A/A", "unknown"]


def test_every_callable_pair_of_common_alleles_round_trips_unphased():
    alleles = ("*1", "*2", "*3", "*5", "*8", "*11")
    pairs = list(itertools.combinations_with_replacement(alleles, 2))
    calls = match_cohort(diplotype_callset("CYP2C9", pairs, phased=False),
                         "CYP2C9").resolutions
    assert [c[0] for c in calls] == ["/".join(p) for p in pairs]
    assert all(len(c) == 1 for c in calls)


@pytest.mark.realdata
def test_iwpc_qc_genotypes_call_the_consensus_cyp2c9(shared_data):
    from benchmarks.cpic_validation import iwpc_cyp2c9

    rows = {r["source"]: r for r in iwpc_cyp2c9(shared_data)}
    qc = rows["central QC *2 and *3 genotypes"]
    assert qc["patients"] > 400 and qc["agreement_pct"] >= 99.0
    assert rows["site-reported diplotype"]["agreement_pct"] >= 99.0


def test_cpic_reference_frequencies_are_sourced_and_complete():
    """Each gene of the reference file names its CPIC workbook; each 1kgp group maps to a
    CPIC group and its phenotype percentages (Likely IM/PM merged) sum to 100."""
    import yaml

    from benchmarks.cpic_validation import GENES, REFERENCE, reference_frequencies

    raw = yaml.safe_load(REFERENCE.read_text())
    table = reference_frequencies()
    for gene in GENES:
        assert "CPIC" in raw[gene]["source"] and "SHA-256" in raw[gene]["source"]
        for group in ("AFR", "AMR", "EAS", "EUR", "SAS"):
            assert raw[gene][group]["cpic_group"]
            assert sum(table[gene][group].values()) == pytest.approx(100, abs=0.05)
    afr = raw["CYP2C19"]["AFR"]
    assert table["CYP2C19"]["AFR"]["IM"] == pytest.approx(
        afr["Intermediate Metabolizer"] + afr["Likely Intermediate Metabolizer"])


def test_cpic_reference_missing_entry_is_reported_without_a_cpic_column(tmp_path):
    import pandas as pd

    from benchmarks.cpic_validation import frequency_row, reference_frequencies

    path = tmp_path / "ref.yaml"
    path.write_text("CYP2C9:\n  source: x\n  EUR: {cpic_group: European, Normal Metabolizer: 60,"
                    " Intermediate Metabolizer: 40}\n")
    table = reference_frequencies(path)
    assert table == {"CYP2C9": {"EUR": {"NM": 60.0, "IM": 40.0}}}
    observed = pd.Series({"NM": 70.0, "IM": 30.0})
    missing = frequency_row("CYP2D6", "EUR", 10, observed, table.get("CYP2D6", {}).get("EUR"))
    assert missing["NM 1kgp/CPIC"] == "70.0/-" and missing["max_gap_pp"] == "-"
    row = frequency_row("CYP2C9", "EUR", 10, observed, table["CYP2C9"]["EUR"])
    assert row["NM 1kgp/CPIC"] == "70.0/60.0" and row["max_gap_pp"] == 10.0
