"""Star-allele definitions of a gene on GRCh38, read from pypgx's bundled allele table.

Each allele is its set of core variants (``chrom-pos-ref-alt``, GRCh38). Alleles defined by
structural variation (``SV``: CYP2D6 ``*5`` deletion, ``*13``/``*36``/``*68`` hybrids, gene
duplications) or with no GRCh38 core are not callable from SNV/indel calls and are listed
in ``not_callable``; a haplotype carrying none of the callable alleles is the gene's GRCh38
default allele (pypgx ``get_default_allele``: CYP2C9 ``*1``, CYP2C19 ``*38``, CYP2D6 ``*1``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

#: The genes this module calls (SNV/indel-defined alleles).
GENES = ("CYP2C9", "CYP2C19", "CYP2D6")


@dataclass(frozen=True)
class GeneDefinitions:
    """Callable alleles of one gene.

    Attributes
    ----------
    gene : gene symbol; default : the allele of a haplotype carrying no core variant.
    alleles : ``A`` allele names; sites : ``V`` variant keys ``chrom-pos-ref-alt``
        (chrom without ``chr``), sorted by position.
    core : bool ``(A, V)``: site ``v`` is a core variant of allele ``a``.
    not_callable : alleles left out (structural or no GRCh38 definition).
    """

    gene: str
    default: str
    alleles: tuple[str, ...]
    sites: tuple[str, ...]
    core: np.ndarray
    not_callable: tuple[str, ...]

    @property
    def positions(self) -> np.ndarray:
        """``(V,)`` GRCh38 positions of the sites."""
        return np.array([int(s.split("-")[1]) for s in self.sites])

    @property
    def chrom(self) -> str:
        return self.sites[0].split("-")[0]


@cache
def gene_definitions(gene: str) -> GeneDefinitions:
    """The :class:`GeneDefinitions` of ``gene`` from pypgx's allele table."""
    import pypgx

    if gene not in GENES:
        raise ValueError(f"gene {gene!r} is not called here; genes: {GENES}")
    table = pypgx.load_allele_table()
    rows = table[table["Gene"] == gene]
    default = pypgx.get_default_allele(gene, assembly="GRCh38")
    callable_rows = rows[~rows["SV"].astype(bool) & rows["GRCh38Core"].notna()]
    not_callable = sorted(set(rows["StarAllele"]) - set(callable_rows["StarAllele"])
                          - {default})
    cores = [tuple(str(c).split(",")) for c in callable_rows["GRCh38Core"]]
    sites = sorted({v for core in cores for v in core}, key=lambda s: int(s.split("-")[1]))
    index = {site: k for k, site in enumerate(sites)}
    core = np.zeros((len(cores), len(sites)), dtype=bool)
    for a, variants in enumerate(cores):
        core[a, [index[v] for v in variants]] = True
    return GeneDefinitions(gene, default, tuple(callable_rows["StarAllele"]), tuple(sites),
                           core, tuple(not_callable))
