"""`pgxdl predict`: store-free inputs give what evaluation on a store of the same people
gives; every input format; per-person failures and warnings; bad inputs."""

from __future__ import annotations

import argparse
import json
import logging

import numpy as np
import pandas as pd
import pytest
from clinical_fixtures import synthetic_checkpoint

from pgxdl.clinical.ensemble import Ensemble, Z
from pgxdl.clinical.predict import drug_index, predict_people
from pgxdl.commands import predict as predict_command
from pgxdl.evaluation.predictions import predict_store
from pgxdl.training.restore import load_model


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return synthetic_checkpoint(tmp_path_factory.mktemp("clinical"))


@pytest.fixture(scope="module")
def evaluated(cohort):
    _, tiny = cohort
    return predict_store(load_model(tiny.checkpoint), tiny.store, part="all")


def test_predict_matches_evaluate_on_a_store_of_the_same_people(cohort, evaluated):
    paths, tiny = cohort
    result = predict_people([tiny.checkpoint], paths["ehr"], paths["vcf"])
    table = result.table
    ehr = pd.read_csv(paths["ehr"])
    assert table["id"].tolist() == ehr["id"].tolist()
    assert (table["status"] == "ok").all()
    for column in ("pred", "std", "low", "high"):
        np.testing.assert_allclose(table[f"dose.{column}"], evaluated[f"dose.{column}"],
                                   rtol=1e-5)
    np.testing.assert_allclose(table["dose.observed"], ehr["dose"])
    assert (table["dose.units"] == "mg/week").all()


def _genotype_table(paths) -> pd.DataFrame:
    """The VCF's key-variant calls as an rsID genotype table (+ strand 'C/T' text)."""
    lines = [line.split("\t") for line in paths["vcf"].read_text().splitlines()
             if not line.startswith("##")]
    header, records = lines[0], lines[1:]
    table = {"id": header[9:]}
    for record in records:
        if record[2].startswith("rs"):
            alleles = [record[3], record[4]]
            table[record[2]] = ["/".join(alleles[int(a)] for a in gt.split("/"))
                                for gt in record[9:]]
    return pd.DataFrame(table)


def test_genotype_table_and_diplotypes_match_the_vcf(cohort, tmp_path):
    paths, tiny = cohort
    ensemble = Ensemble.load([tiny.checkpoint])
    table = _genotype_table(paths)
    star = {("C/C", "A/A"): "*1/*1", ("C/T", "A/A"): "*1/*2", ("C/C", "A/C"): "*1/*3"}
    keep = [i for i, pair in enumerate(zip(table["rs1799853"], table["rs1057910"],
                                           strict=True)) if pair in star]
    table = table.iloc[keep]
    ehr = pd.read_csv(paths["ehr"]).iloc[keep]
    ehr.to_csv(tmp_path / "ehr.csv", index=False)
    rsids = tmp_path / "genotypes.csv"
    table.to_csv(rsids, index=False)
    # the synthetic windows hold only the key variants of the VCF's rs rows plus two SNVs
    # of the first window; drop those from the comparison by giving a VCF without them
    vcf_lines = [line for line in paths["vcf"].read_text().splitlines()
                 if line.startswith("#") or "\trs" in line]
    (tmp_path / "key.vcf").write_text("\n".join(vcf_lines) + "\n")
    diplotypes = table.drop(columns=["rs1799853", "rs1057910"]).assign(
        CYP2C9=[star[p] for p in zip(table["rs1799853"], table["rs1057910"], strict=True)])
    diplotypes.to_csv(tmp_path / "diplotypes.csv", index=False)
    from_vcf = predict_people(ensemble, tmp_path / "ehr.csv", tmp_path / "key.vcf").table
    from_rsids = predict_people(ensemble, tmp_path / "ehr.csv", rsids).table
    from_stars = predict_people(ensemble, tmp_path / "ehr.csv", tmp_path / "diplotypes.csv").table
    for other in (from_rsids, from_stars):
        assert (other["status"] == "ok").all()
        np.testing.assert_allclose(other["dose.pred"], from_vcf["dose.pred"], rtol=1e-6)


