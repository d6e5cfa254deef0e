"""The IWPC benchmark completes on a tiny synthetic table, and reproduces the IWPC formula."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.baselines.models import MODEL_NAMES
from pgxdl.iwpc.dose_metrics import evaluate_doses
from pgxdl.iwpc.features import derive_features
from pgxdl.iwpc.formulas import iwpc_dose
from pgxdl.iwpc.policy import select_patients
from pgxdl.iwpc.table import read_iwpc_table
from pgxdl.paths import REPO_ROOT


def _load(script: str):
    spec = importlib.util.spec_from_file_location(f"{script}_benchmark",
                                                  REPO_ROOT / "benchmarks" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _benchmark_module():
    return _load("iwpc")


@pytest.mark.slow
def test_quick_benchmark_completes_and_writes_every_model_and_protocol(tmp_path, capsys):
    data = write_iwpc_csv(tmp_path / "synthetic.csv", synthetic_rows(80, seed=2))
    reference = write_fake_reference(tmp_path / "fake_GRCh38.fa")
    deep = ["tabular_only", "cnn_gated"]
    payload = _benchmark_module().main([
        "--data", str(data), "--reference", str(reference), "--out", str(tmp_path / "out"),
        "--quick", "--n-boot", "20", "--deep-models", *deep, "--deep-ensemble", "2"])
    deep = [f"{name}_x2" for name in deep]  # two seeds per fold, averaged
    written = json.loads((tmp_path / "out" / "iwpc_quick.json").read_text())
    assert written["selection"]["n_kept"] + sum(written["selection"]["excluded"].values()) == 80
    for protocol in ("cv", "leave_site_out"):
        assert list(written["results"][protocol]) == [*MODEL_NAMES, *deep]
        for report in written["results"][protocol].values():
            assert report["n"] == written["selection"]["n_kept"]
            assert set(report["metrics"]) == {"mae", "pw20", "r2", "band_accuracy"}
            assert set(report["subgroups"]) == {"race", "dose_band", "site"}
        interval = written["results"][protocol]["cnn_gated_x2"]["interval"]
        assert 0 <= interval["coverage"] <= 1 and interval["median_width"] > 0
        for name, report in written["results"][protocol].items():
            assert ("vs_iwpc_pharmacogenetic" in report) == (name != "iwpc_pharmacogenetic")
    saved = np.load(tmp_path / "out" / "iwpc_quick_predictions.npz")
    assert sorted(saved.files) == sorted(f"{p}/{m}" for p in ("cv", "leave_site_out")
                                         for m in [*MODEL_NAMES, *deep])
    n_kept = written["selection"]["n_kept"]
    formula, film = saved["cv/iwpc_pharmacogenetic"], saved["cv/cnn_gated_x2"]
    assert formula.shape[1] == film.shape[1] == n_kept and np.isfinite(film).all()
    dose = _benchmark_module().load_cohort(data)[2]
    expected = np.abs(film - dose).mean() - np.abs(formula - dose).mean()
    assert written["results"]["cv"]["cnn_gated_x2"]["vs_iwpc_pharmacogenetic"]["mae"][
        "value"] == pytest.approx(expected)

    # benchmarks/iwpc_combine.py: the square of the members' mean square root, scored
    combine = _load("iwpc_combine")
    run = tmp_path / "out" / "iwpc_quick.json"
    report = combine.main([f"{run}:cnn_gated_x2", f"{run}:tabular_only_x2", "--protocol", "cv",
                           "--n-boot", "20", "--out", str(tmp_path / "combined")])
    average = np.square((np.sqrt(film) + np.sqrt(saved["cv/tabular_only_x2"])) / 2)
    assert report["metrics"]["mae"]["value"] == pytest.approx(np.abs(average - dose).mean())
    assert report["vs_iwpc_pharmacogenetic"]["mae"]["value"] == pytest.approx(
        np.abs(average - dose).mean() - np.abs(formula - dose).mean())
    with pytest.raises(ValueError, match="has no 'cv/cnn_film'"):
        combine.main([f"{run}:cnn_film", "--protocol", "cv"])
    alone = combine.main([f"{run}:cnn_gated_x2", "--versus", f"{run}:ridge", "--protocol", "cv",
                          "--n-boot", "20", "--out", str(tmp_path / "versus")])
    assert alone["metrics"]["mae"]["value"] == pytest.approx(np.abs(film - dose).mean())
    assert alone["vs_ridge"]["mae"]["value"] == pytest.approx(
        np.abs(film - dose).mean() - np.abs(saved["cv/ridge"] - dose).mean())
    printed = capsys.readouterr().out
    assert printed.count("leave_site_out  ") == len(MODEL_NAMES) + len(deep)
    assert written["table"] == payload["table"]


@pytest.mark.realdata
def test_iwpc_formula_reproduces_the_published_validation(shared_data):
    """Published (Klein et al. 2009, validation cohort): MAE 8.5 mg/week, PW20 about 46%."""
    frame = read_iwpc_table(shared_data / "iwpc" / "iwpc.csv").frame
    frame = frame[select_patients(frame)[0]]
    features = derive_features(frame)
    report = evaluate_doses(frame["dose_mg_week"].to_numpy(), iwpc_dose(features),
                            n_boot=500, seed=0)["metrics"]
    low, high = report["mae"]["ci"]
    assert low <= 8.5 <= high
    low, high = report["pw20"]["ci"]
    assert low <= 46.0 <= high
    assert np.isclose(report["mae"]["value"], 8.5, atol=0.2)
