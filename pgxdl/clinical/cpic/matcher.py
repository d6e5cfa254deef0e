"""Star-allele diplotypes of whole cohorts: a vectorised matcher over pypgx's definitions.

For each haplotype, the candidate alleles are those whose every core variant it carries;
the call is the candidate pypgx ranks first (``sort_alleles(by="priority")``: function,
then number of core variants, ...), as pypgx's ``predict_alleles`` does, or the gene's
default allele when there is none. People are grouped by their genotype pattern over the
definition sites, so each distinct pattern is resolved once.

Unknowns are never guessed:

- unphased heterozygous calls at two or more sites: every phase assignment is tried;
- a missing call (``./.``) at a definition site: every genotype is tried (0/0, 0/1, 1/1);

keeping the resolutions whose called alleles leave the fewest carried core variants
unexplained (PharmCAT's exact-match preference: an unphased ``*2`` and ``*3`` is
``*2/*3``); the person's call is **ambiguous** when those still give more than one
diplotype (all are listed). A definition site absent from the input is taken as reference (VCFs
list only variant records); a site missing from every person is reported by
:func:`match_cohort` in ``sites_absent``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from pgxdl.clinical.cpic.definitions import GeneDefinitions, gene_definitions
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.variants.callset import CallSet

#: Largest number of resolutions tried for one genotype pattern.
MAX_RESOLUTIONS = 1 << 14


@dataclass
class CohortDiplotypes:
    """Diplotype resolutions of ``S`` people for one gene.

    ``resolutions[s]``: sorted distinct diplotypes (``"*1/*3"``) consistent with person
    ``s``'s calls (empty: too many unknowns to enumerate). ``sites_absent``: definition
    sites no input row covered (taken as reference).
    """

    gene: str
    samples: list[str]
    resolutions: list[tuple[str, ...]]
    sites_absent: list[str] = field(default_factory=list)


def site_haplotypes(callset: CallSet, definitions: GeneDefinitions
                    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Allele of each haplotype at each definition site.

    Returns
    -------
    haplotypes : int8 ``(S, 2, V)``: 1 carries the core variant, 0 not, -1 missing call.
    phased : bool ``(S,)``: every heterozygous call at the sites is phased.
    absent : definition sites with no input row.
    """
    keys = {f"{normalise_chrom(c)}-{p}-{r}-{a}": v for v, (c, p, r, a) in enumerate(
        zip(callset.chrom, callset.pos, callset.ref, callset.alt, strict=True))}
    haplotypes = np.zeros((callset.n_samples, 2, len(definitions.sites)), dtype=np.int8)
    het_unphased = np.zeros(callset.n_samples, dtype=bool)
    absent = []
    for k, site in enumerate(definitions.sites):
        chrom, rest = site.split("-", 1)
        row = keys.get(f"{normalise_chrom(chrom)}-{rest}")
        if row is None:
            absent.append(site)
            continue
        calls = callset.genotypes[:, row, :]
        haplotypes[:, :, k] = calls
        het = (calls[:, 0] != calls[:, 1]) & (calls >= 0).all(axis=1)
        het_unphased |= het & ~callset.phased[:, row]
    return haplotypes, ~het_unphased, absent


def match_cohort(callset: CallSet, gene: str) -> CohortDiplotypes:
    """Diplotype resolutions of every person of ``callset`` for ``gene``."""
    definitions = gene_definitions(gene)
    haplotypes, phased, absent = site_haplotypes(callset, definitions)
    # unphased people are keyed by genotype (sorted haplotype pair), phased by haplotypes
    ordered = np.where(phased[:, None, None], haplotypes, np.sort(haplotypes, axis=1))
    keys = np.concatenate([ordered.reshape(len(ordered), -1),
                           phased[:, None].astype(np.int8)], axis=1)
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    completions = [_phased_completions(row[:-1].reshape(2, -1)) if row[-1] else
                   _unphased_completions(row[:-1].reshape(2, -1)) for row in unique]
    sizes = [0 if c is None else len(c) for c in completions]
    stacked = [c for c in completions if c is not None]
    haps = (np.concatenate(stacked).reshape(-1, len(definitions.sites)).astype(bool)
            if stacked else np.zeros((0, len(definitions.sites)), bool))
    names, unexplained = call_haplotypes(haps, definitions)
    calls, unexplained = names.reshape(-1, 2), unexplained.reshape(-1, 2).sum(axis=1)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    solved = [_best_diplotypes(calls[bounds[k]:bounds[k + 1]],
                               unexplained[bounds[k]:bounds[k + 1]])
              for k in range(len(unique))]
    return CohortDiplotypes(gene, list(callset.samples),
                            [solved[i] for i in inverse.ravel()], absent)


