"""Tiny IWPC-shaped tables for tests: PharmGKB column names, written to a temporary folder.

No real patient data: rows are written by hand in tests or drawn from a seeded generator
whose doses follow the IWPC pharmacogenetic formula plus noise. No real genome either: the
reference is random bases with the allele table's REF alleles at the variant positions.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pgxdl.genome.variants.alleles import default_allele_table
from pgxdl.iwpc.columns import IWPC_COLUMNS

#: The real file spells two columns with runs of spaces; keep that to test normalisation.
SPACED_NAMES = {"VKORC1 -1639 consensus": "VKORC1     -1639 consensus",
                "VKORC1 -4451 consensus": "VKORC1     -4451 consensus"}
HEADER = [SPACED_NAMES.get(spec.source, spec.source) for spec in IWPC_COLUMNS] + [
    "Comments regarding Project Site Dataset"]


def patient(subject: str = "PA1", **values: str) -> dict[str, str]:
    """One row keyed by (normalised) PharmGKB column name; unspecified columns are empty.

    The defaults make a scoreable patient: site 1, White, 60-69, 170 cm, 80 kg, G/G, *1/*1,
    stable dose 35 mg/week.
    """
    row = {"PharmGKB Subject ID": subject, "Project Site": "1", "Gender": "male",
           "Race (OMB)": "White", "Age": "60 - 69", "Height (cm)": "170", "Weight (kg)": "80",
           "Amiodarone (Cordarone)": "0", "Subject Reached Stable Dose of Warfarin": "1",
           "Therapeutic Dose of Warfarin": "35", "CYP2C9 consensus": "*1/*1",
           "VKORC1 -1639 consensus": "G/G"}
    row.update(values)
    return row


def write_iwpc_csv(path: Path, rows: list[dict[str, str]], header: list[str] | None = None,
                   delimiter: str = ",") -> Path:
    """Write ``rows`` under ``header`` (default: every column pgxdl reads) and return ``path``."""
    header = header or HEADER
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(" ".join(name.split()), "") for name in header])
    return path


def synthetic_rows(n: int, seed: int = 0, n_sites: int = 4) -> list[dict[str, str]]:
    """``n`` random patients over ``n_sites`` sites, dose = IWPC formula x lognormal noise.

    About 10% lack height and 5% lack a dose, so selection and imputation have work to do.
    """
    rng = np.random.default_rng(seed)
    races = ["White", "Asian", "Black or African American", "Unknown"]
    vk_effect = {"G/G": 0.0, "A/G": -0.8677, "A/A": -1.6974}
    cyp_effect = {"*1/*1": 0.0, "*1/*2": -0.5211, "*1/*3": -0.9357, "*2/*3": -1.9206}
    rows = []
    for index in range(n):
        decade = int(rng.integers(3, 9))
        height, weight = rng.normal(168, 10), rng.normal(78, 15)
        vkorc1 = str(rng.choice(list(vk_effect), p=[0.4, 0.4, 0.2]))
        cyp2c9 = str(rng.choice(list(cyp_effect), p=[0.7, 0.12, 0.12, 0.06]))
        sqrt_dose = (5.6044 - 0.2614 * decade + 0.0087 * height + 0.0128 * weight
                     + vk_effect[vkorc1] + cyp_effect[cyp2c9])
        dose = sqrt_dose ** 2 * float(np.exp(rng.normal(0, 0.2)))
        rows.append(patient(
            f"PA{index}", **{
                "Project Site": str(1 + index % n_sites),
                "Race (OMB)": races[int(rng.integers(0, 4))],
                "Age": f"{decade * 10} - {decade * 10 + 9}",
                "Height (cm)": "" if rng.random() < 0.1 else f"{height:.1f}",
                "Weight (kg)": f"{weight:.1f}",
                "Therapeutic Dose of Warfarin": "" if rng.random() < 0.05 else f"{dose:.2f}",
                "CYP2C9 consensus": cyp2c9,
                "VKORC1 -1639 consensus": vkorc1,
                "Amiodarone (Cordarone)": "1" if rng.random() < 0.05 else "0",
                "Current Smoker": str(int(rng.random() < 0.2)),
            }))
    return rows


#: Region-slice records of the made-up reference, covering the windows of the IWPC config.
FAKE_RECORDS = {"chr16": (31090001, 31098000), "chr10": (94941001, 94982000)}


def write_fake_reference(path: Path) -> Path:
    """A FASTA of random bases over :data:`FAKE_RECORDS`, REF alleles of the allele table set."""
    rng = np.random.default_rng(0)
    sequences = {chrom: list(rng.choice(list("ACGT"), end - start + 1))
                 for chrom, (start, end) in FAKE_RECORDS.items()}
    for variant in default_allele_table().variants.values():
        start, end = FAKE_RECORDS.get(variant.chrom, (0, -1))
        if start <= variant.pos and variant.pos + len(variant.ref) - 1 <= end:
            offset = variant.pos - start
            sequences[variant.chrom][offset:offset + len(variant.ref)] = list(variant.ref)
    path.write_text("".join(f">{chrom}:{start}-{end}\n{''.join(sequences[chrom])}\n"
                            for chrom, (start, end) in FAKE_RECORDS.items()))
    return path
