"""Hamberg 2007 simulator: exact day steps against an ODE solver and hand calculations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pgxdl.rl.simulator.hamberg import HambergSimulator
from pgxdl.rl.simulator.parameters import (
    CYP2C9_GENOTYPES,
    IIV_CV,
    VKORC1_GENOTYPES,
    genotype_indices,
    individual_parameters,
    typical_clearance,
)

# Published typical values, typed here again from Hamberg et al. 2007 (not imported).
CL_11, EC50 = 0.314, {"G/G": 4.61, "G/A": 3.02, "A/A": 2.20}
CL_LOST = {"*1/*1": 0.0, "*1/*2": 0.315, "*1/*3": 0.453, "*2/*2": 0.722, "*2/*3": 0.690,
           "*3/*3": 0.852}
GAMMA, LAMBDA, INR_MAX = 0.424, 3.61, 20.0


def typical(cyp: str, vkor: str, age: float = 71.0):
    return individual_parameters(genotype_indices([cyp], CYP2C9_GENOTYPES, "CYP2C9"),
                                 genotype_indices([vkor], VKORC1_GENOTYPES, "VKORC1"),
                                 np.array([age]))


def hand_maintenance_dose(cyp: str, vkor: str, target_inr: float = 2.5) -> float:
    """Racemic mg/day giving ``target_inr`` at steady state, by inverting the model by hand.

    At steady state both transit chains equal u = 1 - E(C), so 1 - u^2 = ((INR-1)/INRmax)^(1/
    lambda); C from the Emax model; dose rate = C * CL, of which half the tablet is S.
    """
    u = np.sqrt(1.0 - ((target_inr - 1.0) / INR_MAX) ** (1.0 / LAMBDA))
    effect = 1.0 - u
    conc = EC50[vkor] * (effect / (1.0 - effect)) ** (1.0 / GAMMA)
    cl = CL_11 * (1.0 - CL_LOST[cyp])
    return conc * cl * 24.0 / 0.5


def reference_inr(params, doses: np.ndarray) -> np.ndarray:
    """End-of-day INR from scipy's LSODA on the raw ODEs (an independent integration)."""
    p = {k: float(getattr(params, k)[0]) for k in ("cl", "v1", "v2", "q", "ka", "ec50", "mtt1",
                                                     "mtt2")}
    k1, k2 = 6.0 / p["mtt1"], 1.0 / p["mtt2"]

    def rhs(_t, y):
        depot, central, periph, chain = y[0], y[1], y[2], y[3:]
        c = max(central / p["v1"], 0.0) ** GAMMA
        u = 1.0 - c / (p["ec50"] ** GAMMA + c)
        d = np.empty_like(y)
        d[0] = -p["ka"] * depot
        d[1] = p["ka"] * depot - (p["cl"] + p["q"]) / p["v1"] * central + p["q"] / p["v2"] * periph
        d[2] = p["q"] / p["v1"] * central - p["q"] / p["v2"] * periph
        d[3] = k1 * (u - chain[0])
        d[4:9] = k1 * (chain[0:5] - chain[1:6])
        d[9] = k2 * (u - chain[6])
        return d

    y = np.r_[0.0, 0.0, 0.0, np.ones(7)]
    out = []
    for dose in doses:
        y = y.copy()
        y[0] += 0.5 * dose
        y = solve_ivp(rhs, (0.0, 24.0), y, method="LSODA", rtol=1e-9, atol=1e-12).y[:, -1]
        out.append(1.0 + INR_MAX * (1.0 - y[8] * y[9]) ** LAMBDA)
    return np.array(out)


@pytest.mark.parametrize("cyp,vkor,age", [("*1/*1", "G/A", 71), ("*3/*3", "A/A", 85),
                                          ("*1/*2", "G/G", 40)])
def test_day_steps_match_an_ode_solver(cyp, vkor, age):
    params = typical(cyp, vkor, age)
    doses = np.array([10, 10, 5, 5, 0, 7.5, 5, 5, 2.5, 5, 5, 5, 5, 5])
    simulated = HambergSimulator(params).run(doses)[0]
    np.testing.assert_allclose(simulated, reference_inr(params, doses), rtol=2e-3)


def test_steady_state_concentration_is_dose_rate_over_clearance():
    params = typical("*1/*1", "G/A")
    sim = HambergSimulator(params)
    sim.run(np.full(60, 5.0))
    average = sim.last_concentrations.mean()
    np.testing.assert_allclose(average, 0.5 * 5.0 / (CL_11 * 24.0), rtol=0.01)


