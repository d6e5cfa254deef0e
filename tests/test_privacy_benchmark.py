"""benchmarks/privacy.py --quick runs end to end and writes every figure it promises."""

from __future__ import annotations

import json

import pytest

from benchmarks import privacy


@pytest.mark.slow
def test_quick_benchmark_writes_utility_attacks_and_round_times(tmp_path, capsys):
    assert privacy.main(["--quick", "--strategies", "fedavg", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "privacy.json").read_text())
    rows = {row["model"]: row for row in result["rows"]}
    assert {"centralised", "dp_eps1", "dp_eps3", "dp_eps8"} <= set(rows)
    assert any(name.startswith("site_alone_") for name in rows)
    for epsilon in privacy.EPSILONS:
        assert 0.9 * epsilon < rows[f"dp_eps{epsilon:g}"]["epsilon"] <= epsilon + 1e-6
    for row in rows.values():
        assert row["mae_mg_week"] > 0 and 0 <= row["pw20"] <= 1
    for name in ("centralised", "dp_eps1", "dp_eps3", "dp_eps8"):
        assert 0 <= rows[name]["loss_auc"] <= 1
    assert 0 <= rows["centralised"]["lira_auc"] <= 1
    assert rows["centralised"]["epsilon"] is None  # epsilon = inf, which JSON writes as null
    assert len(result["round_seconds"]["simulation_fedavg"]) == 2
    assert len(result["round_seconds"]["deployment_fedavg"]) == 1
    assert {"fedavg", "fedavg_deployment"} <= set(rows)
    assert "mae_mg_week" in capsys.readouterr().out
