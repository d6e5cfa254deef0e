"""The data-layer benchmark scripts run to completion on tiny inputs and write their JSON."""

from __future__ import annotations

import json

import pytest

from benchmarks import build_store, loader, simulated_ablation


def test_loader_benchmark(tmp_path):
    out = tmp_path / "loader.json"
    loader.main(["--subjects", "64", "--windows", "2", "--length", "100", "--batch", "16",
                 "--workers", "0", "--batches", "2", "--shards", "3", "--out", str(out)])
    result = json.loads(out.read_text())
    assert [r["source"] for r in result["rows"]] == ["in-memory tensors", "cohort store",
                                                     "shard index (3 shards)"]
    assert result["ratio"] > 0 and all(r["ratio_to_store"] > 0 for r in result["rows"])


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
def test_ablation_benchmark_and_its_resume(tmp_path):
    args = ["--tiny", "--models", "tabular only", "--out", str(tmp_path)]
    simulated_ablation.main(args)
    rows = json.loads((tmp_path / "ablation.json").read_text())["rows"]
    assert rows[0]["model"] == "tabular only" and rows[-1]["rmse_over_floor"] == 1.0
    assert [r["model"] for r in rows[1:3]] == ["ridge on true genotypes + EHR (reference)",
                                               "boosting on true genotypes + EHR (reference)"]
    assert all(0 < r["rmse_over_floor"] for r in rows)
    checkpoint = next((tmp_path / "runs").glob("*/checkpoints/last.ckpt"))
    trained_at = checkpoint.stat().st_mtime_ns
    simulated_ablation.main(args)  # finished runs are reused, not retrained
    assert checkpoint.stat().st_mtime_ns == trained_at
    assert json.loads((tmp_path / "ablation.json").read_text())["rows"] == rows