def test_fhir_bundle_matches_the_same_people_as_a_table(cohort, tmp_path):
    paths, tiny = cohort
    ensemble = Ensemble.load([tiny.checkpoint])
    fhir = predict_people(ensemble, paths["bundle"], as_of="2026-01-01")
    ehr = pd.read_csv(paths["ehr"]).head(3).assign(site=None)
    ehr.to_csv(tmp_path / "ehr.csv", index=False)
    genotypes = _genotype_table(paths).head(3)
    genotypes.to_csv(tmp_path / "genotypes.csv", index=False)
    table = predict_people(ensemble, tmp_path / "ehr.csv", tmp_path / "genotypes.csv")
    assert fhir.table["id"].tolist() == ehr["id"].tolist()
    np.testing.assert_allclose(fhir.table["dose.pred"], table.table["dose.pred"], rtol=1e-6)
    codes = [w["code"] for w in fhir.details[ehr["id"].iloc[0]]["warnings"]]
    assert codes == ["imputed"]  # the bundle has no site


def test_sqrt_task_comes_back_in_its_own_units(tmp_path):
    """A store declaring ``transform: sqrt`` (as the IWPC builder writes it): the same
    numbers as evaluation, which reports in mg/week too."""
    paths, tiny = synthetic_checkpoint(tmp_path, n=60, task="sqrt_transform")
    evaluated = predict_store(load_model(tiny.checkpoint), tiny.store, part="all")
    table = predict_people([tiny.checkpoint], paths["ehr"], paths["vcf"]).table
    assert (table["sqrt_dose.units"] == "mg/week").all()
    for column in ("pred", "std", "low", "high"):
        np.testing.assert_allclose(table[f"sqrt_dose.{column}"],
                                   evaluated[f"sqrt_dose.{column}"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(table["sqrt_dose.observed"], evaluated["sqrt_dose.target"],
                               rtol=1e-5)


def test_legacy_sqrt_units_are_squared_back(tmp_path):
    """A checkpoint whose units say ``sqrt(mg/week)`` (before TaskSpec.transform)."""
    paths, tiny = synthetic_checkpoint(tmp_path, n=60, task="sqrt_units")
    evaluated = predict_store(load_model(tiny.checkpoint), tiny.store, part="all")
    table = predict_people([tiny.checkpoint], paths["ehr"], paths["vcf"]).table
    assert (table["sqrt_dose.units"] == "mg/week").all()
    mean, sd = evaluated["sqrt_dose.pred"], evaluated["sqrt_dose.std"]
    np.testing.assert_allclose(table["sqrt_dose.pred"], mean ** 2, rtol=1e-5)
    np.testing.assert_allclose(table["sqrt_dose.low"], np.maximum(mean - Z * sd, 0) ** 2,
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(table["sqrt_dose.high"], (mean + Z * sd) ** 2, rtol=1e-4)
    np.testing.assert_allclose(table["sqrt_dose.observed"], pd.read_csv(paths["ehr"])["dose"],
                               rtol=2e-3)


def test_ensemble_is_the_mixture_of_its_members(cohort, tmp_path):
    paths, tiny = cohort
    _, other = synthetic_checkpoint(tmp_path, train_batches=1)
    members = [predict_store(load_model(c), tiny.store, part="all")
               for c in (tiny.checkpoint, other.checkpoint)]
    result = predict_people([tiny.checkpoint, other.checkpoint], paths["ehr"], paths["vcf"])
    mu = np.stack([m["dose.pred"] for m in members])
    sd = np.stack([m["dose.std"] for m in members])
    mixture_sd = np.sqrt((sd ** 2 + mu ** 2).mean(0) - mu.mean(0) ** 2)
    np.testing.assert_allclose(result.table["dose.pred"], mu.mean(0), rtol=1e-5)
    np.testing.assert_allclose(result.table["dose.high"], mu.mean(0) + Z * mixture_sd,
                               rtol=1e-4)
    np.testing.assert_allclose(result.table["dose.ensemble_sd"], mu.std(0), rtol=1e-4,
                               atol=1e-6)


def test_people_who_cannot_be_predicted_get_a_reason(cohort, tmp_path, caplog):
    paths, tiny = cohort
    ehr = pd.read_csv(paths["ehr"]).head(6)
    ehr.loc[1, "weight"] = 500  # outside the schema's allowed range
    ehr.loc[2, "site"] = "z"  # never seen in training
    ehr.loc[3, "height"] = np.nan
    ehr.loc[4, "age"] = 19  # allowed, below every training subject
    ehr = pd.concat([ehr, ehr.head(1).assign(id="NOT_IN_VCF")], ignore_index=True)
    ehr.to_csv(tmp_path / "ehr.csv", index=False)
    out = tmp_path / "out.csv"
    args = argparse.Namespace(ckpt=[str(tiny.checkpoint)], records=str(tmp_path / "ehr.csv"),
                              genotypes=str(paths["vcf"]), reference=None, id_column="id",
                              drug=None, as_of=None, out=str(out), cell_lines=None,
                              report=str(tmp_path / "reports"), report_drug="warfarin")
    with caplog.at_level(logging.DEBUG):
        assert predict_command.run(args) == 1
    assert not any(i in caplog.text for i in ehr["id"])  # IDs only in the output file
    table = pd.read_csv(out, keep_default_na=False)
    assert table["id"].tolist() == ehr["id"].tolist()
    status = dict(zip(table["id"], table["status"], strict=True))
    reason = dict(zip(table["id"], table["reason"], strict=True))
    assert status[ehr["id"][1]] == "failed" and "'weight'" in reason[ehr["id"][1]]
    assert "allowed range" in reason[ehr["id"][1]]
    assert status["NOT_IN_VCF"] == "failed" and "not a sample" in reason["NOT_IN_VCF"]
    warnings = dict(zip(table["id"], table["warnings"], strict=True))
    assert "site 'z' never seen in training" in warnings[ehr["id"][2]]
    assert "not given, read as missing: height" in warnings[ehr["id"][3]]
    assert "age 19 years is outside the training range" in warnings[ehr["id"][4]]
    assert table.loc[table["status"] == "failed", "dose.pred"].eq("").all()
    assert len(list((tmp_path / "reports").glob("patient_*.html"))) == len(ehr)
    assert (tmp_path / "reports" / "index.html").exists()


def test_no_call_at_a_key_variant_is_flagged(cohort, tmp_path):
    paths, tiny = cohort
    lines = paths["vcf"].read_text().splitlines()
    for k, line in enumerate(lines):
        if "\trs9923231\t" in line:
            fields = line.split("\t")
            fields[9] = "./."
            lines[k] = "\t".join(fields)
    (tmp_path / "calls.vcf").write_text("\n".join(lines) + "\n")
    result = predict_people([tiny.checkpoint], paths["ehr"], tmp_path / "calls.vcf")
    first = result.table["id"][0]
    assert any(w["code"] == "no_call" and "rs9923231" in w["message"]
               for w in result.details[first]["warnings"])
    assert result.details[first]["genotypes"]["rs9923231"] == "./."


def test_unparseable_genotype_fails_only_its_person(cohort, tmp_path):
    paths, tiny = cohort
    table = _genotype_table(paths).head(4)
    table.loc[2, "rs9923231"] = "Q/Z"
    table.to_csv(tmp_path / "genotypes.csv", index=False)
    result = predict_people([tiny.checkpoint], paths["ehr"], tmp_path / "genotypes.csv")
    status = dict(zip(result.table["id"], result.table["status"], strict=True))
    reason = dict(zip(result.table["id"], result.table["reason"], strict=True))
    assert status[table["id"][2]] == "failed" and "rs9923231" in reason[table["id"][2]]
    assert status[table["id"][0]] == "ok"
    assert "not in genotypes.csv" in reason[pd.read_csv(paths["ehr"])["id"].iloc[10]]


@pytest.mark.parametrize(("edit", "error", "match"), [
    (lambda t: t.drop(columns=["id"]), ValueError, "ID column 'id' not found"),
    (lambda t: t.assign(id=["A"] * len(t)), ValueError, "data row 2, column 'id': ID repeated"),
    (lambda t: t.assign(id=[None] + ["B"] * (len(t) - 1)), ValueError, "data row 1.*empty ID"),
])
def test_bad_record_tables(cohort, tmp_path, edit, error, match):
    paths, tiny = cohort
    edit(pd.read_csv(paths["ehr"]).head(3)).to_csv(tmp_path / "ehr.csv", index=False)
    with pytest.raises(error, match=match):
        predict_people([tiny.checkpoint], tmp_path / "ehr.csv", paths["vcf"])


@pytest.mark.parametrize(("bundle", "match"), [
    ({"resourceType": "Patient", "id": "x"}, "not a FHIR Bundle"),
    ({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "x", "birthDate": "yesterday"}}]},
     "invalid FHIR Bundle at entry.0.resource.birthDate"),
    ({"resourceType": "Bundle", "type": "collection", "entry": []}, "no Patient resource"),
    ({"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "x"}},
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                      "subject": {"reference": "Patient/y"}, "valueQuantity": {"value": 70}}}]},
     "entry 1 \\(Observation\\): subject reference does not name a Patient"),
])
def test_bad_fhir_bundles(cohort, tmp_path, bundle, match):
    _, tiny = cohort
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    with pytest.raises(ValueError, match=match):
        predict_people([tiny.checkpoint], tmp_path / "bundle.json")