def _phased_completions(pair: np.ndarray) -> np.ndarray | None:
    """Every ``(2, V)`` completion of the missing calls of a phased pair."""
    missing = np.argwhere(pair < 0)
    if 1 << len(missing) > MAX_RESOLUTIONS:
        return None
    out = []
    for values in itertools.product((0, 1), repeat=len(missing)):
        filled = pair.copy()
        filled[tuple(missing.T)] = values
        out.append(filled)
    return np.stack(out)


def _unphased_completions(pair: np.ndarray) -> np.ndarray | None:
    """Every phase assignment (and genotype of missing sites) of an unphased pair."""
    missing = np.flatnonzero((pair < 0).any(axis=0))
    dosage = np.where((pair < 0).any(axis=0), 0, pair.sum(axis=0))
    if 3 ** len(missing) * (1 << int((dosage == 1).sum() + len(missing))) > MAX_RESOLUTIONS:
        return None
    out = []
    for values in itertools.product((0, 1, 2), repeat=len(missing)):
        filled = dosage.copy()
        filled[missing] = values
        het = np.flatnonzero(filled == 1)
        base = np.stack([filled == 2, filled == 2]).astype(np.int8)
        # the first het site goes on haplotype 1: swapping both haplotypes is the same call
        for flips in itertools.product((0, 1), repeat=max(len(het) - 1, 0)):
            haps = base.copy()
            for site, side in zip(het, (0, *flips), strict=True):
                haps[side, site] = 1
            out.append(haps)
    return np.stack(out)


def _best_diplotypes(calls: np.ndarray, unexplained: np.ndarray) -> tuple[str, ...]:
    """Distinct diplotypes of the resolutions that leave fewest carried core variants
    unexplained by the called alleles (an unphased *2 and *3 are *2/*3, not *3 with a
    stray *2 variant); empty when there is no resolution."""
    if not len(calls):
        return ()
    keep = unexplained == unexplained.min()
    return tuple(sorted({diplotype(a, b) for a, b in calls[keep]}))


def call_haplotypes(haplotypes: np.ndarray, definitions: GeneDefinitions
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Star allele of each haplotype ``(N, V)`` bool.

    Returns ``(N,)`` allele names (object) and ``(N,)`` the number of carried definition
    variants that the called allele does not contain.
    """
    if not len(haplotypes):
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    core = definitions.core.astype(np.int32)
    lacking = (~haplotypes).astype(np.int32) @ core.T  # (N, A)
    rows, inverse = np.unique(lacking == 0, axis=0, return_inverse=True)
    names = np.array(definitions.alleles, dtype=object)
    best = [_top_allele(definitions.gene, tuple(names[row]), definitions.default)
            for row in rows]
    called = np.array(best, dtype=object)[inverse.ravel()]
    sizes = dict(zip(definitions.alleles, core.sum(axis=1), strict=True))
    explained = np.array([sizes.get(a, 0) for a in called])
    return called, haplotypes.sum(axis=1) - explained


@cache
def _top_allele(gene: str, candidates: tuple[str, ...], default: str) -> str:
    if not candidates:
        return default
    if len(candidates) == 1:
        return candidates[0]
    import pypgx

    return pypgx.sort_alleles(list(candidates), by="priority", gene=gene,
                              assembly="GRCh38")[0]


@cache
def diplotype(a: str, b: str) -> str:
    """``a/b`` with the smaller star number first (pypgx ``sort_alleles(by="name")``)."""
    import pypgx

    return "/".join(pypgx.sort_alleles([a, b], by="name"))
