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
from pgxdl.clinical.cpic.phenotypes import VKORC1_SITE, GeneCall, gene_calls, vkorc1_genotypes
from pgxdl.clinical.genotype_inputs import is_vcf
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.variants.alleles import default_allele_table
from pgxdl.genome.variants.callset import CallSet
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table
from pgxdl.genome.variants.vcf import read_vcf

NOT_COVERED = ("CYP2D6 copy number, *5 deletion and *13/*36/*68 hybrids are not called "
               "(SNV/indel calls only)")


def read_pharmacogene_callset(source: str | Path | pd.DataFrame, ids: list[str],
                              id_column: str = "id") -> CallSet:
    """Calls of ``ids`` from a VCF/BCF path or a genotype table (path or frame with an ID
    column and rsID/gene columns); people absent from the input get all-missing calls."""
    if isinstance(source, (str, Path)) and is_vcf(source):
        callset = read_vcf(source)
    else:
        table = source if isinstance(source, pd.DataFrame) else pd.read_csv(
            source, sep="\t" if str(source).endswith((".tsv", ".txt")) else ",", dtype=str,
            keep_default_na=False)
        table = table.rename(columns={id_column: "id"})
        alleles = default_allele_table()
        columns = {c: c for c in table.columns if c in alleles.variants or c in alleles.genes}
        table = table.assign(id=table["id"].astype(str)).drop_duplicates("id")
        callset = callset_from_genotype_table(table[table["id"].isin(ids)], columns, alleles,
                                              sample_column="id", source=str(source)[:80])
    present = [i for i in ids if i in set(callset.samples)]
    return callset.subset_samples(present)


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
            for g, c in calls.items() if g in GENES and c.get("status") != "not_tested"}
