"""Genotype tables as clinical cohorts ship them, turned into an unphased CallSet.

Two kinds of columns, declared by the caller:

- **rsID genotype columns** (``'A/G'``, ``'AG'``, ``'A|G'``, ``'G/G'``): the two alleles of
  one variant of the allele table. Cohorts report them on either strand (IWPC reports
  VKORC1 rs9923231 as ``A/G`` on the gene strand, the complement of the + strand C/T).
  Each column's strand is ``'+'``, ``'-'``, ``'gene'`` (the gene's strand in the table) or
  ``'auto'`` (default): + strand when every allele is REF or ALT, minus when every allele is
  a complement of them. A palindromic SNP (A/T, C/G) cannot be told apart and needs an
  explicit strand.
- **star diplotype columns** (``'*1/*3'``): a gene of the allele table; each haplotype
  carries the ALT of its star allele's defining variants (``*1`` carries none).

Missing values (NaN, empty, ``NA``, ``./.``) become ``-1`` calls. Calls with ``|`` are
marked phased, all others unphased. Errors name the table, the data row (1-based, header
excluded) and the column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgxdl.genome.errors import AlleleTableError, GenomeInputError, GenotypeParseError
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.variants.alleles import AlleleTable, default_allele_table
from pgxdl.genome.variants.callset import CallSet

STRANDS = ("auto", "+", "-", "gene")
_MISSING = {"", "NA", "N/A", "NAN", "NONE", ".", "./.", ".|.", "NOCALL", "NO CALL"}
_COMPLEMENT = str.maketrans("ACGT", "TGCA")
_SEPARATED = re.compile(r"^([ACGT]+)\s*([/|])\s*([ACGT]+)$")
_DIPLOTYPE = re.compile(r"^\*?([0-9A-Za-z.]+)\s*([/|])\s*\*?([0-9A-Za-z.]+)$")


@dataclass(frozen=True)
class GenotypeColumn:
    """How to read one table column: an rsID genotype or a gene's star diplotype."""

    column: str
    rsid: str | None = None
    gene: str | None = None
    strand: str = "auto"


def parse_genotype(value) -> tuple[str, str, bool] | None:
    """``(allele1, allele2, phased)`` of a genotype string, ``None`` when missing.

    Raises
    ------
    GenotypeParseError when the text is not two A/C/G/T alleles.
    """
    if _is_missing(value):
        return None
    text = str(value).strip().upper()
    match = _SEPARATED.match(text)
    if match:
        return match[1], match[3], match[2] == "|"
    if re.fullmatch(r"[ACGT]{2}", text):
        return text[0], text[1], False
    raise GenotypeParseError(f"cannot parse genotype {value!r} (expected e.g. 'A/G', 'AG' "
                             f"or 'A|G')")


def parse_diplotype(value) -> tuple[str, str, bool] | None:
    """``('*1', '*3', phased)`` of a diplotype string, ``None`` when missing.

    Raises
    ------
    GenotypeParseError when the text is not two star alleles.
    """
    if _is_missing(value):
        return None
    match = _DIPLOTYPE.match(str(value).strip())
    if not match:
        raise GenotypeParseError(f"cannot parse diplotype {value!r} (expected e.g. '*1/*3')")
    return f"*{match[1]}", f"*{match[3]}", match[2] == "|"


def genotype_columns(columns: Mapping[str, str | Mapping], alleles: AlleleTable
                     ) -> list[GenotypeColumn]:
    """Column declarations from ``{column: 'rs123' | 'GENE' | {rsid|gene, strand}}``."""
    parsed = []
    for column, spec in columns.items():
        spec = dict(spec) if isinstance(spec, Mapping) else (
            {"rsid": spec} if str(spec) in alleles.variants else {"gene": spec})
        declared = GenotypeColumn(str(column), spec.get("rsid"), spec.get("gene"),
                                  spec.get("strand", "auto"))
        if declared.rsid:
            alleles.variant(declared.rsid, f"column {column!r}: ")
        else:
            alleles.gene(str(declared.gene), f"column {column!r}: ")
        if declared.strand not in STRANDS:
            raise AlleleTableError(f"column {column!r}: strand must be one of {STRANDS}")
        parsed.append(declared)
    return parsed


