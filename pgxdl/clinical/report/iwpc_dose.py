"""The IWPC pharmacogenetic formula dose beside the model's, when a person's inputs allow.

Inputs come from the person's record in canonical units (age or age decade, height, weight,
race, amiodarone, enzyme inducer) and pharmacogene calls (VKORC1 rs9923231, CYP2C9). The
formula needs age, height and weight; a missing one means no formula dose (with the
reason). Missing race is the formula's ``Unknown``; a drug not recorded counts as not taken
(IWPC's own convention, stated in ``assumed``); an untested, ambiguous or formula-less
CYP2C9 diplotype and an unknown VKORC1 genotype take the formula's ``unknown`` terms.
"""

from __future__ import annotations

import math

import pandas as pd

from pgxdl.iwpc.columns import RACES
from pgxdl.iwpc.features import FORMULA_CYP2C9
from pgxdl.iwpc.formulas import iwpc_dose

_NAMES = {"age_decade": ("age_decade", "age"), "height_cm": ("height_cm", "height"),
          "weight_kg": ("weight_kg", "weight")}
_VKORC1 = {"G/G": "G/G", "G/A": "A/G", "A/A": "A/A"}


def formula_dose(values: dict, calls: dict) -> dict:
    """``{"dose", "units", "formula", "inputs", "assumed"}`` or ``{"dose": None, "reason"}``.

    Parameters
    ----------
    values : the person's record in canonical units, by feature name.
    calls : the person's :func:`pgxdl.clinical.pharmacogenes.pharmacogene_calls` entry.
    """
    inputs, assumed = {}, []
    for term, names in _NAMES.items():
        name = next((n for n in names if as_number(values.get(n)) is not None), None)
        if name is None:
            return {"dose": None, "reason": f"no {names[-1]} in the record (the IWPC formula "
                                            f"needs age, height and weight)"}
        value = as_number(values[name])
        inputs[term] = math.floor(value / 10) if name == "age" else value
    race = str(values.get("race") or "Unknown")
    inputs["race"] = race if race in RACES else "Unknown"
    if inputs["race"] == "Unknown":
        assumed.append("race not recorded: the formula's 'Unknown' term")
    for drug in ("amiodarone", "enzyme_inducer"):
        value = as_number(values.get(drug))
        if value is None:
            assumed.append(f"{drug} not recorded: counted as not taken")
        inputs[drug] = value or 0.0
    genotype = calls.get("VKORC1", {}).get("rs9923231", "not tested")
    inputs["vkorc1"] = _VKORC1.get(genotype, "unknown")
    cyp2c9 = calls.get("CYP2C9", {})
    diplotype = cyp2c9.get("diplotype") if cyp2c9.get("status") == "called" else None
    inputs["cyp2c9"] = diplotype if diplotype in FORMULA_CYP2C9 else "unknown"
    for gene, given in (("VKORC1", inputs["vkorc1"]), ("CYP2C9", inputs["cyp2c9"])):
        if given == "unknown":
            assumed.append(f"{gene} unknown to the formula (its 'unknown' term)")
    dose = float(iwpc_dose(pd.DataFrame([inputs]))[0])
    return {"dose": dose, "units": "mg/week", "formula": "IWPC pharmacogenetic (NEJM 2009)",
            "inputs": inputs, "assumed": assumed}


def as_number(value) -> float | None:
    """``value`` as a float, or ``None`` when it is missing, not a number or NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
