"""Hamberg 2010 simulator: an ODE solver, hand-inverted stable doses, seeds, the environment."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import WarfarinDosingEnv, config_population, draw_patients
from pgxdl.rl.simulator.hamberg import HambergSimulator, stable_daily_dose
from pgxdl.rl.simulator.hamberg2010 import Hamberg2010Parameters
from pgxdl.rl.simulator.parameters import (
    CYP2C9_GENOTYPES,
    IIV_CV,
    VKORC1_GENOTYPES,
    genotype_indices,
    individual_parameters,
)
from pgxdl.rl.simulator.variants import resolve_simulator

# Published values typed again here (Hamberg et al. 2010 as read in reil and mipd-warfarin).
CL_ALLELE = {"*1": 0.174, "*2": 0.0879, "*3": 0.0422}
EC50_ALLELE = {"G": 2.05, "A": 0.96}
V, KA, GAMMA, MTT1, MTT2, INR_MAX, AGE_SLOPE = 14.3, 2.0, 1.15, 28.6, 118.3, 20.0, -0.00571
SPEC = {"kind": "hamberg2010"}


def typical(cyp: str, vkor: str, age: float = 71.0) -> Hamberg2010Parameters:
    return individual_parameters(genotype_indices([cyp], CYP2C9_GENOTYPES, "CYP2C9"),
                                 genotype_indices([vkor], VKORC1_GENOTYPES, "VKORC1"),
                                 np.array([age]), model=resolve_simulator(SPEC))


def hand_clearance(cyp: str, age: float = 71.0) -> float:
    return sum(CL_ALLELE[a] for a in cyp.split("/")) * (1.0 + AGE_SLOPE * (age - 71.0))


def hand_ec50(vkor: str) -> float:
    return sum(EC50_ALLELE[a] for a in vkor.split("/"))


def infusion_dose(cyp: str, vkor: str, target: float = 2.5) -> float:
    """Racemic mg/day for ``target`` at steady state if the dose were a constant infusion.

    At steady state both chains equal u = 1 - E, so INR = 1 + INRmax E; C from the Hill
    model; dose rate = C CL, half of each tablet being S-warfarin.
    """
    effect = (target - 1.0) / INR_MAX
    conc = hand_ec50(vkor) * (effect / (1.0 - effect)) ** (1.0 / GAMMA)
    return conc * hand_clearance(cyp) * 24.0 / 0.5


def reference_inr(cyp: str, vkor: str, age: float, doses: np.ndarray) -> np.ndarray:
    """End-of-day INR from scipy's LSODA on the raw ODEs, typed from the module docstring."""
    cl, ec50 = hand_clearance(cyp, age), hand_ec50(vkor)
    k1, k2 = 3.0 / MTT1, 3.0 / MTT2

    def rhs(_t, y):
        c = max(y[1] / V, 0.0) ** GAMMA
        u = 1.0 - c / (ec50**GAMMA + c)
        d = np.empty_like(y)
        d[0], d[1] = -KA * y[0], KA * y[0] - cl / V * y[1]
        for start, k in ((2, k1), (5, k2)):
            d[start] = k * (u - y[start])
            d[start + 1:start + 3] = k * (y[start:start + 2] - y[start + 1:start + 3])
        return d

    y, out = np.r_[0.0, 0.0, np.ones(6)], []
    for dose in doses:
        y = y.copy()
        y[0] += 0.5 * dose
        y = solve_ivp(rhs, (0.0, 24.0), y, method="LSODA", rtol=1e-9, atol=1e-12).y[:, -1]
        out.append(1.0 + INR_MAX * (1.0 - 0.5 * (y[4] + y[7])))
    return np.array(out)


@pytest.mark.parametrize("cyp,vkor,age", [("*1/*1", "G/A", 71), ("*3/*3", "A/A", 85),
                                          ("*1/*2", "G/G", 40)])
def test_day_steps_match_an_ode_solver(cyp, vkor, age):
    doses = np.array([10, 10, 5, 5, 0, 7.5, 5, 5, 2.5, 5, 5, 5, 5, 5])
    simulated = HambergSimulator(typical(cyp, vkor, age)).run(doses)[0]
    np.testing.assert_allclose(simulated, reference_inr(cyp, vkor, age, doses), rtol=2e-3)