def callset_from_genotype_table(table: pd.DataFrame, columns: Mapping[str, str | Mapping],
                                alleles: AlleleTable | None = None, *,
                                sample_column: str | None = None,
                                source: str = "genotype table") -> CallSet:
    """An unphased CallSet from genotype and diplotype columns of a table.

    Parameters
    ----------
    table : one row per subject.
    columns : column name -> rsID (genotype strings), gene (star diplotypes), or a mapping
        ``{rsid: ..., strand: ...}`` / ``{gene: ...}``.
    alleles : allele-definition table (the shipped one if ``None``).
    sample_column : column of sample IDs (the table index if ``None``).
    source : name of the table in error messages (e.g. its path).

    Returns
    -------
    CallSet of ``S = len(table)`` samples over the declared variants, sorted by position.

    Raises
    ------
    GenotypeParseError, UnknownStarAlleleError naming data row and column; AlleleTableError
    for an unknown rsID or gene, or a variant covered by two columns.
    """
    alleles = alleles or default_allele_table()
    declared = genotype_columns(columns, alleles)
    samples = (table[sample_column] if sample_column else table.index).astype(str).tolist()
    if len(set(samples)) != len(samples):
        rows = [i + 1 for i, s in enumerate(samples) if samples.count(s) > 1][:10]
        raise GenomeInputError(f"{source}: duplicate sample IDs at data rows {rows}")
    calls: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    owner: dict[str, str] = {}
    for spec in declared:
        if spec.column not in table.columns:
            raise GenomeInputError(f"{source}: column {spec.column!r} not in the table")
        reader = _rsid_calls if spec.rsid else _diplotype_calls
        for rsid, call in reader(table[spec.column], spec, alleles, source).items():
            if rsid in owner:
                raise AlleleTableError(f"{source}: {rsid} is covered by columns "
                                       f"{owner[rsid]!r} and {spec.column!r}")
            owner[rsid] = spec.column
            calls[rsid] = call
    order = sorted(calls, key=lambda r: (normalise_chrom(alleles.variants[r].chrom),
                                         alleles.variants[r].pos))
    defs = [alleles.variants[r] for r in order]
    genotypes = np.stack([calls[r][0] for r in order], axis=1) if order else \
        np.zeros((len(samples), 0, 2), np.int8)
    phased = np.stack([calls[r][1] for r in order], axis=1) if order else \
        np.zeros((len(samples), 0), bool)
    return CallSet([d.chrom for d in defs], [d.pos for d in defs], order,
                   [d.ref for d in defs], [d.alt for d in defs], genotypes, phased, samples,
                   source)


def _rsid_calls(values: pd.Series, spec: GenotypeColumn, alleles: AlleleTable, source: str):
    """``{rsid: (genotypes (S, 2) int8, phased (S,))}`` of an rsID genotype column."""
    variant = alleles.variants[spec.rsid]
    parsed = _parse_unique(values, parse_genotype, spec, source)
    strand = _column_strand(parsed, variant, spec, alleles, source)
    codes = {}
    for value, call in parsed.items():
        if call is None:
            codes[value] = (-1, -1, False)
            continue
        pair = [a.translate(_COMPLEMENT)[::-1] if strand == "-" else a for a in call[:2]]
        for allele in pair:
            if allele not in (variant.ref, variant.alt):
                raise GenotypeParseError(
                    f"{_where(values, value, spec, source)}: allele {allele} of {value!r} "
                    f"({'minus' if strand == '-' else 'plus'} strand) is neither REF "
                    f"{variant.ref} nor ALT {variant.alt} of {spec.rsid}")
        codes[value] = (int(pair[0] == variant.alt), int(pair[1] == variant.alt), call[2])
    return {spec.rsid: _calls_array(values, codes)}


def _diplotype_calls(values: pd.Series, spec: GenotypeColumn, alleles: AlleleTable,
                     source: str):
    """``{rsid: (genotypes (S, 2), phased (S,))}`` for every variant of the gene."""
    gene = alleles.gene(str(spec.gene))
    parsed = _parse_unique(values, parse_diplotype, spec, source)
    out = {}
    for rsid in gene.variant_ids:
        codes = {}
        for value, call in parsed.items():
            if call is None:
                codes[value] = (-1, -1, False)
                continue
            where = f"{_where(values, value, spec, source)}: "
            carried = [rsid in alleles.star_variants(gene.name, star, where) for star in call[:2]]
            codes[value] = (int(carried[0]), int(carried[1]), call[2])
        out[rsid] = _calls_array(values, codes)
    return out


def _parse_unique(values: pd.Series, parser, spec: GenotypeColumn, source: str) -> dict:
    parsed = {}
    for value in pd.unique(values.astype(object)):
        try:
            parsed[value] = parser(value)
        except GenotypeParseError as err:
            raise GenotypeParseError(f"{_where(values, value, spec, source)}: {err}") from err
    return parsed


def _column_strand(parsed: dict, variant, spec: GenotypeColumn, alleles: AlleleTable,
                   source: str) -> str:
    if spec.strand in ("+", "-"):
        return spec.strand
    if spec.strand == "gene":
        return alleles.gene(variant.gene, f"column {spec.column!r}: ").strand
    seen = {a for call in parsed.values() if call for a in call[:2]}
    plus = {variant.ref, variant.alt}
    minus = {a.translate(_COMPLEMENT)[::-1] for a in plus}
    if plus == minus:
        raise GenotypeParseError(
            f"{source}: column {spec.column!r}: {spec.rsid} is palindromic "
            f"({variant.ref}/{variant.alt}), so its strand cannot be inferred; declare "
            f"strand '+', '-' or 'gene'")
    return "-" if seen and seen <= minus else "+"


def _calls_array(values: pd.Series, codes: dict) -> tuple[np.ndarray, np.ndarray]:
    table = [codes[v] for v in values.astype(object)]
    array = np.array([c[:2] for c in table], dtype=np.int8).reshape(len(table), 2)
    return array, np.array([c[2] for c in table], dtype=bool)


def _where(values: pd.Series, value, spec: GenotypeColumn, source: str) -> str:
    matches = np.flatnonzero(values.astype(object).to_numpy() == value)
    row = int(matches[0]) + 1 if matches.size else "?"
    return f"{source}: data row {row}, column {spec.column!r}"


def _is_missing(value) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    return str(value).strip().upper() in _MISSING
