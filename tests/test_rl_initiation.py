"""Dose models as the first dose: one interface for the IWPC formula and trained models."""

from __future__ import annotations

import numpy as np
import pytest
from iwpc_fixtures import synthetic_rows, write_iwpc_csv

from pgxdl.iwpc.formulas import IWPCFormula
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.evaluate import protocol_config
from pgxdl.rl.policies.clinical_protocols import IWPCGuidedProtocol, iwpc_pharmacogenetic_daily_dose
from pgxdl.rl.policies.initiation import (
    HandoverDecider,
    ModelInitiatedProtocol,
    RegressorDoseModel,
    log_ratio_quantiles,
    records_to_features,
)
from pgxdl.rl.rollout import ProtocolDecider, rollout


class Constant:
    """A regressor predicting the same weekly dose for everyone."""

    def __init__(self, mg_week):
        self.mg_week = mg_week

    def predict(self, frame):
        return np.full(len(frame), self.mg_week)


@pytest.fixture(scope="module")
def patients():
    config = EnvConfig(population="european")
    return config, draw_patients(config, config_population(config), 30,
                                 np.random.default_rng(8))


def test_iwpc_formula_through_the_interface_matches_the_protocol(patients):
    config, cohort = patients
    records = [cohort.covariates.record(i) for i in range(len(cohort))]
    model = RegressorDoseModel(IWPCFormula(), (-0.3, 0.3), "iwpc_formula")
    np.testing.assert_allclose(model(records).mg_week / 7.0,
                               [iwpc_pharmacogenetic_daily_dose(r) for r in records])
    daily = protocol_config(config)
    shipped = rollout(daily, ProtocolDecider(IWPCGuidedProtocol()), cohort, seed=1)
    through = rollout(daily, ProtocolDecider(ModelInitiatedProtocol(model)), cohort, seed=1)
    np.testing.assert_array_equal(through.doses, shipped.doses)


def test_features_and_intervals_by_hand():
    frame = records_to_features([{"age": 67.0, "height_cm": 170, "weight_kg": 80,
                                  "vkorc1": "G/A", "cyp2c9": "*1/*3", "race": "White"}])
    assert frame.loc[0, "age_decade"] == 6.0 and frame.loc[0, "vkorc1"] == "A/G"
    low, high = log_ratio_quantiles(np.array([10.0, 20.0, 40.0]), np.array([20.0, 20.0, 20.0]),
                                    coverage=1.0)
    np.testing.assert_allclose([low, high], [np.log(0.5), np.log(2.0)])
    with pytest.raises(ValueError, match="bracket 0"):
        RegressorDoseModel(Constant(35.0), (0.1, 0.5), "bad")


def test_bounded_start_stays_inside_the_interval_for_14_days(patients):
    config, cohort = patients
    model = RegressorDoseModel(Constant(14.0), (-0.1, 0.1), "low_dose")  # 2 mg/day: INR low
    daily = protocol_config(config)
    free = rollout(daily, ProtocolDecider(ModelInitiatedProtocol(model)), cohort, seed=2)
    bounded = rollout(daily, ProtocolDecider(ModelInitiatedProtocol(model, bound_days=14)),
                      cohort, seed=2)
    given = bounded.doses[:, :14]
    assert np.all((given == 0) | ((given >= 1.5) & (given <= 2.0)))  # 2 mg x e^+-0.1, rounded
    assert free.doses[:, :14].max() >= 2.5


def test_handover_uses_the_model_then_the_agent():
    class Agent:
        def begin(self, records):
            self.started = len(records)

        def doses(self, obs, day, measured):
            return np.full(2, 9.0)

    decider = HandoverDecider(RegressorDoseModel(Constant(21.0), (-0.2, 0.2), "c"), Agent(), 3)
    decider.begin([{"age": 60.0, "height_cm": 170, "weight_kg": 70}] * 2)
    assert [decider.doses(None, d, None)[0] for d in (0, 1, 3, 5)] == [3.0, 3.0, 9.0, 9.0]


def test_recommended_recipe_behind_the_interface(tmp_path, patients):
    from benchmarks import rl_initiation as bench
    from pgxdl.baselines.site_recipes import RecommendedDoseModel
    from pgxdl.iwpc.features import derive_features
    from pgxdl.iwpc.table import read_iwpc_table

    table = read_iwpc_table(write_iwpc_csv(tmp_path / "iwpc.csv", synthetic_rows(120, seed=3)))
    features = derive_features(table.frame)
    model = RecommendedDoseModel(("published_formula",), n_folds=2).fit(
        features, table.frame["dose_mg_week"].to_numpy(float),
        table.frame["site"].astype(str).to_numpy())
    adapter = bench.RecommendedStart(model, features)
    _config, cohort = patients
    records = [cohort.covariates.record(i) for i in range(len(cohort))]
    frame = adapter.features(records)
    assert list(frame.columns) == list(features.columns)
    assert frame["target_inr"].isna().all() and set(frame["gender"]) == {"unknown"}
    assert set(frame["vkorc1_source"]) == {"genotyped"}
    prediction = adapter(records)
    # the published formula, through the recipe and the adapter, is the protocol's dose
    np.testing.assert_allclose(prediction.mg_week / 7.0,
                               [iwpc_pharmacogenetic_daily_dose(r) for r in records], rtol=1e-9)
    assert np.all((prediction.low < prediction.mg_week) & (prediction.mg_week < prediction.high))
    unmeasured = adapter([{**records[0], "height_cm": np.nan}])  # imputed, wider interval
    assert np.isfinite(unmeasured.mg_week[0]) and unmeasured.high[0] > unmeasured.low[0]


def test_quick_benchmark_runs_on_a_synthetic_table(tmp_path, capsys):
    from benchmarks import rl_initiation as bench
    path = write_iwpc_csv(tmp_path / "iwpc.csv", synthetic_rows(200, seed=1))
    result = bench.main(["--quick", "--iwpc", str(path), "--population", "european",
                         "--out", str(tmp_path)])
    for simulator in bench.SIMULATORS:
        same = result["versus_iwpc_formula_start"][simulator]["iwpc_pg_titration"]["pttr"]
        assert same["mean"] == 0.0  # the shipped protocol is the IWPC-formula start
    assert 0.0 < result["dose_models"]["gradient_boosting"]["held_out_pw20"] <= 1.0
    recommended = result["dose_models"]["recommended_recipe"]
    assert recommended["recipe"] in recommended["inner_out_of_site_mae"]
    assert 0.0 <= recommended["held_out_interval_coverage"] <= 1.0
    assert {"recommended_recipe_start", "recommended_recipe_start_bounded14d"} <= set(
        result["results"]["hamberg2010"])
    assert (tmp_path / "results.json").exists() and "dPTTR" in capsys.readouterr().out
