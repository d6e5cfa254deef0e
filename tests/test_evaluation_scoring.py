"""Subgroup scoring of predictions tables, strict metrics.json, plots, compatibility checks."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from store_fixtures import tiny_cohort

from pgxdl.data.spec import DataSpec, TaskSpec
from pgxdl.data.store_writer import write_store
from pgxdl.evaluation.outputs import format_summary, noise_floor
from pgxdl.evaluation.plots import write_plots
from pgxdl.evaluation.scoring import score_table
from pgxdl.io import write_json
from pgxdl.training.restore import check_evaluation_data

TASKS = (TaskSpec("dose", "regression", "mg/week"), TaskSpec("event", "binary"),
         TaskSpec("band", "multiclass", n_classes=3))


def make_table(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A predictions table with all three task kinds, two group keys, some masked labels."""
    rng = np.random.default_rng(seed)
    dose = rng.normal(30, 10, n)
    event = rng.integers(0, 2, n)
    band = rng.integers(0, 3, n)
    logits = rng.normal(0, 1, (n, 3))
    logits[np.arange(n), band] += 1.5
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    table = pd.DataFrame({
        "index": np.arange(n), "drug": "warfarin",
        "population": rng.choice(["AFR", "EUR", "EAS"], n, p=[0.45, 0.45, 0.1]),
        "site": rng.choice(["s0", "s1"], n),
        "dose.target": dose, "dose.mask": rng.random(n) > 0.1,
        "dose.pred": dose + rng.normal(0, 4, n), "dose.std": rng.uniform(3, 6, n),
        "dose.low": dose - 7.0, "dose.high": dose + rng.uniform(0, 9, n),
        "event.target": event, "event.mask": True,
        "event.prob": np.clip(0.4 * event + rng.uniform(0, 0.6, n), 0, 1),
        "band.target": band, "band.mask": True, "band.pred": prob.argmax(axis=1)})
    table["event.pred"] = (table["event.prob"] >= 0.5).astype(int)
    for k in range(3):
        table[f"band.prob.{k}"] = prob[:, k]
    table.loc[~table["dose.mask"], "dose.target"] = np.nan
    return table


def test_subgroup_metrics_equal_metrics_of_the_subset():
    table = make_table()
    report = score_table(table, TASKS, ["population", "site"], n_boot=50, seed=0,
                         min_group_size=40)
    dose = report["tasks"]["dose"]
    labelled = table[table["dose.mask"]]
    assert dose["n"] == len(labelled)
    for label, group in labelled.groupby("population"):
        entry = dose["subgroups"]["population"][label]
        assert entry["n"] == len(group)
        assert entry["small"] == (len(group) < 40)
        assert entry["metrics"]["mae"]["value"] == pytest.approx(
            skm.mean_absolute_error(group["dose.target"], group["dose.pred"]))
    assert set(dose["metrics"]) == {"mae", "rmse", "r2", "pearson", "spearman", "pw20",
                                    "coverage_90", "nll"}
    inside = (labelled["dose.target"] >= labelled["dose.low"]) & (
        labelled["dose.target"] <= labelled["dose.high"])
    assert dose["metrics"]["coverage_90"]["value"] == pytest.approx(inside.mean())
    site = report["tasks"]["event"]["subgroups"]["site"]["s1"]
    rows = table[table["site"] == "s1"]
    assert site["metrics"]["auroc"]["value"] == pytest.approx(
        skm.roc_auc_score(rows["event.target"], rows["event.prob"]))
    assert report["tasks"]["band"]["metrics"]["macro_auroc"]["value"] == pytest.approx(
        skm.roc_auc_score(table["band.target"], table[[f"band.prob.{k}" for k in range(3)]],
                          multi_class="ovr"))
    summary = format_summary(report)
    assert "dose" in summary and "EAS=" in summary and "*" in summary


def test_each_interval_has_its_own_seeded_stream():
    table = make_table()
    alone = score_table(table, TASKS[:1], [], n_boot=100, seed=3)
    grouped = score_table(table, TASKS[:1], ["population"], n_boot=100, seed=3)
    assert alone["tasks"]["dose"]["metrics"] == grouped["tasks"]["dose"]["metrics"]
    other = score_table(table, TASKS[:1], [], n_boot=100, seed=4)
    assert other["tasks"]["dose"]["metrics"]["mae"]["ci"] != \
        alone["tasks"]["dose"]["metrics"]["mae"]["ci"]


def test_bad_tables_name_the_missing_column():
    table = make_table().drop(columns=["event.prob"])
    with pytest.raises(ValueError, match=r"lacks columns \['event.prob'\] for task 'event'"):
        score_table(table, TASKS, [], n_boot=0)
    with pytest.raises(ValueError, match="no group column"):
        score_table(make_table(), TASKS, ["ancestry"], n_boot=0)


def test_metrics_json_is_strict_and_plots_are_written(tmp_path):
    table = make_table(n=120)
    table.loc[table["population"] == "EAS", "event.target"] = 1  # AUROC undefined there
    report = score_table(table, TASKS, ["population"], n_boot=20, seed=0)
    path = write_json(tmp_path / "metrics.json", report)
    loaded = json.loads(path.read_text())  # strict JSON: NaN written as null
    assert loaded["tasks"]["event"]["subgroups"]["population"]["EAS"]["metrics"]["auroc"][
        "value"] is None
    files = write_plots(table, TASKS, report, ["population"], tmp_path / "plots")
    names = {f.name for f in files}
    assert names == {"dose_pred_vs_obs.png", "dose_residuals_by_population.png",
                     "dose_mae_by_population.png", "event_calibration.png",
                     "event_auroc_by_population.png", "band_confusion.png",
                     "band_accuracy_by_population.png"}
    for file in files:
        assert file.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and file.stat().st_size > 5000
    assert not list((tmp_path / "plots").glob(".*"))  # no temporary files left


def test_noise_floor_is_absent_for_a_store_without_truth(tmp_path):
    store = write_store(tmp_path / "tiny.h5", tiny_cohort(), progress=False)
    assert noise_floor(store) is None


def spec(**changes) -> DataSpec:
    base = DataSpec(
        schema_version=1, window_names=("w0",), window_length=16, channels=4,
        numeric_features=("age",), categorical_features=("site",),
        categorical_cardinalities=(3,), tasks=TASKS[:1],
        extra={"vocabularies": {"site": ["a", "b"]},
               "windows": [{"name": "w0", "chrom": "chr1", "start": 1, "end": 16,
                            "strand": "+"}]})
    return dataclasses.replace(base, **changes)


def test_compatibility_names_every_mismatch():
    check_evaluation_data(spec(), spec())
    with pytest.raises(ValueError, match=r"new.h5: data does not fit the model:\n"
                                         r"  numeric_features: model expects \('age',\)"):
        check_evaluation_data(spec(), spec(numeric_features=("weight",)), "new.h5")
    other = spec(extra={"vocabularies": {"site": ["b", "a"]},
                        "windows": [{"name": "w0", "chrom": "chr2", "start": 1, "end": 16,
                                     "strand": "+"}]})
    with pytest.raises(ValueError) as error:
        check_evaluation_data(spec(), other, "new.h5")
    assert "vocabulary of 'site': model expects ['a', 'b'], data has ['b', 'a']" in \
        str(error.value)
    assert "window 'w0'" in str(error.value)
    with pytest.raises(ValueError, match="schema_version 2 differs"):
        check_evaluation_data(spec(), spec(schema_version=2))
