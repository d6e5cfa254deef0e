"""The data-layer benchmark scripts run to completion on tiny inputs and write their JSON."""

from __future__ import annotations

import json

import pytest

from benchmarks import build_store, loader, simulated_ablation


def test_loader_benchmark(tmp_path):
    out = tmp_path / "loader.json"
    loader.main(["--subjects", "64", "--windows", "2", "--length", "100", "--batch", "16",
                 "--workers", "0", "--batches", "2", "--out", str(out)])
    result = json.loads(out.read_text())
    assert [r["source"] for r in result["rows"]] == ["in-memory tensors", "cohort store"]
    assert result["ratio"] > 0


def test_build_benchmark(tmp_path):
    out = tmp_path / "build.json"
    build_store.main(["--subjects", "40", "--windows", "2", "--length", "200", "--sites", "8",
                      "--out", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [r["stage"] for r in rows] == ["numpy copy (memory)", "numpy copy (disk)",
                                          "genome + write (streamed)",
                                          "genome + write (whole array)", "end to end"]
    assert all(r["seconds"] > 0 for r in rows)


@pytest.mark.slow
def test_ablation_benchmark(tmp_path):
    simulated_ablation.main(["--tiny", "--models", "tabular only", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "ablation.json").read_text())["rows"]
    assert rows[0]["model"] == "tabular only" and rows[-1]["rmse_over_floor"] == 1.0
