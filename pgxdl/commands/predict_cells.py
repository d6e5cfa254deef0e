"""``pgxdl predict-cells CHECKPOINT FEATURES_CSV --out predictions.csv``: ln IC50 of new
cell lines for every drug a GDSC checkpoint knows (:func:`pgxdl.gdsc.predict_cell_lines`).

The CSV is in the GDSC genomic-features layout (``COSMIC_ID``, ``TISSUE_FACTOR``,
``MSI_FACTOR`` and the binary calls); the output has one row per (cell line, drug):
``COSMIC_ID, drug_id, drug_name, predicted_ln_ic50``, written atomically. It carries the
cell lines' identifiers because the user asked for them; nothing is logged.
"""

from __future__ import annotations

import argparse

from pgxdl.gdsc import predict_cell_lines
from pgxdl.io import atomic_write_text

HELP = "predict ln IC50 of new cell lines for every drug of a GDSC checkpoint"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a GDSC checkpoint (.ckpt)")
    parser.add_argument("features", help="GDSC-format genomic-features CSV of the cell lines")
    parser.add_argument("--out", required=True, help="output CSV")


def run(args: argparse.Namespace) -> int:
    table = predict_cell_lines(args.checkpoint, args.features)
    atomic_write_text(args.out, table.to_csv(index=False))
    print(f"wrote {len(table)} predictions ({table['COSMIC_ID'].nunique()} cell lines x "
          f"{table['drug_id'].nunique()} drugs) to {args.out}")
    return 0