def test_inr_stays_at_baseline_without_drug():
    sim = HambergSimulator(typical("*3/*3", "A/A"))
    np.testing.assert_array_equal(sim.run(np.zeros(30)), 1.0)


@pytest.mark.parametrize("cyp,vkor", [("*1/*1", "G/G"), ("*1/*1", "G/A"), ("*1/*3", "A/A"),
                                      ("*3/*3", "G/A")])
def test_hand_maintenance_dose_reaches_target_inr(cyp, vkor):
    dose = hand_maintenance_dose(cyp, vkor)
    inr = HambergSimulator(typical(cyp, vkor)).run(np.full(120, dose))[0]
    assert abs(inr[-1] - 2.5) < 0.1


def test_genotype_ordering_of_maintenance_doses():
    doses = {(c, v): hand_maintenance_dose(c, v) for c in CL_LOST for v in EC50}
    assert doses[("*3/*3", "G/A")] < doses[("*1/*3", "G/A")] < doses[("*1/*1", "G/A")]
    assert doses[("*1/*1", "A/A")] < doses[("*1/*1", "G/A")] < doses[("*1/*1", "G/G")]
    # About 5 mg/day for the commonest genotype, as in clinical practice.
    assert 4.0 < doses[("*1/*1", "G/A")] < 6.5
    # The simulator agrees: at one fixed dose the sensitive genotypes have the higher INR.
    inr = {k: HambergSimulator(typical(*k)).run(np.full(60, 4.0))[0, -1]
           for k in [("*1/*1", "G/G"), ("*1/*1", "A/A"), ("*3/*3", "G/G")]}
    assert inr[("*1/*1", "G/G")] < inr[("*1/*1", "A/A")]
    assert inr[("*1/*1", "G/G")] < inr[("*3/*3", "G/G")]


def test_batched_patients_match_one_at_a_time():
    params = individual_parameters(np.array([0, 2, 5]), np.array([1, 0, 2]),
                                   np.array([50.0, 71.0, 90.0]), np.random.default_rng(3))
    doses = np.array([[5.0] * 20, [7.5] * 20, [1.0] * 20])
    together = HambergSimulator(params).run(doses)
    for i in range(3):
        np.testing.assert_allclose(HambergSimulator(params.take(i)).run(doses[i])[0],
                                   together[i], rtol=1e-12)


def test_clearance_covariates_and_age_bounds():
    cl = typical_clearance(np.arange(6), np.full(6, 71.0))
    np.testing.assert_allclose(cl, [CL_11 * (1 - CL_LOST[g]) for g in CYP2C9_GENOTYPES])
    older = typical_clearance(np.array([0]), np.array([81.0]))[0]
    np.testing.assert_allclose(older, CL_11 * (1 - 0.091))
    with pytest.raises(ValueError, match="age must lie"):
        typical_clearance(np.array([0]), np.array([12.0]))


def test_random_effects_have_the_published_spread():
    n = 20000
    params = individual_parameters(np.zeros(n, int), np.ones(n, int), np.full(n, 71.0),
                                   np.random.default_rng(0), eta_clip_sd=10.0)
    for name, typical_value in (("cl", CL_11), ("ec50", EC50["G/A"])):
        log_values = np.log(getattr(params, name))
        np.testing.assert_allclose(np.median(log_values), np.log(typical_value), atol=0.02)
        np.testing.assert_allclose(log_values.std(), np.sqrt(np.log1p(IIV_CV[name] ** 2)),
                                   rtol=0.03)
    clipped = individual_parameters(np.zeros(n, int), np.ones(n, int), np.full(n, 71.0),
                                    np.random.default_rng(0), eta_clip_sd=1.0)
    omega = np.sqrt(np.log1p(IIV_CV["cl"] ** 2))
    assert np.abs(np.log(clipped.cl / CL_11)).max() <= omega + 1e-12


def test_genotype_names_and_bad_input():
    np.testing.assert_array_equal(genotype_indices(["A/G", "G/A", "A/A"], VKORC1_GENOTYPES,
                                                   "VKORC1"), [1, 1, 2])
    with pytest.raises(ValueError, match=r"CYP2C9 genotype '\*1/\*5' at position 1"):
        genotype_indices(["*1/*1", "*1/*5"], CYP2C9_GENOTYPES, "CYP2C9")
    with pytest.raises(ValueError, match="non-negative"):
        HambergSimulator(typical("*1/*1", "G/G")).step(-1.0)
