"""CDS Hooks cards from pgxdl reports (summary under 140 characters, markdown detail)."""

from __future__ import annotations

import uuid

SOURCE_LABEL = "pgxdl pharmacogenomic dosing (model + CPIC via pypgx)"


def card(summary: str, detail: str, indicator: str, url: str = "") -> dict:
    """One CDS Hooks 2.0 card (``indicator`` is ``info``, ``warning`` or ``critical``)."""
    source = {"label": SOURCE_LABEL, **({"url": url} if url else {})}
    return {"uuid": str(uuid.uuid4()), "summary": summary[:140], "detail": detail,
            "indicator": indicator, "source": source}


def missing_card(missing: list[str], service_id: str) -> dict:
    """What the service needs and did not get (instead of an error)."""
    return card(f"pgxdl cannot assess this order: missing {', '.join(missing)}",
                "The request lacks " + ", ".join(f"`prefetch.{m}`" for m in missing)
                + f". Send the prefetch that `GET /cds-services` lists for `{service_id}` "
                "(Patient, Observations with weight/height/genotypes, MedicationRequests).",
                "warning")


def warfarin_card(report: dict, task: str) -> dict:
    """The warfarin dose card of a :func:`pgxdl.clinical.report.patient.patient_report`."""
    guide = report["guideline"]
    warnings = report["warnings"]
    if report["status"] != "ok":
        return card("pgxdl: no warfarin dose prediction for this patient",
                    f"Reason: {report['reason']}\n\n{guide['text']}", "warning", guide["source"])
    prediction = report["predictions"][task]
    units = prediction["units"]
    interval = (f" ({prediction['level']:.0%} {prediction['low']:.0f}-"
                f"{prediction['high']:.0f})" if prediction["low"] is not None else "")
    formula = report["iwpc_formula"].get("dose")
    summary = (f"Warfarin: predicted {prediction['pred']:.1f} {units}{interval}"
               + (f"; IWPC formula {formula:.1f}" if formula is not None else ""))
    lines = [f"**Predicted dose:** {prediction['pred']:.1f} {units}{interval}"]
    if formula is not None:
        lines.append(f"**IWPC pharmacogenetic formula:** {formula:.1f} {units}")
    lines += _gene_lines(report["pharmacogenes"])
    lines.append(f"**CPIC:** {guide['text']}")
    lines += [f"- warning: {w['message']}" for w in warnings]
    return card(summary, "\n\n".join(lines), "warning" if warnings else "info", guide["source"])


def antidepressant_card(drug: str, calls: dict, guide: dict) -> dict:
    """The CPIC advice card for an ordered antidepressant."""
    calls = {g: calls.get(g, {"gene": g, "status": "not_tested"})
             for g in dict.fromkeys([*guide["genes"], *calls])}
    genes = [g for g in guide["genes"] if g in ("CYP2C19", "CYP2D6")]
    tested = [g for g in genes if calls[g].get("status") in ("called", "reported", "ambiguous")
              and calls[g]["phenotype"] != "Indeterminate"]
    phenotypes = ", ".join(f"{g} {calls[g]['phenotype']}" for g in tested) or "not tested"
    summary = f"{drug.capitalize()}: {phenotypes}"
    lines = _gene_lines(calls) + [f"**CPIC:** {guide['text']}"]
    untested = [g for g in genes if g not in tested]
    actionable = any(calls[g]["phenotype"] not in ("Normal Metabolizer",) for g in tested)
    indicator = "warning" if actionable or untested else "info"
    if untested:
        lines.append("- warning: " + ", ".join(f"{g} {calls[g].get('status')}: phenotype "
                                              f"unknown" for g in untested))
    return card(summary, "\n\n".join(lines), indicator, guide["source"])


def _gene_lines(calls: dict) -> list[str]:
    lines = []
    for gene, call in calls.items():
        if gene == "VKORC1":
            lines.append(f"- VKORC1 rs9923231 (c.-1639G>A): {call['rs9923231']}")
        elif call.get("status") == "not_tested":
            lines.append(f"- {gene}: not tested")
        else:
            lines.append(f"- {gene} {call['diplotype']}: {call['phenotype']}")
    return lines