def test_missing_files_and_formats(cohort, tmp_path):
    paths, tiny = cohort
    with pytest.raises(FileNotFoundError, match="record file"):
        predict_people([tiny.checkpoint], tmp_path / "absent.csv", paths["vcf"])
    with pytest.raises(FileNotFoundError, match="--reference"):
        predict_people([tiny.checkpoint], paths["ehr"], paths["vcf"],
                       reference=tmp_path / "absent.fa")
    (tmp_path / "people.xlsx").write_text("x")
    with pytest.raises(ValueError, match="unknown record format '.xlsx'"):
        predict_people([tiny.checkpoint], tmp_path / "people.xlsx", paths["vcf"])
    pd.read_csv(paths["ehr"])[["id", "age"]].to_csv(tmp_path / "g.csv", index=False)
    with pytest.raises(ValueError, match="no genotype column"):
        predict_people([tiny.checkpoint], paths["ehr"], tmp_path / "g.csv")
    with pytest.raises(ValueError, match="nothing to predict"):
        predict_people([tiny.checkpoint])


def test_genotypes_alone_predict_everyone_in_the_vcf(cohort):
    paths, tiny = cohort
    table = predict_people([tiny.checkpoint], genotypes=paths["vcf"]).table
    assert table["id"].tolist() == pd.read_csv(paths["ehr"])["id"].tolist()
    assert table["warnings"].str.contains("not given, read as missing: age, weight").all()


