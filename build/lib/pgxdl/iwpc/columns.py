"""The columns of the IWPC warfarin table that pgxdl reads, and how each value is parsed.

The table is the one PharmGKB distributes for the International Warfarin Pharmacogenetics
Consortium (Klein et al., NEJM 2009). Its column names are kept as PharmGKB spells them,
after :func:`normalise_column_name` (runs of white space become one space, ends stripped,
case ignored when matching), so ``"VKORC1     -1639 consensus"`` and
``"VKORC1 -1639 consensus"`` are the same column.

Each :class:`ColumnSpec` names the PharmGKB column, the short field name pgxdl uses, the
kind of value and whether the column must be present. Parsers turn one cell (a string,
``""`` when empty) into a value or raise ``ValueError`` saying what was expected; the
reader adds file, row and column to that message.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "number", "binary", "age_decade", "race", "gender", "cyp2c9",
                     "vkorc1"]

#: Race (OMB) categories of the IWPC table; an empty cell is read as ``Unknown``.
RACES = ("White", "Asian", "Black or African American", "Unknown")

#: Cell texts read as missing in every column.
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "none", "null"})
_TRUE = frozenset({"1", "1.0", "yes", "y", "true"})
_FALSE = frozenset({"0", "0.0", "no", "n", "false"})


@dataclass(frozen=True)
class ColumnSpec:
    """One IWPC column: PharmGKB ``source`` name, pgxdl ``field`` name, ``kind``.

    ``alleles`` lists the two allele letters of a VKORC1 SNP column (``kind="vkorc1"``);
    ``bounds`` the plausible range of a number, outside which the value is an error.
    """

    source: str
    field: str
    kind: ColumnKind
    required: bool = False
    alleles: str = ""
    bounds: tuple[float, float] = (-math.inf, math.inf)


def _binary(source: str, field: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(source, field, "binary", required)


def _vkorc1(position: str, field: str, alleles: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(f"VKORC1 {position} consensus", field, "vkorc1", required, alleles)


#: Every column pgxdl reads, in the order of PharmGKB's table.
IWPC_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("PharmGKB Subject ID", "subject_id", "text", required=True),
    ColumnSpec("Project Site", "site", "text", required=True),
    ColumnSpec("Gender", "gender", "gender"),
    ColumnSpec("Race (OMB)", "race", "race", required=True),
    ColumnSpec("Age", "age_decade", "age_decade", required=True),
    ColumnSpec("Height (cm)", "height_cm", "number", required=True, bounds=(50.0, 250.0)),
    ColumnSpec("Weight (kg)", "weight_kg", "number", required=True, bounds=(10.0, 350.0)),
    _binary("Diabetes", "diabetes"),
    _binary("Congestive Heart Failure and/or Cardiomyopathy", "heart_failure"),
    _binary("Valve Replacement", "valve_replacement"),
    _binary("Aspirin", "aspirin"),
    _binary("Acetaminophen or Paracetamol (Tylenol)", "acetaminophen"),
    _binary("Simvastatin (Zocor)", "simvastatin"),
    _binary("Atorvastatin (Lipitor)", "atorvastatin"),
    _binary("Amiodarone (Cordarone)", "amiodarone", required=True),
    _binary("Carbamazepine (Tegretol)", "carbamazepine", required=True),
    _binary("Phenytoin (Dilantin)", "phenytoin", required=True),
    _binary("Rifampin or Rifampicin", "rifampin", required=True),
    _binary("Sulfonamide Antibiotics", "sulfonamide"),
    _binary("Macrolide Antibiotics", "macrolide"),
    _binary("Anti-fungal Azoles", "azole_antifungal"),
    _binary("Herbal Medications, Vitamins, Supplements", "herbal_supplements"),
    ColumnSpec("Target INR", "target_inr", "number", bounds=(1.0, 5.0)),
    _binary("Subject Reached Stable Dose of Warfarin", "reached_stable_dose", required=True),
    ColumnSpec("Therapeutic Dose of Warfarin", "dose_mg_week", "number", required=True,
               bounds=(0.0, 400.0)),
    _binary("Current Smoker", "smoker"),
    ColumnSpec("CYP2C9 consensus", "cyp2c9", "cyp2c9", required=True),
    _vkorc1("-1639", "vkorc1_rs9923231", "AG", required=True),
    _vkorc1("497", "vkorc1_rs2884737", "GT"),
    _vkorc1("1173", "vkorc1_rs9934438", "CT"),
    _vkorc1("1542", "vkorc1_rs8050894", "CG"),
    _vkorc1("3730", "vkorc1_rs7294", "AG"),
    _vkorc1("2255", "vkorc1_rs2359612", "CT"),
    _vkorc1("-4451", "vkorc1_rs17880887", "AC"),
)

_AGE_BIN = re.compile(r"^(\d+)\s*-\s*(\d+)$")
_AGE_OPEN = re.compile(r"^(\d+)\s*\+$")
_STAR_DIPLOTYPE = re.compile(r"^\*(\d+)([A-Z]?)\s*/\s*\*(\d+)([A-Z]?)$")
_TWO_ALLELES = re.compile(r"^([ACGT])\s*/\s*([ACGT])$")


def normalise_column_name(name: object) -> str:
    """PharmGKB column name with runs of white space collapsed and ends stripped."""
    return " ".join(str(name).split())


def is_missing(cell: str) -> bool:
    """True for an empty cell or a missing-value token (``NA``, ``nan``, ...)."""
    return cell.strip().lower() in MISSING_TOKENS


def parse_cell(cell: str, spec: ColumnSpec):
    """Parse one cell of column ``spec``; ``None`` (text) or NaN (numbers) when missing.

    Raises
    ------
    ValueError
        Saying what the column expects; the caller adds file, row and column.
    """
    text = cell.strip()
    if spec.kind == "race":
        return _parse_race(text)
    if is_missing(text):
        return math.nan if spec.kind in ("number", "binary", "age_decade") else None
    if spec.kind == "text":
        return text[:-2] if re.fullmatch(r"\d+\.0", text) else text
    if spec.kind == "number":
        return _parse_number(text, spec.bounds)
    if spec.kind == "binary":
        return _parse_binary(text)
    if spec.kind == "age_decade":
        return _parse_age_decade(text)
    if spec.kind == "gender":
        return _parse_gender(text)
    if spec.kind == "cyp2c9":
        return _parse_star_diplotype(text)
    return _parse_snp_genotype(text, spec.alleles)


def _parse_number(text: str, bounds: tuple[float, float]) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {text!r}") from None
    low, high = bounds
    if not low <= value <= high:
        raise ValueError(f"{value:g} is outside the plausible range [{low:g}, {high:g}]")
    return value


def _parse_binary(text: str) -> float:
    lowered = text.lower()
    if lowered in _TRUE:
        return 1.0
    if lowered in _FALSE:
        return 0.0
    raise ValueError(f"expected 1/0 or yes/no, got {text!r}")


def _parse_age_decade(text: str) -> float:
    """``"60 - 69"`` -> 6.0, ``"90+"`` -> 9.0 (the IWPC "age in decades")."""
    closed = _AGE_BIN.match(text)
    if closed:
        low, high = int(closed.group(1)), int(closed.group(2))
        if low % 10 == 0 and high == low + 9:
            return float(low // 10)
    opened = _AGE_OPEN.match(text)
    if opened and int(opened.group(1)) % 10 == 0:
        return float(int(opened.group(1)) // 10)
    raise ValueError(f"expected an age decade bin such as '60 - 69' or '90+', got {text!r}")


def _parse_race(text: str) -> str:
    if is_missing(text):
        return "Unknown"
    for race in RACES:
        if text.lower() == race.lower():
            return race
    raise ValueError(f"expected one of {list(RACES)} (Race (OMB)), got {text!r}")


def _parse_gender(text: str) -> str | None:
    lowered = text.lower()
    if lowered in ("male", "female"):
        return lowered
    if lowered == "-99":
        return None
    raise ValueError(f"expected male, female or -99, got {text!r}")


def _parse_star_diplotype(text: str) -> str:
    """``"*3/*1"`` -> ``"*1/*3"``: star alleles ordered by number."""
    match = _STAR_DIPLOTYPE.match(text)
    if not match:
        raise ValueError(f"expected a star-allele diplotype such as '*1/*3', got {text!r}")
    first = (int(match.group(1)), match.group(2))
    second = (int(match.group(3)), match.group(4))
    low, high = sorted((first, second))
    return f"*{low[0]}{low[1]}/*{high[0]}{high[1]}"


def _parse_snp_genotype(text: str, alleles: str) -> str:
    """``"G/A"`` -> ``"A/G"``: the two alleles sorted, both from ``alleles``."""
    match = _TWO_ALLELES.match(text.upper())
    if not match or not set(match.groups()) <= set(alleles):
        raise ValueError(f"expected a genotype of alleles {'/'.join(alleles)} "
                         f"such as '{alleles[0]}/{alleles[1]}', got {text!r}")
    return "/".join(sorted(match.groups()))
