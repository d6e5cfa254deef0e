"""The cohort summary page: one row per patient, a dose histogram, links to each page."""

from __future__ import annotations

from html import escape

import numpy as np

from pgxdl.clinical.ensemble import LEVEL
from pgxdl.clinical.report.figures import cohort_figure
from pgxdl.clinical.report.html import page

GENES = ("CYP2C9", "VKORC1", "CYP2C19", "CYP2D6")


def cohort_page(reports: list[dict], links: list[str], task: str, drug: str) -> str:
    """HTML summary of ``reports`` (each linking to ``links[i]``)."""
    doses, formula, rows = [], [], []
    units = next((r["predictions"][task]["units"] for r in reports if r["status"] == "ok"),
                 "")
    for report, link in zip(reports, links, strict=True):
        prediction = report["predictions"].get(task, {})
        dose = prediction.get("pred")
        iwpc = report["iwpc_formula"].get("dose")
        doses.append(np.nan if dose is None else dose)
        formula.append(np.nan if iwpc is None else iwpc)
        interval = (f"{prediction['low']:.1f}-{prediction['high']:.1f}"
                    if prediction.get("low") is not None else "")
        genes = "".join(f"<td>{escape(_gene_text(report['pharmacogenes'].get(g, {})))}</td>"
                        for g in GENES)
        status = "ok" if report["status"] == "ok" else f"failed: {report['reason']}"
        rows.append(f"<tr><td><a href='{escape(link)}'>{escape(report['id'])}</a></td>"
                    f"<td>{escape(status)}</td><td>{'' if dose is None else f'{dose:.1f}'}</td>"
                    f"<td>{interval}</td><td>{'' if iwpc is None else f'{iwpc:.1f}'}</td>"
                    f"{genes}<td>{len(report['warnings'])}</td></tr>")
    doses, formula = np.array(doses), np.array(formula)
    figure = ""
    if np.isfinite(doses).any():
        image = cohort_figure(doses[np.isfinite(doses)], formula, units)
        figure = f"<img alt='dose histogram' src='{image}'>"
    failed = sum(r["status"] != "ok" for r in reports)
    header = (f"<h1>{escape(drug.capitalize())} dosing: {len(reports)} patients</h1>"
              f"<div class='sub'>{len(reports) - failed} predicted, {failed} failed, "
              f"{sum(bool(r['warnings']) for r in reports)} with warnings; doses in "
              f"{escape(units)}</div>")
    table = (f"<table><tr><th>patient</th><th>status</th><th>dose</th><th>{LEVEL:.0%} interval</th>"
             "<th>IWPC</th>" + "".join(f"<th>{g}</th>" for g in GENES)
             + "<th>warnings</th></tr>" + "".join(rows) + "</table>")
    return page(f"{drug} cohort", header + figure + table)


def _gene_text(call: dict) -> str:
    if not call:
        return ""
    if "rs9923231" in call:
        return call["rs9923231"]
    if call.get("status") == "not_tested":
        return "not tested"
    short = call["phenotype"].replace(" Metabolizer", "").replace("Intermediate", "IM")
    short = {"Normal": "NM", "Poor": "PM", "Rapid": "RM", "Ultrarapid": "UM"}.get(short, short)
    return f"{call['diplotype']} {short}"