def test_steady_state_inr_rises_with_dose_and_matches_a_long_run():
    params = individual_parameters(np.array([0, 2, 5]), np.array([0, 1, 2]),
                                   np.array([50.0, 71.0, 90.0]), np.random.default_rng(1),
                                   model=resolve_simulator(SPEC))
    simulator = HambergSimulator(params)
    grid = np.array([0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
    steady = np.stack([simulator.steady_state_inr(d) for d in grid], axis=1)
    assert np.all(np.diff(steady, axis=1) > 0) and np.all(steady[:, 0] > 1.0)
    doses = np.array([6.0, 3.0, 1.0])
    long_run = simulator.run(np.tile(doses[:, None], (1, 200)))[:, -1]
    np.testing.assert_allclose(simulator.steady_state_inr(doses), long_run, rtol=1e-6)


def test_stable_doses_follow_the_published_genotype_effects():
    groups = [("*1/*1", "G/G"), ("*1/*1", "A/A"), ("*1/*3", "G/A"), ("*3/*3", "G/G"),
              ("*3/*3", "A/A")]
    stable = np.array([stable_daily_dose(HambergSimulator(typical(*g)))[0] for g in groups])
    by_hand = np.array([infusion_dose(*g) for g in groups])
    # once-daily tablets vs an infusion: the same within 2 % (S-warfarin half-life > 28 h)
    np.testing.assert_allclose(stable, by_hand, rtol=0.02)
    ratios = stable[1:] / stable[0]
    np.testing.assert_allclose(ratios, by_hand[1:] / by_hand[0], rtol=0.02)
    # *3/*3 needs (0.0844 / 0.348) of the *1/*1 dose, A/A (1.92 / 4.10) of G/G's
    np.testing.assert_allclose(ratios[[0, 2]], [1.92 / 4.10, 0.0844 / 0.348], rtol=0.02)
    assert ratios[3] < ratios[2] < ratios[1] < 1.0


def test_seeds_are_deterministic_and_random_effects_shared_with_hamberg2007():
    configs = {k: EnvConfig(simulator={"kind": k}) for k in ("hamberg2007", "hamberg2010")}
    draw = {k: draw_patients(c, config_population(c), 40, np.random.default_rng(7))
            for k, c in configs.items()}
    again = draw_patients(configs["hamberg2010"], config_population(configs["hamberg2010"]),
                          40, np.random.default_rng(7))
    new, old = draw["hamberg2010"], draw["hamberg2007"]
    np.testing.assert_array_equal(new.params.cl, again.params.cl)
    np.testing.assert_array_equal(new.covariates.age, old.covariates.age)
    typical_new = individual_parameters(new.covariates.cyp2c9, new.covariates.vkorc1,
                                        new.covariates.age, model=resolve_simulator(SPEC))
    typical_old = individual_parameters(old.covariates.cyp2c9, old.covariates.vkorc1,
                                        old.covariates.age)
    # the same standard-normal draw, scaled by each model's SD
    ratio = np.log(new.params.cl / typical_new.cl) / np.log(old.params.cl / typical_old.cl)
    np.testing.assert_allclose(ratio, 0.089 / np.sqrt(np.log1p(IIV_CV["cl"] ** 2)))
    other = draw_patients(configs["hamberg2010"], config_population(configs["hamberg2010"]),
                          40, np.random.default_rng(8))
    assert not np.allclose(other.params.ec50, new.params.ec50)


def test_overrides_and_bad_parameters():
    model = resolve_simulator({"kind": "hamberg2010", "params": {"iiv_sd": {"ec50": 0.34}}})
    assert model.iiv_sd == {"cl": 0.089, "v": 0.054, "ec50": 0.34}
    with pytest.raises(ValueError, match=r"unknown simulator parameter\(s\) \['lambda'\]"):
        resolve_simulator({"kind": "hamberg2010", "params": {"lambda": 3.6}})
    with pytest.raises(ValueError, match="iiv_sd takes"):
        resolve_simulator({"kind": "hamberg2010", "params": {"iiv_sd": {"mtt1": 0.1}}})
    with pytest.raises(ValueError, match="ec50_allele"):
        resolve_simulator({"kind": "hamberg2010", "params": {"ec50_allele": [2.0]}})
    with pytest.raises(ValueError, match="base must be one of"):
        resolve_simulator({"kind": "perturbed", "params": {"base": "hamberg2010"}})


def test_environment_runs_an_episode_on_hamberg2010():
    env = WarfarinDosingEnv({"simulator": SPEC, "population": "european"})
    env.reset(seed=3)
    done, inrs = False, []
    while not done:
        _obs, _reward, done, _truncated, info = env.step(10)  # 5 mg/day
        inrs.extend(info["true_inr"])
    assert len(inrs) == env.config.episode_days and 1.0 < inrs[-1] < 10.0
    assert inrs[-1] > inrs[0]
