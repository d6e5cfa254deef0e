"""``pgxdl external`` (benchmarks/iwpc_external.py) and the site protocol end to end on a
small synthetic IWPC-format table: every patient predicted, files written, errors clear."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from iwpc_fixtures import synthetic_rows, write_iwpc_csv

from pgxdl.baselines.external_validation import load_sites
from pgxdl.baselines.site_protocol import run_site_protocol
from pgxdl.baselines.site_recipes import RecommendedDoseModel
from pgxdl.commands import external


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rows = synthetic_rows(360, seed=3, n_sites=6)
    for row in rows[::9]:
        row["Weight (kg)"] = ""
    for row in rows[1::23]:
        row["Age"] = ""
    return write_iwpc_csv(tmp_path_factory.mktemp("iwpc") / "synthetic.csv", rows)


def test_external_command_predicts_every_test_patient_and_writes_its_files(table, tmp_path,
                                                                           capsys):
    out = tmp_path / "out"
    code = external.main(["--train-table", str(table), "--test-table", str(table),
                          "--test-sites", "2", "5", "--out", str(out), "--quick",
                          "--n-boot", "50"])
    assert code == 0
    report = json.loads((out / "external.json").read_text())
    predictions = pd.read_csv(out / "external_predictions.csv")
    frame = load_sites(table, ["2", "5"]).frame
    assert len(predictions) == len(frame) == report["test"]["n_patients"]
    assert predictions["dose"].notna().all() and (predictions["dose"] > 0).all()
    assert (predictions["lower"] <= predictions["dose"]).all()
    assert (predictions["dose"] <= predictions["upper"]).all()
    np.testing.assert_array_equal(predictions["height_imputed"], frame["height_cm"].isna())
    np.testing.assert_array_equal(predictions["weight_imputed"], frame["weight_kg"].isna())
    np.testing.assert_array_equal(predictions["age_imputed"], frame["age_decade"].isna())
    scored = frame["dose_mg_week"].notna().to_numpy()
    np.testing.assert_array_equal(predictions["scored"], scored)
    assert report["results"]["recommended"]["n"] == scored.sum()
    assert report["train"]["sites"] == ["1", "3", "4", "6"]
    assert report["recipe"]["chosen"] in external.QUICK_CANDIDATES
    mae = np.mean(np.abs(predictions["dose"] - predictions["actual_dose"])[scored])
    scored_mae = report["results"]["recommended"]["metrics"]["mae"]["value"]
    assert scored_mae == pytest.approx(mae, abs=1e-3)  # the CSV keeps 3 decimals
    for key in ("vs_published_formula", "vs_refit_formula"):
        assert set(report["results"]["recommended"][key]) >= {"mae", "pw20", "r2"}
    assert set(report["results"]["recommended"]["subgroups"]) == {"site", "race", "dose_band",
                                                                  "inputs"}
    assert set(report["interval"]["by_site"]) == {"2", "5"}
    assert (out / "external.png").stat().st_size > 10_000
    assert "Recipe chosen inside the training sites" in capsys.readouterr().out


def test_external_command_refuses_overlapping_tables_and_unknown_sites(table, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        external.main(["--train-table", str(table), "--test-table", str(table), "--out",
                       str(tmp_path)])
    assert stop.value.code == 2
    assert "also training patients" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        external.main(["--train-table", str(table), "--test-table", str(table),
                       "--test-sites", "99", "--out", str(tmp_path)])
    assert "no site ['99']" in capsys.readouterr().err


def test_benchmark_wrapper_is_the_command():
    from benchmarks import iwpc_external

    assert iwpc_external.main is external.main


@pytest.mark.slow
def test_site_protocol_predicts_every_patient_and_scores_with_site_intervals(table):
    sites = load_sites(table)
    report, preds = run_site_protocol(
        sites, ["published_formula", "refit_formula"], per_fold=2, repeats=2, n_boot=50,
        make_recommended=lambda: RecommendedDoseModel(("published_formula", "refit_formula")),
        log=lambda line: None)
    assert set(preds) == {"recommended", "published_formula", "refit_formula"}
    assert all(values.shape == (2, len(sites.frame)) and np.isfinite(values).all()
               for values in preds.values())
    assert report["n_predicted"] == len(sites.frame) > report["n_scored"]
    assert sum(report["chosen_recipes"].values()) == 2 * 3
    assert report["results"]["recommended"]["resampled"] == "clusters"
    assert set(report["interval"]["by_site"]) == {str(s) for s in range(1, 7)}
    assert report["results"]["published_formula"]["vs_refit_formula"]["mae"]["value"] \
        == pytest.approx(report["results"]["published_formula"]["metrics"]["mae"]["value"]
                         - report["results"]["refit_formula"]["metrics"]["mae"]["value"])


@pytest.mark.slow
def test_site_benchmark_quick_mode_writes_json_predictions_and_figure(table, tmp_path, capsys):
    from benchmarks import iwpc_sites

    report = iwpc_sites.main(["--data", str(table), "--per-fold", "2", "--quick",
                          "--out", str(tmp_path)])
    stem = tmp_path / "iwpc_sites_leave_2_sites_out_quick"
    saved = json.loads(stem.with_suffix(".json").read_text())
    assert saved["n_predicted"] == report["n_predicted"] == 360
    assert set(np.load(stem.with_suffix(".npz")).files) == {
        "recommended", "published_formula", "refit_formula", "random_intercept"}
    assert stem.with_suffix(".png").stat().st_size > 10_000
    assert "sites with >= 100 patients within 75-85%" in capsys.readouterr().out
