"""Bad-input cases of windows, the reference FASTA and genotype tables (issue 14 item 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.bad_input_case import error_case, handled_case
from benchmarks.bad_input_world import WINDOWS, check_sites
from pgxdl.genome.errors import (
    AlleleTableError,
    BuildMismatchError,
    ContigNotFoundError,
    GenomeInputError,
    GenotypeParseError,
    RegionOutsideReferenceError,
    UnknownStarAlleleError,
    WindowSpecError,
)
from pgxdl.genome.variants.genotype_table import callset_from_genotype_table

WINDOWS_FILE = r"windows\.yaml"


def _windows(windows=None, build="GRCh38"):
    def run(world):
        world.config["windows"] = str(world.write_windows(windows or WINDOWS, build=build))
        return world.build()
    return run


def _changed(index: int, **fields) -> list[dict]:
    return [{**w, **fields} if i == index else w for i, w in enumerate(WINDOWS)]


def _reference(text: str | None = None, name: str = "tiny_GRCh38.fa", folder=False):
    def run(world):
        path = world.folder / name
        if folder:
            path.mkdir()
        elif text is not None:
            path.write_text(text)
        world.config["reference"] = str(path)
        return world.build()
    return run


def _table(values: dict, columns: dict, samples=("A", "B", "C")):
    def run(world):
        table = pd.DataFrame({"sample": list(samples), **values})
        return callset_from_genotype_table(table, columns, sample_column="sample",
                                           source=str(world.folder / "gt.csv"))
    return run


def _check_calls(expected: np.ndarray):
    def check(world, callset):
        got = callset.genotypes.sum(axis=2, where=callset.genotypes >= 0)
        got[(callset.genotypes < 0).any(axis=2)] = -1
        assert got.tolist() == expected.tolist(), f"{got.tolist()} != {expected.tolist()}"
    return check


GT = r"gt\.csv"

CASES = [
    error_case("windows_build_other_than_reference", "windows", _windows(build="GRCh37"),
               BuildMismatchError, WINDOWS_FILE, "GRCh37", "GRCh38", "lift", issue="14.7"),
    handled_case("windows_build_alias_hg38", "windows", _windows(build="hg38"),
                 lambda world, store: check_sites(world, store), issue="14.7"),
    error_case("windows_build_unknown", "windows", _windows(build="hg99"), WindowSpecError,
               WINDOWS_FILE, "'hg99'", "not a known genome build"),
    error_case("windows_unequal_lengths", "windows", _windows(_changed(1, end=70)),
               WindowSpecError, "same length", "w1=40", "w2=50"),
    error_case("windows_duplicate_names", "windows", _windows(_changed(1, name="w1")),
               WindowSpecError, WINDOWS_FILE, "duplicate window names", "w1"),
    error_case("windows_bad_strand", "windows", _windows(_changed(1, strand="minus")),
               WindowSpecError, "w2", "strand must be"),
    error_case("windows_missing_coordinate", "windows",
               _windows([{k: v for k, v in w.items() if k != "end"} for w in WINDOWS]),
               WindowSpecError, WINDOWS_FILE, "lacks start\\+end or center\\+length"),
    error_case("windows_text_coordinate", "windows", _windows(_changed(0, start="twenty")),
               WindowSpecError, WINDOWS_FILE, "non-integer coordinate"),
    error_case("windows_file_missing", "windows",
               lambda w: w.build(windows=str(w.folder / "none.yaml")), FileNotFoundError,
               r"none\.yaml", "no such file"),
    error_case("windows_contig_not_in_reference", "windows",
               _windows(_changed(1, chrom="chr3")), ContigNotFoundError, "'chr3'",
               r"tiny_GRCh38\.fa", "available contigs: chr1, chr2"),
    error_case("windows_beyond_reference_record", "windows",
               _windows(_changed(1, start=100, end=139)), RegionOutsideReferenceError,
               "chr2:100-139", r"tiny_GRCh38\.fa", "chr2:1-120"),
    error_case("reference_build_setting_contradicts_fasta", "reference",
               lambda w: w.build(reference_build="GRCh37"), BuildMismatchError,
               r"tiny_GRCh38\.fa", "is GRCh38", "reference_build: GRCh37"),
    error_case("reference_build_unknown_name", "reference",
               lambda w: w.build(reference_build="hg99"), ValueError, "'hg99'",
               "not a known genome build"),
    error_case("reference_missing", "reference", _reference(name="none.fa"),
               FileNotFoundError, r"none\.fa", "not found"),
    error_case("reference_not_fasta", "reference", _reference("hello\nworld\n", "text.fa"),
               GenomeInputError, r"text\.fa", "cannot be indexed", "line 1"),
    error_case("reference_empty", "reference", _reference("", "empty.fa"), GenomeInputError,
               r"empty\.fa", "cannot be indexed"),
    error_case("reference_is_folder", "reference", _reference(name="ref_dir", folder=True),
               GenomeInputError, "ref_dir", "is a folder"),
    error_case("genotype_table_unparseable", "genotype table",
               _table({"rs9923231": ["C/T", "C/X", "T/T"]}, {"rs9923231": "rs9923231"}),
               GenotypeParseError, GT, "row 2", "rs9923231", "'C/X'"),
    error_case("genotype_table_unknown_star", "genotype table",
               _table({"CYP2C9": ["*1/*1", "*1/*99", "*3/*3"]}, {"CYP2C9": "CYP2C9"}),
               UnknownStarAlleleError, GT, "'\\*99'", "CYP2C9"),
    error_case("genotype_table_unknown_rsid", "genotype table",
               _table({"x": ["C/T", "C/C", "T/T"]}, {"x": "rs000000"}), AlleleTableError,
               "rs000000", "not in the allele table"),
    error_case("genotype_table_duplicate_samples", "genotype table",
               _table({"rs9923231": ["C/T", "C/C", "T/T"]}, {"rs9923231": "rs9923231"},
                      samples=("A", "B", "A")),
               GenomeInputError, GT, "duplicate sample IDs", r"\[1, 3\]"),
    error_case("genotype_table_column_missing", "genotype table",
               _table({"rs9923231": ["C/T", "C/C", "T/T"]}, {"vk": "rs9923231"}),
               GenomeInputError, GT, "'vk'", "not in the table"),
    handled_case("genotype_table_missing_values", "genotype table",
                 _table({"rs9923231": ["NA", "", "C/T"]}, {"rs9923231": "rs9923231"}),
                 _check_calls(np.array([[-1], [-1], [1]]))),
    handled_case("genotype_table_gene_strand", "genotype table",
                 _table({"rs9923231": ["G/G", "A/G", "A/A"]}, {"rs9923231": "rs9923231"}),
                 _check_calls(np.array([[0], [1], [2]]))),
    handled_case("genotype_table_compact_and_phased", "genotype table",
                 _table({"rs9923231": ["CC", "C|T", "TT"]}, {"rs9923231": "rs9923231"}),
                 _check_calls(np.array([[0], [1], [2]]))),
]
