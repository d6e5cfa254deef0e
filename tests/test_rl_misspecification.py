"""benchmarks/rl_misspecification.py on its --quick setting: every cell of the matrix."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import rl_misspecification


def test_paired_difference_by_hand():
    bench = rl_misspecification
    per_seed = {"a": [{"all": {"pttr": 0.8}}, {"all": {"pttr": 0.7}}],
                "b": [{"all": {"pttr": 0.6}}, {"all": {"pttr": 0.6}}]}
    out = bench.paired(per_seed, "a", "b", "pttr")
    np.testing.assert_allclose(out["mean"], 0.15)
    assert out["ci_low"] < 0.15 < out["ci_high"]


@pytest.mark.slow
def test_quick_matrix_has_every_policy_under_every_simulator(tmp_path, capsys):
    bench = rl_misspecification
    result = bench.main(["--quick", "--agents", "ppo", "ppo_continuous", "--out", str(tmp_path)])
    written = json.loads((tmp_path / "results.json").read_text())
    assert set(written["results"]) == set(bench.SIMULATORS)
    expected = {"fixed_5mg", "iwpc_pg_titration", "eupact_clinical_titration",
                *(f"{agent}@{s}" for s in bench.SIMULATORS for agent in ("ppo", "ppo_continuous"))}
    expected |= {f"{p}+safe" for p in expected}
    for simulator, policies in written["results"].items():
        assert set(policies) == expected
        goal = written["goal"][simulator]
        reference = policies["iwpc_pg_titration"]["all"]["frac_inr_above_4"]["mean"]
        flagged = {p for p, v in policies.items()
                   if v["all"]["frac_inr_above_4"]["mean"] > reference}
        assert set(goal["more_days_above_4_than_iwpc"]) == flagged
        assert goal["agents"][f"ppo@{simulator}"]["misspecified"] is False
    assert result["budget"] == "quick" and (tmp_path / "matrix.png").exists()
    assert "evaluated on" in capsys.readouterr().out
    summaries = sorted((tmp_path / "runs").glob("*/seed_0/summary.json"))
    stamps = [p.stat().st_mtime_ns for p in summaries]
    again = bench.main(["--quick", "--agents", "ppo", "ppo_continuous", "--reuse-runs",
                        "--out", str(tmp_path)])
    assert [p.stat().st_mtime_ns for p in summaries] == stamps
    assert len(stamps) == 2 * len(bench.SIMULATORS)
    assert json.dumps(again["results"]) == json.dumps(result["results"])  # NaN-safe equality


@pytest.mark.slow
def test_train_on_limits_training_but_not_evaluation(tmp_path):
    bench = rl_misspecification
    result = bench.main(["--quick", "--agents", "ppo", "--train-on", "hamberg2007",
                         "--out", str(tmp_path)])
    assert set(result["results"]) == set(bench.SIMULATORS)
    for policies in result["results"].values():
        assert {p for p in policies if "@" in p} == {"ppo@hamberg2007", "ppo@hamberg2007+safe"}
    assert [p.parent.parent.name for p in (tmp_path / "runs").glob("*/seed_0/summary.json")] \
        == ["ppo_hamberg2007"]