def test_drug_index():
    assert drug_index(["warfarin"], None) == 0
    assert drug_index(["a", "Warfarin"], "warfarin") == 1
    with pytest.raises(ValueError, match="choose one with --drug"):
        drug_index(["a", "b"], None)
    with pytest.raises(ValueError, match="'c' is not one of"):
        drug_index(["a", "b"], "c")


def test_unphased_calls_fail_only_for_a_phased_model():
    from pgxdl.clinical.predict import unphased_people
    from pgxdl.genome.variants.callset import CallSet

    genotypes = np.array([[[0, 1]], [[0, 1]], [[1, 1]]], dtype=np.int8)
    phased = np.array([[True], [False], [False]])
    callset = CallSet(["chr1"], [5], ["."], ["A"], ["C"], genotypes, phased, ["a", "b", "c"])
    failed = unphased_people(callset)
    assert list(failed) == ["b"] and "chr1:5" in failed["b"]


def test_a_variant_rare_in_training_is_flagged(cohort, tmp_path):
    paths, tiny = cohort
    records = paths["reference"].read_text().split(">")[1:]
    header, sequence = records[0].split("\n")[:2]  # the VKORC1 window's slice
    chrom, span = header.split(":")
    start = int(span.split("-")[0])
    ref = sequence[20]
    alt = "ACGT"[("ACGT".index(ref) + 2) % 4]
    lines = paths["vcf"].read_text().splitlines()
    n = len(lines[-1].split("\t")) - 9
    lines.append("\t".join([chrom, str(start + 20), "rsNEW", ref, alt, ".", "PASS", ".", "GT",
                            "0/1", *["0/0"] * (n - 1)]))
    (tmp_path / "calls.vcf").write_text("\n".join(lines) + "\n")
    result = predict_people([tiny.checkpoint], paths["ehr"], tmp_path / "calls.vcf")
    first, second = result.table["id"][:2]
    assert any(w["code"] == "rare_variant" and "rsNEW" in w["message"]
               for w in result.details[first]["warnings"])
    assert not any(w["code"] == "rare_variant" for w in result.details[second]["warnings"])
