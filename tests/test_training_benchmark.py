"""benchmarks/train_throughput.py completes with --tiny and reports both models and precisions."""

from __future__ import annotations

import importlib.util
import json

import pytest

from pgxdl.paths import REPO_ROOT


@pytest.mark.slow
def test_tiny_throughput_benchmark_reports_cnn_and_rnn(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        "train_throughput", REPO_ROOT / "benchmarks" / "train_throughput.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "throughput.json"
    bench.main(["--tiny", "--precision", "fp32", "bf16", "--out", str(out)])
    saved = json.loads(out.read_text())
    rows = saved["rows"]
    assert [(row["model"], row["precision"]) for row in rows] == [
        ("cnn", "fp32"), ("cnn", "bf16"), ("rnn", "fp32"), ("rnn", "bf16")]
    for row in rows:
        assert 0 < row["samples"] <= 2 * 16 and row["samples_per_s"] > 0
        assert 0 <= row["data_wait_fraction"] < 1
    for fp32, bf16 in (rows[:2], rows[2:]):
        assert fp32["vs_fp32"] == 1.0
        assert bf16["vs_fp32"] == bf16["samples_per_s"] / fp32["samples_per_s"]
    assert saved["setup"]["window_length"] == 64
    assert "samples_per_s" in capsys.readouterr().out
