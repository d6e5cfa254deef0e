"""benchmarks/rl_dosing.py completes on tiny settings and reports every cell."""

from __future__ import annotations

import importlib.util
import json

import pytest

from pgxdl.paths import REPO_ROOT
from pgxdl.rl.evaluate import REPORTED_METRICS


def load_benchmark():
    spec = importlib.util.spec_from_file_location("rl_dosing",
                                                  REPO_ROOT / "benchmarks" / "rl_dosing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tiny_benchmark_reports_every_policy_metric_and_group(tmp_path, capsys):
    bench = load_benchmark()
    bench.main(["--tiny", "--out", str(tmp_path), "--seeds", "0", "1", "--n-patients", "8"])
    result = json.loads((tmp_path / "results.json").read_text())
    policies = {"fixed_5mg", "iwpc_pg_titration", "eupact_clinical_titration", *bench.AGENTS}
    assert set(result["results"]) == policies
    for groups in result["results"].values():
        assert {"all", "CYP2C9 *3 carrier", "VKORC1 A/A"} <= set(groups)
        for metric in REPORTED_METRICS:
            cell = groups["all"][metric]
            assert cell["n_seeds"] == 2 and cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    assert result["goal"]["best_protocol"] in policies
    assert set(result["goal"]["agents"]) == set(bench.AGENTS)
    assert (tmp_path / "trajectories.png").exists() and (tmp_path / "pttr_by_group.png").exists()
    assert "PTTR (%) by genotype group" in capsys.readouterr().out
