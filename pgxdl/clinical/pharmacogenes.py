"""Each person's pharmacogene calls (CYP2C9, CYP2C19, CYP2D6, VKORC1) from their genotypes.

The whole genotype input is used (not only the model's windows). A gene with no input row
at any of its definition sites is ``not_tested`` (never assumed ``*1/*1``); otherwise sites
the input does not list are taken as reference, and their number is reported. Not
covered: CYP2D6 copy number, deletions (``*5``) and hybrids (``*13``, ``*36``, ``*68``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pgxdl.clinical.cpic.definitions import GENES, gene_definitions
from pgxdl.clinical.cpic.matcher import match_cohort
from pgxdl.clinical.cpic.phenotypes import (
    VKORC1_SITE,
    GeneCall,
    gene_call,
    gene_calls,
    vkorc1_genotypes,
)
from pgxdl.clinical.genotype_inputs import is_vcf
from pgxdl.clinical.tables_cache import allele_table
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.variants.callset import CallSet
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table, parse_diplotype
from pgxdl.genome.variants.vcf import read_vcf

NOT_COVERED = ("CYP2D6 copy number, *5 deletion and *13/*36/*68 hybrids are not called "
               "(SNV/indel calls only)")


def calls_for_people(source: str | Path | pd.DataFrame, ids: list[str],
                     id_column: str = "id") -> dict[str, dict]:
    """Pharmacogene calls of ``ids`` (see :func:`pharmacogene_calls`) from a VCF/BCF path or
    a genotype table (path or frame with an ID column). A table's star-diplotype columns
    (``CYP2C19``: ``*1/*2``) are taken as reported (status ``reported``, phenotype from
    pypgx); its rsID columns are matched like VCF calls. People absent from the input get
    no entry."""
    if isinstance(source, (str, Path)) and is_vcf(source):
        callset = read_vcf(source)
        return pharmacogene_calls(callset.subset_samples([i for i in ids
                                                          if i in set(callset.samples)]))
    table = source if isinstance(source, pd.DataFrame) else pd.read_csv(
        source, sep="\t" if str(source).endswith((".tsv", ".txt")) else ",", dtype=str,
        keep_default_na=False)
    table = table.rename(columns={id_column: "id"}).assign(
        id=lambda t: t["id"].astype(str)).drop_duplicates("id")
    table = table[table["id"].isin(ids)]
    alleles = allele_table()
    rsids = {c: c for c in table.columns if c in alleles.variants}
    callset = callset_from_genotype_table(table, rsids, alleles, sample_column="id",
                                          source="genotype table")
    out = pharmacogene_calls(callset)
    for gene in (g for g in GENES if g in table.columns):
        for person, text in zip(table["id"], table[gene], strict=True):
            out[person][gene] = reported_call(gene, text)
    return out


def reported_call(gene: str, text) -> dict:
    """A reported star diplotype as a call dict (``not_tested`` when blank, ``unknown`` when
    pypgx does not know an allele)."""
    parsed = parse_diplotype(text)
    if parsed is None:
        return {"gene": gene, "status": "not_tested"}
    diplotype = f"{parsed[0]}/{parsed[1]}"
    try:
        call = gene_call(gene, (diplotype,))
    except (ValueError, KeyError):
        return {"gene": gene, "status": "unknown", "diplotype": diplotype,
                "phenotype": "Indeterminate", "activity_score": None,
                "candidates": [diplotype]}
    return {**call.to_dict(), "status": "reported"}


def pharmacogene_calls(callset: CallSet) -> dict[str, dict]:
    """Per person: ``{gene: GeneCall dict | {"status": "not_tested"}}`` plus ``VKORC1``
    (``{"rs9923231": "G/A"}``) and ``sites_absent`` per gene."""
    out: dict[str, dict] = {s: {} for s in callset.samples}
    keys = {(normalise_chrom(c), int(p)) for c, p in zip(callset.chrom, callset.pos,
                                                          strict=True)}
    for gene in GENES:
        sites = gene_definitions(gene).sites
        tested = any((normalise_chrom(s.split("-")[0]), int(s.split("-")[1])) in keys
                     for s in sites)
        if not tested:
            for person in out:
                out[person][gene] = {"gene": gene, "status": "not_tested"}
            continue
        cohort = match_cohort(callset, gene)
        for person, call in zip(callset.samples, gene_calls(cohort), strict=True):
            out[person][gene] = {**call.to_dict(),
                                 "sites_not_in_input": len(cohort.sites_absent),
                                 "definition_sites": len(sites)}
    vkorc1 = vkorc1_genotypes(callset) if (VKORC1_SITE[0], VKORC1_SITE[1]) in keys else \
        ["not tested"] * callset.n_samples
    for person, genotype in zip(callset.samples, vkorc1, strict=True):
        out[person]["VKORC1"] = {"gene": "VKORC1", "rs9923231": genotype}
    return out


def as_gene_calls(calls: dict) -> dict[str, GeneCall]:
    """The called genes of one person's :func:`pharmacogene_calls` entry, as GeneCalls."""
    return {g: GeneCall(g, c["status"], c["diplotype"], c["phenotype"],
                        float("nan") if c["activity_score"] is None else c["activity_score"],
                        tuple(c["candidates"]))
            for g, c in calls.items() if g in GENES and c.get("status") in ("called",
                                                                          "ambiguous",
                                                                          "reported")}
