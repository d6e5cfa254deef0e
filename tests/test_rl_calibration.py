"""benchmarks/rl_calibration.py on a synthetic IWPC-shaped table."""

from __future__ import annotations

import json

import numpy as np
from iwpc_fixtures import synthetic_rows, write_iwpc_csv
from scipy import stats

from benchmarks import rl_calibration


def test_compare_quantiles_and_distances_by_hand():
    bench = rl_calibration
    sim, obs = np.array([10.0, 20.0, 40.0, 80.0]), np.array([15.0, 30.0, 30.0])
    out = bench.compare(sim, obs)
    np.testing.assert_allclose(out["quantiles_iwpc"][2], 30.0)
    np.testing.assert_allclose(out["median_ratio"], 30.0 / 30.0)
    np.testing.assert_allclose(out["wasserstein_log"],
                               stats.wasserstein_distance(np.log(sim), np.log(obs)))
    assert bench.compare(obs, obs)["energy_distance_log"] == 0.0


def test_quick_calibration_reports_groups_and_figure(tmp_path, capsys):
    bench = rl_calibration
    rows = synthetic_rows(300, seed=2)
    path = write_iwpc_csv(tmp_path / "iwpc.csv", rows)
    result = bench.main(["--quick", "--iwpc", str(path), "--out", str(tmp_path / "out"),
                         "--simulators", "hamberg2007", "iwpc_recalibrated"])
    written = json.loads((tmp_path / "out" / "results.json").read_text())
    assert written["n_patients"] == 400 and set(written["simulators"]) == {
        "hamberg2007", "iwpc_recalibrated"}
    doses = np.array([float(r["Therapeutic Dose of Warfarin"]) for r in rows
                      if r["Therapeutic Dose of Warfarin"]])
    overall = result["simulators"]["hamberg2007"]["overall"]
    np.testing.assert_allclose(overall["quantiles_iwpc"], np.quantile(doses, bench.QUANTILES))
    groups = written["simulators"]["hamberg2007"]["groups"]
    assert "*1/*1 G/G" in groups and all(np.all(np.diff(g["quantiles_simulated"]) >= 0)
                                        for g in groups.values())
    assert (tmp_path / "out" / "stable_doses.png").stat().st_size > 10_000
    assert "energy dist. (log)" in capsys.readouterr().out
