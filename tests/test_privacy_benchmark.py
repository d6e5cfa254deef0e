"""benchmarks/privacy.py and benchmarks/privacy_fedavg.py --quick run end to end and
write every figure they promise."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import privacy, privacy_fedavg


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


@pytest.mark.slow
def test_quick_fedavg_selection_reports_gaps_over_seeds(tmp_path):
    assert privacy_fedavg.main(["--quick", "--out",
                                str(tmp_path)]) == 0
    result = json.loads((tmp_path / "fedavg.json").read_text())
    selection = result["selection"]
    assert selection[0]["model"] == "centralised" and len(selection) == 3
    chosen = min(selection[1:], key=lambda row: row["val_mae"])
    assert not set(result["test_sites"]) & set(result["select_sites"])
    rows = {row["model"]: row for row in result["rows"]}
    assert set(rows) == {"centralised", "fedavg"} and rows["fedavg"]["lr"] == chosen["lr"]
    central = np.array([m["mae_mg_week"] for m in result["per_seed"]["centralised"]])
    fedavg = np.array([m["mae_mg_week"] for m in result["per_seed"]["fedavg"]])
    assert len(fedavg) == 2  # two seeds, and they differ
    assert fedavg[0] != fedavg[1]
    np.testing.assert_allclose(rows["fedavg"]["gap_mean"], (fedavg - central).mean())
    np.testing.assert_allclose(rows["fedavg"]["gap_sd"], (fedavg - central).std(ddof=1))
    again = tmp_path / "again"  # reusing the choice re-trains the same models, bit for bit
    assert privacy_fedavg.main(["--quick", "--selection", str(tmp_path / "selection.json"),
                                "--out", str(again)]) == 0
    rerun = json.loads((again / "fedavg.json").read_text())
    assert rerun["per_seed"] == result["per_seed"]
    assert rerun["selection"] == selection
