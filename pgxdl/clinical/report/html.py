"""Self-contained HTML pages of the reports: inline CSS and PNGs, nothing fetched.

Laid out to be read in ten seconds: the dose and its interval first, then warnings, the
pharmacogenes, the CPIC text and what moved the prediction.
"""

from __future__ import annotations

from html import escape

from pgxdl.clinical.report.figures import dose_figure, drivers_figure

STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px auto;
max-width:860px;color:#1b1b1b;line-height:1.4}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px;color:#333}
.sub{color:#666;font-size:13px}.dose{display:flex;gap:16px;margin:14px 0}
.box{border:1px solid #ccc;border-radius:8px;padding:10px 16px;flex:1}
.box .big{font-size:30px;font-weight:700}.box .small{color:#555;font-size:13px}
.model{border-color:#222;border-width:2px}.warn{background:#fff4d6;border:1px solid #e0b000;
border-radius:8px;padding:8px 14px;margin:10px 0}.warn li{margin:2px 0}
.fail{background:#fde2e1;border:1px solid #c0392b;border-radius:8px;padding:8px 14px}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;
padding:4px 8px;border-bottom:1px solid #e4e4e4}th{background:#f4f4f4}
.cpic{background:#eef5fb;border-left:4px solid #2166ac;padding:8px 14px;font-size:14px}
img{max-width:100%}.foot{color:#777;font-size:12px;margin-top:24px}
"""


def page(title: str, body: str) -> str:
    """A whole HTML document with the shared style."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
            f"{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>")


def patient_page(report: dict, task: str) -> str:
    """The HTML page of one :func:`pgxdl.clinical.report.patient.patient_report`."""
    head = (f"<h1>{escape(report['drug'].capitalize())} dosing report: patient "
            f"{escape(report['id'])}</h1><div class='sub'>generated "
            f"{escape(report['generated_utc'])} by pgxdl from "
            f"{len(report['model']['checkpoints'])} model(s); decision support, not a "
            f"prescription</div>")
    if report["status"] != "ok":
        return page(f"report {report['id']}", head + f"<div class='fail'><b>No prediction:"
                    f"</b> {escape(report['reason'])}</div>" + _genes(report)
                    + _guideline(report))
    prediction = report["predictions"][task]
    return page(f"report {report['id']}", head + _dose(prediction, report["iwpc_formula"])
                + _warnings(report["warnings"]) + _genes(report) + _guideline(report)
                + _drivers(report["drivers"], prediction["units"],
                           report.get("drivers_note", "")) + _foot(report))


def _dose(prediction: dict, formula: dict) -> str:
    units = prediction["units"]
    interval = (f"{prediction['level']:.0%} interval {prediction['low']:.1f} to "
                f"{prediction['high']:.1f}" if prediction["low"] is not None
                else "no interval (point model)")
    formula_box = (f"<div class='box'><div class='small'>IWPC formula</div><div class='big'>"
                   f"{formula['dose']:.1f}</div><div class='small'>{units}</div></div>"
                   if formula.get("dose") is not None else
                   f"<div class='box'><div class='small'>IWPC formula</div><div class='small'>"
                   f"not computed: {escape(formula.get('reason', ''))}</div></div>")
    image = dose_figure(prediction, formula.get("dose"), units)
    return (f"<div class='dose'><div class='box model'><div class='small'>Predicted dose"
            f"</div><div class='big'>{prediction['pred']:.1f} <span class='small'>"
            f"{escape(units)}</span></div><div class='small'>{interval}</div></div>"
            f"{formula_box}</div><img alt='predicted dose and interval' src='{image}'>")


def _warnings(warnings: list[dict]) -> str:
    if not warnings:
        return "<div class='sub'>No input warnings.</div>"
    items = "".join(f"<li>{escape(w['message'])}</li>" for w in warnings)
    return f"<div class='warn'><b>Check before use ({len(warnings)})</b><ul>{items}</ul></div>"


def _genes(report: dict) -> str:
    rows = []
    for gene, call in report["pharmacogenes"].items():
        if gene == "VKORC1":
            rows.append(f"<tr><td>VKORC1</td><td>rs9923231 (c.-1639G&gt;A) "
                        f"{escape(call['rs9923231'])}</td><td>-</td><td>-</td></tr>")
            continue
        if call.get("status") == "not_tested":
            rows.append(f"<tr><td>{gene}</td><td>not tested</td><td>unknown</td><td>-</td></tr>")
            continue
        score = "-" if call["activity_score"] is None else f"{call['activity_score']:g}"
        label = call["diplotype"] + (" (ambiguous)" if call["status"] == "ambiguous" else "")
        rows.append(f"<tr><td>{gene}</td><td>{escape(label)}</td><td>"
                    f"{escape(call['phenotype'])}</td><td>{score}</td></tr>")
    if not rows:
        return "<h2>Pharmacogenes</h2><div class='sub'>No genotypes given.</div>"
    return ("<h2>Pharmacogenes</h2><table><tr><th>gene</th><th>diplotype / genotype</th>"
            "<th>CPIC phenotype</th><th>activity score</th></tr>" + "".join(rows)
            + f"</table><div class='sub'>{escape(report['not_covered'])}</div>")


def _guideline(report: dict) -> str:
    guide = report["guideline"]
    link = f" <span class='sub'>({escape(guide['source'])})</span>" if guide["source"] else ""
    return f"<h2>CPIC guideline</h2><div class='cpic'>{escape(guide['text'])}{link}</div>"


def _drivers(drivers: list[dict], units: str, note: str = "") -> str:
    if not drivers:
        return f"<h2>What moved this prediction</h2><div class='sub'>{escape(note)}</div>" \
            if note else ""
    image = drivers_figure(drivers, units)
    return (f"<h2>What moved this prediction</h2><img alt='largest effects' src='{image}'>"
            f"<div class='sub'>Record fields: Integrated Gradients from the training mean; "
            f"variants: the prediction with the variant put back to reference.</div>")


def _foot(report: dict) -> str:
    names = ", ".join(escape(c) for c in report["model"]["checkpoints"])
    return f"<div class='foot'>Model: {names}. Inputs as given; see the JSON record.</div>"
