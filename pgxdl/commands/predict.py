"""The ``predict`` subcommand: new people's doses and risks from checkpoints alone.

``pgxdl predict --ckpt model.ckpt [--ckpt fold2.ckpt ...] --records people.csv
--genotypes people.vcf.gz --out predictions.csv``. Records: CSV, TSV, Parquet or a FHIR R4
Bundle (``.json``); genotypes: VCF/BCF or a table of rsID/gene columns (or the record's
own genotype columns / FHIR genotype observations). One row per person keyed by their
ID (only in ``--out``); exit code 0 when everyone was predicted, 1 when someone failed
(their row says why), 2 on an input error.

``pgxdl predict --ckpt gdsc.ckpt --cell-lines new_cells.csv --out predictions.csv``: the
GDSC case study's new cell lines (a GDSC genomic-features CSV), one row per (cell line,
drug) the model knows: ``COSMIC_ID, drug_id, drug_name, predicted_ln_ic50``
(:func:`pgxdl.gdsc.predict_cell_lines`).
"""

from __future__ import annotations

import argparse
import logging

from pgxdl.clinical.predict import predict_people
from pgxdl.clinical.report.writer import write_reports
from pgxdl.clinical.tables import write_table
from pgxdl.gdsc import predict_cell_lines

HELP = "predict for new people (VCF/genotypes + record or FHIR) from checkpoints alone"

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``predict`` subcommand's options."""
    parser.add_argument("--ckpt", action="append", required=True,
                        help="checkpoint (repeat to average an ensemble)")
    parser.add_argument("--cell-lines", help="GDSC genomic-features CSV of new cell lines "
                        "(a GDSC checkpoint): ln IC50 for every drug the model knows")
    parser.add_argument("--records", help="CSV/TSV/Parquet record table or FHIR Bundle .json")
    parser.add_argument("--genotypes", help="VCF/BCF, or a table of rsID/gene (diplotype) "
                        "columns; default: genotype columns of --records")
    parser.add_argument("--reference", help="reference FASTA of the model's build (default: "
                        "the training reference, when it is on this machine)")
    parser.add_argument("--id-column", default="id", help="ID column of the tables")
    parser.add_argument("--drug", help="drug of a multi-drug model")
    parser.add_argument("--as-of", help="ISO date for ages from FHIR birth dates (default "
                        "today)")
    parser.add_argument("--out", required=True,
                        help="output table (.csv, .tsv, .parquet or .json); holds the IDs")
    parser.add_argument("--report", help="folder for per-patient JSON + HTML reports and "
                        "the cohort page (index.html)")
    parser.add_argument("--report-drug", default="warfarin",
                        help="drug the reports are about (CPIC text; e.g. citalopram)")


def predict_cells(args: argparse.Namespace) -> int:
    """``--cell-lines``: every (cell line, drug) of one GDSC checkpoint into ``--out``."""
    if len(args.ckpt) != 1:
        raise ValueError("--cell-lines takes one --ckpt (a GDSC checkpoint)")
    table = predict_cell_lines(args.ckpt[0], args.cell_lines)
    path = write_table(table, args.out)
    print(f"wrote {len(table)} predictions ({table['COSMIC_ID'].nunique()} cell lines x "
          f"{table['drug_id'].nunique()} drugs) to {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Predict, write ``--out``, print counts (never IDs); 1 when anyone failed."""
    if args.cell_lines:
        return predict_cells(args)
    result = predict_people(args.ckpt, args.records, args.genotypes, args.reference,
                            args.id_column, args.drug, args.as_of)
    path = write_table(result.table, args.out)
    if args.report:
        ensemble = result.inputs["ensemble"]
        genotypes = args.genotypes or (result.inputs.get("genotype_table"))
        write_reports(result, ensemble, args.report, args.report_drug, genotypes,
                      args.id_column)
        print(f"reports: {args.report}/index.html")
    n = len(result.table)
    print(f"predicted {n - result.n_failed} of {n} people; {result.n_failed} failed "
          f"(status/reason columns); {int((result.table['n_warnings'] > 0).sum())} with "
          f"warnings\npredictions: {path}")
    return 1 if result.n_failed else 0
