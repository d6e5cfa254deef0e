"""Write the reports of a prediction run: per patient JSON + HTML, and the cohort page.

Files (the user's IDs appear inside them, as in the predictions table they asked for; file
names are row numbers so no ID leaks into a file name): ``patient_0001.json`` /
``.html`` ..., ``index.html`` (cohort summary) and ``cohort.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pgxdl.clinical.ensemble import Ensemble
from pgxdl.clinical.explain import explain_person
from pgxdl.clinical.pharmacogenes import calls_for_people
from pgxdl.clinical.predict import Predictions
from pgxdl.clinical.report.cohort import cohort_page
from pgxdl.clinical.report.html import patient_page
from pgxdl.clinical.report.patient import patient_report
from pgxdl.io import atomic_write_text

#: Most people explained per run (Integrated Gradients + ISM cost a few passes each).
EXPLAIN_LIMIT = 500


def write_reports(predictions: Predictions, ensemble: Ensemble, out: str | Path, drug: str,
                  genotypes: str | Path | pd.DataFrame | None = None, id_column: str = "id",
                  task: str | None = None) -> list[Path]:
    """Write every person's report and the cohort page into ``out``; returns the paths.

    ``genotypes`` is the genotype input (VCF path or table) for the pharmacogene calls;
    ``task`` the regression task reported as the dose (the first one by default).
    """
    out = Path(out)
    spec = ensemble.serving.spec
    task = task or next((t.name for t in spec.tasks if t.kind == "regression"), None)
    if task is None:
        raise ValueError("the model has no regression task to report as a dose")
    ids = predictions.table["id"].tolist()
    calls = {}
    if genotypes is not None:
        calls = calls_for_people(genotypes, ids, id_column)
    drivers = _drivers(predictions, ensemble, task)
    model = {"checkpoints": [p.name for p in ensemble.paths], "members": len(ensemble.paths)}
    reports, links, written = [], [], []
    for k, row in predictions.table.iterrows():
        person = str(row["id"])
        report = patient_report(row, predictions.details.get(person, {}),
                                calls.get(person, {}), drug, spec, drivers.get(person, []),
                                model)
        if row["status"] == "ok" and person not in drivers:
            report["drivers_note"] = (f"not computed: only the first {EXPLAIN_LIMIT} "
                                      f"predicted people are explained per run")
        name = f"patient_{k + 1:04d}"
        written.append(atomic_write_text(out / f"{name}.json", json.dumps(report, indent=1,
                                                                         default=str)))
        written.append(atomic_write_text(out / f"{name}.html", patient_page(report, task)))
        reports.append(report)
        links.append(f"{name}.html")
    written.append(atomic_write_text(out / "cohort.json", json.dumps(
        [{k: r[k] for k in ("id", "status", "reason", "predictions", "iwpc_formula",
                             "pharmacogenes", "warnings")} for r in reports],
        indent=1, default=str)))
    written.append(atomic_write_text(out / "index.html",
                                     cohort_page(reports, links, task, drug)))
    return written


def _drivers(predictions: Predictions, ensemble: Ensemble, task: str) -> dict[str, list]:
    inputs = predictions.inputs
    out = {}
    for k, person in enumerate(inputs.get("ids", [])[:EXPLAIN_LIMIT]):
        callset = inputs["callset"]
        one = callset.subset_samples([person]) if callset is not None else None
        out[person] = explain_person(ensemble, task, inputs["numeric"][k],
                                     inputs["categorical"][k], inputs["drug"], one,
                                     inputs["reference"])
    return out
