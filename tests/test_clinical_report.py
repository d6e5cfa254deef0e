"""Per-patient reports: numbers match the predictions and the IWPC formula, attributions
add up in dose units, HTML is self-contained, failed people get a page saying why."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from clinical_fixtures import synthetic_checkpoint

pytest.importorskip("pypgx")

from pgxdl.clinical.ensemble import Ensemble  # noqa: E402
from pgxdl.clinical.explain import explain_person  # noqa: E402
from pgxdl.clinical.predict import predict_people  # noqa: E402
from pgxdl.clinical.report.writer import write_reports  # noqa: E402
from pgxdl.iwpc.formulas import iwpc_dose  # noqa: E402


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    paths, tiny = synthetic_checkpoint(folder)
    ehr = pd.read_csv(paths["ehr"]).head(6)
    ehr.loc[1, "weight"] = 500  # fails the schema
    ehr.loc[2, "site"] = "z"  # unseen category
    ehr.to_csv(folder / "six.csv", index=False)
    ensemble = Ensemble.load([tiny.checkpoint])
    result = predict_people(ensemble, folder / "six.csv", paths["vcf"])
    files = write_reports(result, ensemble, folder / "reports", "warfarin", paths["vcf"])
    return paths, ensemble, result, ehr, files, folder


def _report(folder, k):
    return json.loads((folder / "reports" / f"patient_{k + 1:04d}.json").read_text())


def _vcf_calls(paths, person: str) -> dict[str, str]:
    lines = [line.split("\t") for line in paths["vcf"].read_text().splitlines()
             if not line.startswith("##")]
    column = lines[0].index(person)
    return {r[2]: r[column] for r in lines[1:]}


def test_reports_match_predictions_and_the_iwpc_formula(cohort):
    paths, _, result, ehr, _, folder = cohort
    report = _report(folder, 0)
    row = result.table.iloc[0]
    assert report["id"] == ehr["id"][0]
    assert report["predictions"]["dose"]["pred"] == pytest.approx(row["dose.pred"])
    assert report["predictions"]["dose"]["low"] == pytest.approx(row["dose.low"])
    calls = _vcf_calls(paths, ehr["id"][0])
    vkorc1 = {"0/0": "G/G", "0/1": "A/G", "1/1": "A/A"}[calls["rs9923231"]]
    stars = {"0/0": 0, "0/1": 1, "1/1": 2}
    alleles = ["*2"] * stars[calls["rs1799853"]] + ["*3"] * stars[calls["rs1057910"]]
    cyp2c9 = "/".join((["*1", "*1"] + alleles)[-2:])
    expected = iwpc_dose(pd.DataFrame([{
        "age_decade": ehr["age"][0] // 10, "height_cm": ehr["height"][0],
        "weight_kg": ehr["weight"][0], "race": "Unknown", "amiodarone": ehr["amiodarone"][0],
        "enzyme_inducer": 0.0, "vkorc1": vkorc1, "cyp2c9": cyp2c9}]))[0]
    assert report["iwpc_formula"]["dose"] == pytest.approx(expected, rel=1e-6)
    assert report["pharmacogenes"]["CYP2C9"]["diplotype"] == cyp2c9
    assert report["pharmacogenes"]["CYP2D6"]["status"] == "not_tested"
    assert "CPIC warfarin guideline" in report["guideline"]["text"]


def test_failed_and_warned_people(cohort):
    _, _, _, ehr, _, folder = cohort
    failed = _report(folder, 1)
    assert failed["status"] == "failed" and "'weight'" in failed["reason"]
    page = (folder / "reports" / "patient_0002.html").read_text()
    assert "No prediction" in page and "allowed range" in page
    warned = _report(folder, 2)
    assert any(w["code"] == "unseen_category" for w in warned["warnings"])
    assert "never seen in training" in (folder / "reports" / "patient_0003.html").read_text()


def test_html_is_self_contained(cohort):
    *_, files, folder = cohort
    for path in [p for p in files if p.suffix == ".html"]:
        text = path.read_text()
        assert not re.search(r"<(script|link|iframe)", text)
        sources = re.findall(r"src='([^']*)'", text)
        assert all(s.startswith("data:image/png;base64,") for s in sources)
    index = (folder / "reports" / "index.html").read_text()
    assert index.count("<tr>") == 1 + 6 and "patient_0006.html" in index


def test_field_effects_add_up_to_the_change_from_the_training_mean(cohort):
    _, ensemble, result, _, _, _ = cohort
    inputs = result.inputs
    member = ensemble.members[0]
    numeric, categorical = inputs["numeric"][0], inputs["categorical"][0]
    one = inputs["callset"].subset_samples([inputs["ids"][0]])
    effects = explain_person(ensemble, "dose", numeric, categorical, 0, one,
                             inputs["reference"], n_steps=64)
    from pgxdl.clinical.model_inputs import genome_codes

    codes = genome_codes(one, ensemble.serving, inputs["reference"])
    mean = np.asarray(member.spec.extra["normalisation"]["mean"], np.float32)
    at = ensemble.combine(ensemble.member_outputs(codes, numeric[None], categorical[None],
                                                  np.zeros(1, int)))["dose"]["pred"][0]
    base = ensemble.combine(ensemble.member_outputs(codes, mean[None], categorical[None],
                                                    np.zeros(1, int)))["dose"]["pred"][0]
    numeric_names = set(ensemble.serving.spec.numeric_features)
    total = sum(e["effect"] for e in effects if e["name"] in numeric_names)
    assert total == pytest.approx(at - base, abs=0.02 * max(1.0, abs(at - base)))


def test_variant_effect_is_the_prediction_with_the_variant_reverted(cohort, tmp_path):
    paths, ensemble, result, ehr, _, folder = cohort
    report = _report(folder, 0)
    variants = [d for d in report["drivers"] if d["kind"] == "variant"]
    assert variants
    name = variants[0]["name"].split()[0]
    lines = paths["vcf"].read_text().splitlines()
    person = ehr["id"][0]
    header = next(line for line in lines if line.startswith("#CHROM")).split("\t")
    column = header.index(person)
    for k, line in enumerate(lines):
        fields = line.split("\t")
        if not line.startswith("#") and (fields[2] == name or f"{fields[0]}:{fields[1]}" == name):
            fields[column] = "0/0"
            lines[k] = "\t".join(fields)
    (tmp_path / "reverted.vcf").write_text("\n".join(lines) + "\n")
    ehr.head(1).to_csv(tmp_path / "one.csv", index=False)
    reverted = predict_people(ensemble, tmp_path / "one.csv", tmp_path / "reverted.vcf")
    expected = result.table["dose.pred"][0] - reverted.table["dose.pred"][0]
    assert variants[0]["effect"] == pytest.approx(expected, abs=1e-4)
