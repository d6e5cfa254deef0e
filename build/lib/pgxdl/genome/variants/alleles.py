"""Allele-definition table: rsIDs and star alleles mapped to defining variants.

Kept in configuration (``configs/data/alleles/pgx_alleles.yaml``); see that file for the
format. Positions are 1-based, alleles on the + strand of the table's ``build``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pgxdl.genome.errors import AlleleTableError, UnknownStarAlleleError
from pgxdl.genome.reference.builds import canonical_build
from pgxdl.resources import ALLELE_TABLE as DEFAULT_ALLELE_TABLE

_VARIANT_FIELDS = ("gene", "chrom", "pos", "ref", "alt")


@dataclass(frozen=True)
class VariantDefinition:
    """One defining variant: + strand ``ref``/``alt`` at ``chrom:pos`` (1-based)."""

    rsid: str
    gene: str
    chrom: str
    pos: int
    ref: str
    alt: str
    label: str = ""


@dataclass(frozen=True)
class GeneDefinition:
    """A gene's strand and its star alleles (name -> rsIDs whose ALT defines it)."""

    name: str
    strand: str
    reference_allele: str
    star_alleles: dict[str, tuple[str, ...]]

    @property
    def variant_ids(self) -> list[str]:
        """rsIDs defining any star allele of the gene, in first-use order."""
        return list(dict.fromkeys(r for ids in self.star_alleles.values() for r in ids))


@dataclass(frozen=True)
class AlleleTable:
    """Defining variants (by rsID) and genes (by name) of one genome build."""

    build: str | None
    variants: dict[str, VariantDefinition]
    genes: dict[str, GeneDefinition]
    source: str = "<memory>"

    @classmethod
    def from_yaml(cls, path: str | Path = DEFAULT_ALLELE_TABLE) -> AlleleTable:
        """Load and validate a table (every star allele's rsIDs must be defined)."""
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        where = str(path)
        variants = {}
        for rsid, entry in (data.get("variants") or {}).items():
            missing = [f for f in _VARIANT_FIELDS if f not in entry]
            if missing:
                raise AlleleTableError(f"{where}: variant {rsid} lacks {missing}")
            variants[rsid] = VariantDefinition(
                rsid=str(rsid), gene=str(entry["gene"]), chrom=str(entry["chrom"]),
                pos=int(entry["pos"]), ref=str(entry["ref"]).upper(),
                alt=str(entry["alt"]).upper(), label=str(entry.get("label", "")))
        genes = {}
        for name, entry in (data.get("genes") or {}).items():
            stars = {str(star): tuple(ids) for star, ids in
                     (entry.get("star_alleles") or {}).items()}
            undefined = sorted({r for ids in stars.values() for r in ids} - set(variants))
            if undefined:
                raise AlleleTableError(f"{where}: gene {name} uses undefined variants "
                                       f"{undefined}")
            if entry.get("strand") not in ("+", "-"):
                raise AlleleTableError(f"{where}: gene {name} needs strand '+' or '-'")
            genes[str(name)] = GeneDefinition(str(name), entry["strand"],
                                              str(entry.get("reference_allele", "*1")), stars)
        return cls(canonical_build(data.get("build")), variants, genes, where)

    def variant(self, rsid: str, where: str = "") -> VariantDefinition:
        """The definition of ``rsid``; ``AlleleTableError`` naming ``where`` if absent."""
        if rsid not in self.variants:
            raise AlleleTableError(f"{where}rsID {rsid} is not in the allele table "
                                   f"{self.source}")
        return self.variants[rsid]

    def gene(self, name: str, where: str = "") -> GeneDefinition:
        """The definition of gene ``name``; ``AlleleTableError`` naming ``where`` if absent."""
        if name not in self.genes:
            raise AlleleTableError(f"{where}gene {name} is not in the allele table "
                                   f"{self.source} (genes: {', '.join(self.genes)})")
        return self.genes[name]

    def star_variants(self, gene: str, star: str, where: str = "") -> tuple[str, ...]:
        """rsIDs whose ALT defines ``gene`` ``star`` (empty for the reference allele).

        Raises
        ------
        UnknownStarAlleleError naming ``where``, the allele and the known ones.
        """
        definition = self.gene(gene, where)
        if star == definition.reference_allele:
            return ()
        if star not in definition.star_alleles:
            known = ", ".join([definition.reference_allele, *definition.star_alleles])
            raise UnknownStarAlleleError(f"{where}unknown {gene} star allele {star!r}; the "
                                         f"allele table {self.source} defines {known}")
        return definition.star_alleles[star]


def default_allele_table() -> AlleleTable:
    """The table shipped with the package (``pgxdl/configs/data/alleles/pgx_alleles.yaml``)."""
    return AlleleTable.from_yaml(DEFAULT_ALLELE_TABLE)
