"""New people's genotypes: a VCF/BCF, a genotype table (rsIDs) or star diplotypes.

Whatever the source, the result is one :class:`~pgxdl.genome.variants.callset.CallSet`
over the people asked for, restricted to the model's windows, plus a reason for each person
whose genotypes could not be read (absent from the VCF, an unparseable cell). A genotype
table has an ID column and columns named by rsID (``rs9923231``: ``C/T``) or by gene
(``CYP2C9``: ``*1/*3``) of pgxdl's allele table; other columns are ignored, so the record
table itself may carry the genotypes. A person's variants that a table does not list are
taken as reference, as the builders do; the report flags no-calls at key variants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.clinical.tables_cache import allele_table
from pgxdl.genome.errors import GenomeInputError
from pgxdl.genome.reference.builds import normalise_chrom
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import WindowSpec
from pgxdl.genome.variants.alleles import AlleleTable
from pgxdl.genome.variants.callset import CallSet
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table
from pgxdl.genome.variants.vcf import read_vcf

VCF_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz", ".bcf")


@dataclass
class GenotypeCalls:
    """Calls of the people who could be read, and why the others could not.

    ``callset`` holds the readable people in input order over the sites inside the windows;
    ``failed`` maps a person's ID to the reason.
    """

    callset: CallSet
    failed: dict[str, str] = field(default_factory=dict)


def is_vcf(path: str | Path) -> bool:
    return str(path).lower().endswith(VCF_SUFFIXES)


def read_genotypes(path: str | Path, ids: list[str], windows: list[WindowSpec],
                   reference: ReferenceGenome | None = None, id_column: str = "id",
                   alleles: AlleleTable | None = None) -> GenotypeCalls:
    """Genotypes of ``ids`` from a VCF/BCF or a genotype table file.

    Raises
    ------
    FileNotFoundError; ValueError (a ``GenomeInputError``) for a file that cannot be read
    at all (malformed VCF, another genome build, no genotype column).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"genotype file {path} not found")
    if is_vcf(path):
        callset = read_vcf(path, windows=windows, reference=reference)
        present = set(callset.samples)
        failed = {i: f"not a sample of {path.name}" for i in ids if i not in present}
        kept = [i for i in ids if i in present]
        return GenotypeCalls(callset.subset_samples(kept), failed)
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, sep="\t" if path.suffix in (".tsv", ".txt") else ",",
                            dtype=str, keep_default_na=False)
    if id_column not in table.columns:
        raise GenomeInputError(f"{path}: ID column {id_column!r} not found (set --id-column)")
    return genotypes_from_table(table.rename(columns={id_column: "id"}), ids, windows,
                                str(path), alleles)


def genotypes_from_table(table: pd.DataFrame, ids: list[str], windows: list[WindowSpec],
                         source: str, alleles: AlleleTable | None = None) -> GenotypeCalls:
    """Calls of ``ids`` from a table with an ``id`` column and rsID/gene columns.

    A cell that cannot be parsed fails only its person (the reason names the column).
    Columns whose variants all lie outside the windows are not read (a CYP2D6 diplotype
    does not matter to a warfarin model).
    """
    alleles = alleles or allele_table()
    known = [c for c in table.columns if c in alleles.variants or c in alleles.genes]
    if not known:
        raise GenomeInputError(f"{source}: no genotype column; name columns by rsID "
                               f"(e.g. rs9923231) or gene (e.g. CYP2C9) of the allele table")
    columns = {c: c for c in known if _touches(c, alleles, windows)}
    table = table.assign(id=table["id"].astype(str).str.strip())
    by_id = table.drop_duplicates("id").set_index("id")
    failed = {i: f"not in {Path(source).name}" for i in ids if i not in by_id.index}
    wanted = by_id.loc[[i for i in ids if i in by_id.index]].reset_index()
    try:
        callset = callset_from_genotype_table(wanted, columns, alleles, sample_column="id",
                                              source=source)
    except GenomeInputError:
        callset, failed = _per_person(wanted, columns, alleles, source, failed)
    return GenotypeCalls(callset.restrict_to_windows(windows), failed)


def _touches(column: str, alleles: AlleleTable, windows: list[WindowSpec]) -> bool:
    """Whether an rsID column, or any defining variant of a gene column, is in a window."""
    rsids = [column] if column in alleles.variants else alleles.genes[column].variant_ids
    variants = [alleles.variants[r] for r in rsids]
    return any(normalise_chrom(v.chrom) == normalise_chrom(w.chrom) and w.start <= v.pos <= w.end
               for v in variants for w in windows)


def _per_person(table: pd.DataFrame, columns: dict, alleles: AlleleTable, source: str,
                failed: dict[str, str]) -> tuple[CallSet, dict[str, str]]:
    """Read each person on their own, so a bad cell fails its person only."""
    good, failed = [], dict(failed)
    for row in range(len(table)):
        person = table.iloc[[row]]
        try:
            callset_from_genotype_table(person, columns, alleles, sample_column="id",
                                        source=source)
        except GenomeInputError as error:
            failed[str(person["id"].iloc[0])] = str(error).removeprefix(f"{source}: ")
            continue
        good.append(row)
    kept = table.iloc[good]
    if kept.empty:
        return empty_callset(source), failed
    return callset_from_genotype_table(kept, columns, alleles, sample_column="id",
                                       source=source), failed


def empty_callset(source: str) -> CallSet:
    """A call set of nobody at no site."""
    return CallSet([], [], [], [], [], np.zeros((0, 0, 2), np.int8), np.zeros((0, 0), bool),
                   [], source)
