"""Write ``cpic_reference_frequencies.yaml`` from CPIC's own frequency workbooks.

``python benchmarks/cpic_reference_extract.py DIR [--obtained-from TEXT]`` reads
``DIR/<GENE>_frequency_table.xlsx`` (CPIC "Gene-specific Information Tables",
https://files.cpicpgx.org/data/report/current/frequency/<GENE>_frequency_table.xlsx) for
CYP2C9, CYP2C19 and CYP2D6, takes the sheet "Phenotype frequency" as published (fractions
of each biogeographical group, Hardy-Weinberg estimates from CPIC's literature allele
frequencies), sums its rows by CPIC phenotype (CYP2C9 and CYP2D6 give one row per activity
score, each labelled with its phenotype), converts to percent and prints the YAML that
``cpic_validation.py`` reads. Nothing is typed in by hand: every number is a sheet cell or
a sum of cells of one column, and the header records each workbook's SHA-256 and the date
of its newest change-log entry.
"""

from __future__ import annotations

import argparse
import hashlib
import textwrap
from pathlib import Path

import openpyxl

GENES = ("CYP2C19", "CYP2C9", "CYP2D6")
# 1000 Genomes super-population -> CPIC biogeographical group (column of the sheet).
GROUPS = {"EUR": "European", "EAS": "East Asian", "SAS": "Central/South Asian",
          "AFR": "Sub-Saharan African", "AMR": "Latino"}
# Row labels of the sheets (CPIC's spelling, "Ultrarrapid" included) -> phenotype names.
PHENOTYPES = {"ultrarrapid": "Ultrarapid Metabolizer", "ultrarapid": "Ultrarapid Metabolizer",
              "rapid": "Rapid Metabolizer", "normal": "Normal Metabolizer",
              "intermediate": "Intermediate Metabolizer", "poor": "Poor Metabolizer",
              "likely intermediate": "Likely Intermediate Metabolizer",
              "likely poor": "Likely Poor Metabolizer", "indeterminate": "Indeterminate"}
OBTAINED_FROM = ("copies of CPIC's workbooks committed in the public GitHub repository "
                 "dianabar23/TFM_GenoStaR (commit a6be676153e5f81681a820e1ba8a5f4967e381bd, "
                 "paths <GENE>/<GENE>_frequency_table.xlsx), no direct network access to "
                 "files.cpicpgx.org being available")


def phenotype_table(path: Path) -> tuple[dict[str, dict[str, float]], dict[str, list[str]], str]:
    """``{group: {phenotype: percent}}``, the sheet rows summed into each phenotype, and
    the date of the newest change-log entry."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = [r for r in book["Phenotype frequency"].iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(rows) if "European" in r)
    columns = {name: rows[header].index(name) for name in GROUPS.values()}
    names = list(rows[header])
    score_column = names.index("Activity Score") if "Activity Score" in names else None
    table: dict[str, dict[str, float]] = {g: {} for g in GROUPS}
    summed: dict[str, list[str]] = {}
    for row in rows[header + 1:]:
        label = str(row[0] or "").strip().lower().removesuffix(" metabolizer")
        if label not in PHENOTYPES or row[columns["European"]] is None:
            continue  # blank rows and the sheet's own (European-only) summary block
        if any(row[c] is None for c in columns.values()):
            continue
        phenotype = PHENOTYPES[label]
        summed.setdefault(phenotype, []).append(
            f"AS {row[score_column]}" if score_column is not None else str(row[0]).strip())
        for group, name in GROUPS.items():
            table[group][phenotype] = table[group].get(phenotype, 0.0) + float(row[columns[name]])
    dates = [r[0] for r in book["Change log"].iter_rows(values_only=True)
             if hasattr(r[0], "date")]
    order = [p for p in dict.fromkeys(PHENOTYPES.values()) if p in summed]
    return ({g: {p: 100 * t[p] for p in order} for g, t in table.items()}, summed,
            max(dates).date().isoformat())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--obtained-from", default=OBTAINED_FROM)
    args = parser.parse_args(argv)
    obtained = textwrap.fill(args.obtained_from, 88, initial_indent="# ",
                             subsequent_indent="# ")
    print(HEADER.format(obtained=obtained).rstrip())
    for gene in GENES:
        path = args.folder / f"{gene}_frequency_table.xlsx"
        table, summed, updated = phenotype_table(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{gene}:")
        print(f"  source: >-\n    CPIC {gene} frequency table, {gene}_frequency_table.xlsx (newest"
              f" change-log entry\n    {updated}; SHA-256 {digest}),"
              f"\n    sheet \"Phenotype frequency\", columns named by cpic_group.")
        for phenotype, parts in summed.items():
            if len(parts) > 1 or parts[0].startswith("AS"):
                print(f"  # {phenotype} = sum of rows {', '.join(parts)}")
        for group, name in GROUPS.items():
            print(f"  {group}:\n    cpic_group: {name}")
            for phenotype, value in table[group].items():
                print(f"    {phenotype}: {value:.2f}")


HEADER = """\
# CPIC phenotype frequencies (percent) per biogeographical group: the comparison column of
# benchmarks/cpic_validation.py. Generated by benchmarks/cpic_reference_extract.py from
# CPIC's frequency workbooks (https://files.cpicpgx.org/data/report/current/frequency/
# <GENE>_frequency_table.xlsx, also linked from PharmGKB/ClinPGx gene pages), sheet
# "Phenotype frequency". Read here from:
{obtained}.
# Every number is a cell of that sheet, or the sum of the cells of one column whose rows
# CPIC labels with the same phenotype (the rows summed are listed per gene), times 100,
# rounded to 2 decimals. CPIC computes these under Hardy-Weinberg equilibrium from allele
# frequencies averaged over published studies (sheet "Methods and Caveats").
# 1000 Genomes super-population -> CPIC group (the group is named in each entry):
# EUR -> European, EAS -> East Asian, SAS -> Central/South Asian, AMR -> Latino,
# AFR -> Sub-Saharan African (1kgp AFR also holds 157 ASW/ACB people, whom CPIC would
# count as African American/Afro-Caribbean). A gene or group missing from this file is
# reported by the benchmark without a reference column.
# Cross-checks: the CYP2D6 European sums equal the European-only summary block CPIC put
# under the same sheet (UM 2.33, NM 49.19, IM 38.25, PM 6.50, Indeterminate 3.73);
# CYP2C19 European agrees within 1.4 points with Table 3 of Pharmacogenomics
# 2022;19(4):327 (doi:10.2217/pme-2021-0175, PMC9318053; EUR column UM 4.7, RM 27.6,
# NM 40.6, IM 24.8); the CYP2D6 workbook's "Diplotype frequency" sheet equals, in its
# European, Central/South Asian, Latino and African American/Afro-Caribbean columns, all
# 15,051 diplotypes of an older CPIC copy vendored independently in github.com/parlar/
# cyrius-rs (cyrius-rs/data/CYP2D6_frequency_table_diplotypes.txt); its East Asian and
# Sub-Saharan African columns differ (newer workbook: change log 2024-10-17 "corrected
# frequencies for PMIDs 36111505, 36294714").
"""


if __name__ == "__main__":
    main()
