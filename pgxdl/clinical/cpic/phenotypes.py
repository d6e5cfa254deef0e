"""Phenotypes, activity scores and CPIC recommendations of diplotype calls, from pypgx.

``predict_phenotype``, ``get_score`` and ``get_recommendation`` are pypgx's (bundled CPIC
tables, offline); results are cached per diplotype, so a cohort costs one call per
distinct diplotype. An ambiguous call keeps its phenotype when every resolution gives the
same one, else it is ``Indeterminate``. VKORC1 has no CPIC phenotype: rs9923231
(c.-1639G>A) is reported as a gene-strand genotype.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

import numpy as np

from pgxdl.clinical.cpic.matcher import CohortDiplotypes
from pgxdl.clinical.tables_cache import recommendation_table
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.variants.callset import CallSet

#: Genes whose phenotype CPIC derives from an activity score.
SCORED = ("CYP2C9", "CYP2D6")
INDETERMINATE = "Indeterminate"
#: VKORC1 c.-1639G>A on GRCh38: + strand C>T at chr16:31096368.
VKORC1_SITE = ("16", 31096368, "C", "T")
_GENE_STRAND = {"C": "G", "T": "A"}


@dataclass(frozen=True)
class GeneCall:
    """One person's call for one gene.

    ``status``: ``called`` (one diplotype), ``ambiguous`` (several; ``candidates`` lists
    them) or ``no_call`` (too many unknowns). ``activity_score`` is NaN for genes CPIC does
    not score or when ambiguous with different scores.
    """

    gene: str
    status: str
    diplotype: str
    phenotype: str
    activity_score: float
    candidates: tuple[str, ...]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["candidates"] = list(self.candidates)
        out["activity_score"] = None if np.isnan(self.activity_score) else self.activity_score
        return out


@cache
def phenotype_of(gene: str, diplotype: str) -> str:
    import pypgx

    a, b = diplotype.split("/")
    return str(pypgx.predict_phenotype(gene, a, b))


@cache
def activity_score(gene: str, diplotype: str) -> float:
    import pypgx

    if gene not in SCORED:
        return float("nan")
    return float(sum(pypgx.get_score(gene, allele) for allele in diplotype.split("/")))


def gene_calls(cohort: CohortDiplotypes) -> list[GeneCall]:
    """The :class:`GeneCall` of every person of ``cohort``."""
    return [gene_call(cohort.gene, options) for options in cohort.resolutions]


@cache
def gene_call(gene: str, options: tuple[str, ...]) -> GeneCall:
    """The call of one person from their diplotype resolutions."""
    if not options:
        return GeneCall(gene, "no_call", "", INDETERMINATE, float("nan"), ())
    phenotypes = {phenotype_of(gene, d) for d in options}
    scores = {activity_score(gene, d) for d in options}
    score = scores.pop() if len(scores) == 1 else float("nan")
    phenotype = phenotypes.pop() if len(phenotypes) == 1 else INDETERMINATE
    if len(options) == 1:
        return GeneCall(gene, "called", options[0], phenotype, score, options)
    return GeneCall(gene, "ambiguous", " or ".join(options), phenotype, score, options)


def vkorc1_genotypes(callset: CallSet) -> list[str]:
    """rs9923231 as gene-strand genotype (``G/G``, ``G/A``, ``A/A``) per person, or
    ``unknown`` for a missing call; a person without the site in the input is ``G/G``
    when the input has other records, as for the star alleles."""
    chrom, pos, ref, alt = VKORC1_SITE
    rows = np.flatnonzero([normalise_chrom(c) == chrom and p == pos and r == ref and a == alt
                           for c, p, r, a in zip(callset.chrom, callset.pos, callset.ref,
                                                 callset.alt, strict=True)])
    if not len(rows):
        return ["G/G"] * callset.n_samples
    calls = callset.genotypes[:, rows[0], :]
    out = []
    for pair in calls:
        if (pair < 0).any():
            out.append("unknown")
            continue
        out.append("/".join(sorted((_GENE_STRAND[ref if a == 0 else alt] for a in pair),
                                   key="GA".index)))
    return out


def recommendation(drug: str, calls: dict[str, GeneCall]) -> str | None:
    """pypgx's CPIC recommendation for ``drug`` given the person's phenotypes, or ``None``
    (no CPIC recommendation for this drug and these genes in pypgx's table)."""
    import pypgx

    table = recommendation_table()
    rows = table[table["Drug"] == drug.lower()]
    if rows.empty:
        return None
    genes = [rows["Gene1"].iloc[0]] + ([rows["Gene2"].iloc[0]]
                                       if str(rows["Gene2"].iloc[0]) not in ("None", "nan")
                                       else [])
    if any(g not in calls for g in genes):
        return None
    args = [drug.lower(), genes[0], calls[genes[0]].phenotype]
    if len(genes) == 2:
        args += [genes[1], calls[genes[1]].phenotype]
    try:
        text = pypgx.get_recommendation(*args)
    except (ValueError, KeyError):
        return None
    return None if text in (None, "None") else str(text)
