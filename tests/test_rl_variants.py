"""Simulator variants, the exact steady state, stable doses and the IWPC recalibration."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.simulator.hamberg import HambergSimulator, stable_daily_dose
from pgxdl.rl.simulator.iwpc_population import StableDoses
from pgxdl.rl.simulator.parameters import HAMBERG_2007, TypicalValues, individual_parameters
from pgxdl.rl.simulator.recalibration import Cells, StableDoseTable, fit, make_cells
from pgxdl.rl.simulator.variants import PerturbedEnsemble, resolve_simulator


def test_steady_state_matches_a_long_simulation():
    rng = np.random.default_rng(3)
    params = individual_parameters(np.array([0, 2, 4, 5]), np.array([0, 1, 2, 1]),
                                   np.array([40.0, 65.0, 71.0, 88.0]), rng)
    simulator = HambergSimulator(params)
    doses = np.array([6.0, 3.5, 2.0, 1.0])
    # 1500 days: the slow chain of some patients (MTT2 IIV 102 %) takes long to settle
    expected = simulator.run(np.tile(doses[:, None], (1, 1500)))[:, -1]
    np.testing.assert_allclose(simulator.steady_state_inr(doses), expected, rtol=1e-6)
    stable = stable_daily_dose(simulator, 2.5)
    np.testing.assert_allclose(simulator.steady_state_inr(stable), 2.5, rtol=1e-8)


def test_stable_dose_scales_exactly_with_ec50():
    params = individual_parameters(np.zeros(3, int), np.zeros(3, int), np.full(3, 60.0))
    base = stable_daily_dose(HambergSimulator(params))
    doubled = dataclasses.replace(params, ec50=params.ec50 * np.array([2.0, 0.5, 1.0]))
    np.testing.assert_allclose(stable_daily_dose(HambergSimulator(doubled)),
                               base * [2.0, 0.5, 1.0], rtol=1e-8)


def test_typical_values_are_validated():
    with pytest.raises(ValueError, match="cl_fraction_lost"):
        TypicalValues(cl_fraction_lost=(0.0, 0.2))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        TypicalValues(cl_fraction_lost=(0.0, 0.2, 0.3, 0.4, 0.5, 1.2))
    with pytest.raises(ValueError, match="must be > 0"):
        TypicalValues(ec50=(1.0, 0.0, 1.0))


def test_simulator_specs_resolve_and_reject_bad_input():
    assert resolve_simulator(None) == HAMBERG_2007
    custom = resolve_simulator({"kind": "hamberg2007", "params": {"ec50": [3, 2, 1]}})
    assert custom.ec50 == (3.0, 2.0, 1.0) and custom.cl_wild_type == HAMBERG_2007.cl_wild_type
    recalibrated = resolve_simulator({"kind": "iwpc_recalibrated"})
    assert recalibrated.name == "iwpc_recalibrated" and recalibrated.ec50 != HAMBERG_2007.ec50
    with pytest.raises(ValueError, match="not one of"):
        resolve_simulator({"kind": "hamberg1999"})
    with pytest.raises(ValueError, match=r"unknown simulator parameter\(s\) \['ec51'\]"):
        resolve_simulator({"kind": "hamberg2007", "params": {"ec51": 1}})
    with pytest.raises(ValueError, match="unknown perturbed setting"):
        resolve_simulator({"kind": "perturbed", "params": {"members": 3}})
    with pytest.raises(ValueError, match="env.simulator"):
        EnvConfig.from_dict({"simulator": {"kind": "nope"}})


def test_perturbed_ensemble_is_seeded_and_shifts_within_bounds():
    a = resolve_simulator({"kind": "perturbed", "params": {"seed": 1, "n_members": 5}})
    b = resolve_simulator({"kind": "perturbed", "params": {"seed": 1, "n_members": 5}})
    c = resolve_simulator({"kind": "perturbed", "params": {"seed": 2, "n_members": 5}})
    assert isinstance(a, PerturbedEnsemble) and len(a.members) == 5
    assert [m.ec50 for m in a.members] == [m.ec50 for m in b.members]
    assert a.members[0].ec50 != c.members[0].ec50
    ratios = np.array([np.array(m.ec50) / HAMBERG_2007.ec50 for m in a.members])
    assert np.all((ratios > np.exp(-0.8)) & (ratios < np.exp(0.8)))  # 0.15 SD: > 5 SD away
    assert all(m.cl_fraction_lost[0] == 0.0 for m in a.members)


def test_every_simulator_sees_the_same_patients():
    configs = [EnvConfig(simulator={"kind": k}) for k in ("hamberg2007", "iwpc_recalibrated",
                                                          "perturbed")]
    drawn = [draw_patients(c, config_population(c), 50, np.random.default_rng(4))
             for c in configs]
    for other in drawn[1:]:
        np.testing.assert_array_equal(other.covariates.age, drawn[0].covariates.age)
        np.testing.assert_array_equal(other.params.v2, drawn[0].params.v2)  # same eta
    assert not np.allclose(drawn[1].params.ec50, drawn[0].params.ec50)


def test_dose_table_matches_direct_stable_doses():
    table = StableDoseTable(n_draws=6, seed=5)
    values = resolve_simulator({"kind": "iwpc_recalibrated"})
    cyp, vkor, age = np.array([0, 2, 4]), np.array([1, 0, 2]), np.array([45.0, 65.0, 85.0])
    predicted = table.predict(values, cyp, vkor, age)  # (3, 6)
    for k in range(3):
        zeros = np.zeros(6, dtype=np.int64)
        params = individual_parameters(zeros + cyp[k], zeros + vkor[k], np.full(6, age[k]),
                                       np.random.default_rng(5), model=values)
        direct = 7.0 * stable_daily_dose(HambergSimulator(params))
        np.testing.assert_allclose(predicted[k], direct, rtol=0.01)


def test_recalibration_recovers_known_effects():
    """Doses simulated from known typical values: the fit finds those values back."""
    truth = dataclasses.replace(HAMBERG_2007, ec50=(3.5, 2.4, 1.5),
                                cl_fraction_lost=(0.0, 0.15, 0.3, 0.35, 0.5, 0.7),
                                age_cl_slope=-0.006)
    table = StableDoseTable(n_draws=40, seed=1)
    cyp = np.repeat(np.arange(6), 12)
    vkor = np.tile(np.repeat(np.arange(3), 4), 6)
    decade = np.tile(np.array([4, 5, 7, 8]), 18).astype(float)
    observed = np.median(table.predict(truth, cyp, vkor, decade * 10 + 5), axis=1)
    doses = StableDoses(cyp, vkor, decade, observed, "synthetic")
    cells = make_cells(doses, min_cell=1)
    assert isinstance(cells, Cells) and len(cells.n) == 72
    result = fit(cells, table)
    np.testing.assert_allclose(result["values"].ec50, truth.ec50, rtol=0.02)
    np.testing.assert_allclose(result["values"].cl_fraction_lost, truth.cl_fraction_lost,
                               atol=0.02)
    assert abs(result["values"].age_cl_slope - truth.age_cl_slope) < 5e-4
    assert result["log_rmse_fitted"] < 1e-3 < result["log_rmse_published"]
