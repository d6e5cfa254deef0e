"""One patient's report record (the JSON the HTML page is drawn from)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from pgxdl.clinical.cpic.guidelines import DRUG_GENES, guideline
from pgxdl.clinical.ensemble import LEVEL
from pgxdl.clinical.input_warnings import warning
from pgxdl.clinical.pharmacogenes import NOT_COVERED, as_gene_calls
from pgxdl.clinical.report.iwpc_dose import as_number, formula_dose
from pgxdl.clinical.task_units import output_scale
from pgxdl.data.spec import DataSpec


def patient_report(row: pd.Series, details: dict, calls: dict, drug: str, spec: DataSpec,
                   drivers: list[dict], model: dict) -> dict:
    """The report record of one person.

    Parameters
    ----------
    row : the person's row of the predictions table.
    details : ``Predictions.details[id]`` (empty for a person who failed).
    calls : the person's pharmacogene calls (:func:`pharmacogene_calls`), ``{}`` if none.
    drug : the drug the report is about; spec : the model's data spec.
    drivers : :func:`pgxdl.clinical.explain.explain_person` effects (dose task).
    model : ``{"checkpoints": [...], "members": M}``.
    """
    predictions = {}
    for task in spec.tasks:
        name = task.name
        if task.kind != "regression" or f"{name}.pred" not in row:
            continue
        predictions[name] = {
            "pred": as_number(row[f"{name}.pred"]), "low": as_number(row.get(f"{name}.low")),
            "high": as_number(row.get(f"{name}.high")), "level": LEVEL,
            "units": output_scale(task).units,
            "ensemble_sd": as_number(row.get(f"{name}.ensemble_sd")),
            "members": details.get("members", {}).get(task.name, [])}
    record_values = {**details.get("record", {}), **details.get("features", {})}
    warnings = list(details.get("warnings", []))
    for gene, call in calls.items():
        if call.get("status") == "ambiguous":
            warnings.append(warning("ambiguous_diplotype", f"{gene}: unphased or missing calls "
                                    f"allow {call['diplotype']}"))
        elif call.get("status") == "not_tested" and gene in guideline_genes(drug):
            warnings.append(warning("no_call", f"{gene} not tested: unknown"))
        if call.get("rs9923231") == "unknown":
            warnings.append(warning("no_call", "no call at VKORC1 rs9923231: unknown"))
    formula = (formula_dose(record_values, calls) if drug.lower() == "warfarin"
               else {"dose": None, "reason": "the IWPC formula is for warfarin only"})
    return {
        "id": str(row["id"]), "status": row["status"], "reason": row.get("reason") or "",
        "drug": drug,
        "generated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "model": model, "predictions": predictions, "iwpc_formula": formula,
        "pharmacogenes": calls, "not_covered": NOT_COVERED,
        "guideline": guideline(drug, as_gene_calls(calls)),
        "drivers": drivers, "warnings": warnings,
        "record": {k: _plain(v) for k, v in record_values.items()},
    }


def guideline_genes(drug: str) -> tuple[str, ...]:
    """Genes whose absence is worth a warning for ``drug`` (antidepressants: CYP2C19/2D6)."""
    return DRUG_GENES.get(drug.lower(), ("CYP2C19", "CYP2D6"))


def _plain(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value
