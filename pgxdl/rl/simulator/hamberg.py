"""The Hamberg et al. (2007) S-warfarin PK/PD model as a day-by-day simulator of N patients.

Structure (time in hours, amounts in mg of S-warfarin)::

    depot'   = -ka depot                                  (dose: 0.5 * F * racemic mg, bolus)
    central' =  ka depot - (CL + Q)/V1 central + Q/V2 peripheral,       C = central / V1
    periph'  =  Q/V1 central - Q/V2 peripheral
    u(C)     =  1 - Emax C^gamma / (EC50^gamma + C^gamma)         (inhibited factor synthesis)
    A1'      =  k1 (u - A1),  Ai' = k1 (A(i-1) - Ai), i = 2..6,   k1 = 6 / MTT1
    A7'      =  k2 (u - A7),                                      k2 = 1 / MTT2
    INR      =  BASE + INRmax (1 - A6 A7)^lambda,   all Ai = 1 before the first dose.

The PK part is linear and solved exactly (matrix exponential). The transit chains are
linear in their input ``u``; ``u`` is held at its value at the middle of each sub-step
(``substeps_per_day``, hourly by default) and the chains are propagated exactly over the
sub-step, so a whole day is a handful of batched matrix products per patient. Parameters
and their sources: :mod:`pgxdl.rl.simulator.parameters`.
"""

from __future__ import annotations

import numpy as np
import torch

from pgxdl.rl.simulator.parameters import (
    BASE_INR,
    BIOAVAILABILITY,
    EMAX,
    GAMMA,
    INR_MAX,
    LAMBDA,
    N_TRANSIT_CHAIN1,
    S_FRACTION_OF_DOSE,
    PKPDParameters,
)

HOURS_PER_DAY = 24.0
N_PK_STATES = 3
N_PD_STATES = N_TRANSIT_CHAIN1 + 1


def pk_rate_matrix(p: PKPDParameters) -> np.ndarray:
    """Linear PK system ``x' = K x`` for x = (depot, central, peripheral), shape ``(N, 3, 3)``."""
    k = np.zeros((len(p), N_PK_STATES, N_PK_STATES))
    k[:, 0, 0] = -p.ka
    k[:, 1, 0] = p.ka
    k[:, 1, 1] = -(p.cl + p.q) / p.v1
    k[:, 1, 2] = p.q / p.v2
    k[:, 2, 1] = p.q / p.v1
    k[:, 2, 2] = -p.q / p.v2
    return k


def transit_rate_matrix(p: PKPDParameters) -> tuple[np.ndarray, np.ndarray]:
    """Transit chains ``A' = K A + b u``: ``K`` of shape ``(N, 7, 7)``, ``b`` of ``(N, 7)``."""
    n = len(p)
    k1 = N_TRANSIT_CHAIN1 / p.mtt1
    k2 = 1.0 / p.mtt2
    k = np.zeros((n, N_PD_STATES, N_PD_STATES))
    b = np.zeros((n, N_PD_STATES))
    for i in range(N_TRANSIT_CHAIN1):
        k[:, i, i] = -k1
        if i > 0:
            k[:, i, i - 1] = k1
    k[:, -1, -1] = -k2
    b[:, 0] = k1
    b[:, -1] = k2
    return k, b


def synthesis_fraction(concentration: np.ndarray, ec50: np.ndarray) -> np.ndarray:
    """``u = 1 - Emax C^g / (EC50^g + C^g)``; ``ec50`` broadcasts against ``concentration``."""
    c_gamma = np.power(np.maximum(concentration, 0.0), GAMMA)
    return 1.0 - EMAX * c_gamma / (np.power(ec50, GAMMA) + c_gamma)


def inr_from_chains(a6: np.ndarray, a7: np.ndarray) -> np.ndarray:
    """``INR = BASE + INRmax (1 - A6 A7)^lambda`` (any matching shapes)."""
    return BASE_INR + INR_MAX * np.power(np.clip(1.0 - a6 * a7, 0.0, 1.0), LAMBDA)


def expm(matrices: np.ndarray) -> np.ndarray:
    """Matrix exponential of a batch ``(N, m, m)`` (torch's batched Pade, float64)."""
    return torch.linalg.matrix_exp(torch.from_numpy(np.ascontiguousarray(matrices))).numpy()


def _matrix_powers(step: np.ndarray, count: int) -> np.ndarray:
    """``step^k`` for k = 0..count-1, shape ``(N, count, m, m)`` from ``(N, m, m)``."""
    n, m, _ = step.shape
    out = np.empty((n, count, m, m))
    out[:, 0] = np.eye(m)
    for k in range(1, count):
        out[:, k] = out[:, k - 1] @ step
    return out


class HambergSimulator:
    """Simulate ``N`` patients one day at a time, a dose taken at the start of each day.

    Parameters
    ----------
    params : PKPDParameters
        Individual parameters, each of shape ``(N,)``.
    substeps_per_day : int
        Sub-steps over which the drug effect is held constant (24: hourly).
    """

    def __init__(self, params: PKPDParameters, substeps_per_day: int = 24) -> None:
        if substeps_per_day < 1:
            raise ValueError(f"substeps_per_day must be >= 1, got {substeps_per_day}")
        self.params = params
        self.substeps = substeps_per_day
        h = HOURS_PER_DAY / substeps_per_day
        k_pk = pk_rate_matrix(params)
        pk_step = expm(k_pk * h)
        pk_half = expm(k_pk * (h / 2.0))
        powers = _matrix_powers(pk_step, substeps_per_day + 1)
        # Concentration at the middle of sub-step k: row "central" of half @ step^k, / V1.
        self._conc_rows = (pk_half[:, None] @ powers[:, :-1])[:, :, 1, :] / params.v1[:, None, None]
        self._pk_day = powers[:, -1]
        k_pd, b_pd = transit_rate_matrix(params)
        augmented = np.zeros((len(params), N_PD_STATES + 1, N_PD_STATES + 1))
        augmented[:, :N_PD_STATES, :N_PD_STATES] = k_pd
        augmented[:, :N_PD_STATES, N_PD_STATES] = b_pd
        exact = expm(augmented * h)
        pd_step, pd_input = exact[:, :N_PD_STATES, :N_PD_STATES], exact[:, :N_PD_STATES, -1]
        pd_powers = _matrix_powers(pd_step, substeps_per_day + 1)
        # Input of sub-step k reaches the end of the day through step^(S-1-k).
        self._pd_input = np.einsum("nkij,nj->nik", pd_powers[:, ::-1][:, 1:], pd_input)
        self._pd_day = pd_powers[:, -1]
        self.reset()

    def __len__(self) -> int:
        return len(self.params)

    def reset(self) -> None:
        """Back to day 0: no drug, clotting-factor chains at 1 (baseline INR)."""
        self.pk_state = np.zeros((len(self), N_PK_STATES))
        self.pd_state = np.ones((len(self), N_PD_STATES))
        self.day = 0
        self.last_concentrations = np.zeros((len(self), self.substeps))

    def inr(self) -> np.ndarray:
        """Model (error-free) INR of every patient now, shape ``(N,)``."""
        return inr_from_chains(self.pd_state[:, N_TRANSIT_CHAIN1 - 1], self.pd_state[:, -1])

    def step(self, dose_mg: np.ndarray | float) -> np.ndarray:
        """Give each patient a racemic ``dose_mg`` (shape ``(N,)`` or scalar), advance one day.

        Returns the INR at the end of the day, shape ``(N,)``; the sub-step mid-point
        S-warfarin concentrations (mg/L) of the day are kept in ``last_concentrations``.
        """
        dose = np.broadcast_to(np.asarray(dose_mg, dtype=float), (len(self),))
        if np.any(dose < 0) or not np.all(np.isfinite(dose)):
            raise ValueError("doses must be finite and non-negative (mg)")
        state = self.pk_state.copy()
        state[:, 0] += BIOAVAILABILITY * S_FRACTION_OF_DOSE * dose
        conc = np.einsum("nsk,nk->ns", self._conc_rows, state)
        u = synthesis_fraction(conc, self.params.ec50[:, None])
        self.pd_state = (np.einsum("nij,nj->ni", self._pd_day, self.pd_state)
                         + np.einsum("nis,ns->ni", self._pd_input, u))
        self.pk_state = np.einsum("nij,nj->ni", self._pk_day, state)
        self.last_concentrations = conc
        self.day += 1
        return self.inr()

    def run(self, doses_mg: np.ndarray) -> np.ndarray:
        """Apply a dose schedule of shape ``(N, D)`` (or ``(D,)`` for all); INR ``(N, D)``."""
        doses = np.asarray(doses_mg, dtype=float)
        if doses.ndim == 1:
            doses = np.broadcast_to(doses, (len(self), len(doses)))
        return np.stack([self.step(doses[:, d]) for d in range(doses.shape[1])], axis=1)

    def steady_state_inr(self, dose_mg: np.ndarray | float) -> np.ndarray:
        """End-of-day INR once the same daily dose has been taken for ever, shape ``(N,)``.

        Solved exactly: with daily PK map ``P`` the pre-dose state is periodic at
        ``x = (I - P)^-1 P d``, so the day's concentrations are ``d`` times
        ``conc_rows (I - P)^-1 e_depot``; with daily chain map ``Q`` and input ``B u`` the
        periodic chains are ``(I - Q)^-1 B u``. Does not touch the simulation state.
        """
        dose = np.broadcast_to(np.asarray(dose_mg, dtype=float), (len(self),))
        conc = dose[:, None] * self._unit_steady_concentrations()
        u = synthesis_fraction(conc, self.params.ec50[:, None])
        chains = np.einsum("nis,ns->ni", self._steady_chain_map(), u)
        return inr_from_chains(chains[:, N_TRANSIT_CHAIN1 - 1], chains[:, -1])

    def _unit_steady_concentrations(self) -> np.ndarray:
        """Sub-step concentrations ``(N, S)`` at steady state per racemic mg/day."""
        if not hasattr(self, "_steady_conc"):
            eye = np.broadcast_to(np.eye(N_PK_STATES), self._pk_day.shape)
            depot = np.zeros((len(self), N_PK_STATES))
            depot[:, 0] = BIOAVAILABILITY * S_FRACTION_OF_DOSE
            state = np.linalg.solve(eye - self._pk_day, depot[..., None])[..., 0]
            self._steady_conc = np.einsum("nsk,nk->ns", self._conc_rows, state)
        return self._steady_conc

    def _steady_chain_map(self) -> np.ndarray:
        """``(I - Q)^-1 B``, shape ``(N, 7, S)``: periodic chains from a day's inputs."""
        if not hasattr(self, "_steady_chains"):
            eye = np.broadcast_to(np.eye(N_PD_STATES), self._pd_day.shape)
            self._steady_chains = np.linalg.solve(eye - self._pd_day, self._pd_input)
        return self._steady_chains


def stable_daily_dose(simulator: HambergSimulator, target_inr: float = 2.5,
                      bounds_mg: tuple[float, float] = (0.05, 100.0),
                      iterations: int = 40) -> np.ndarray:
    """Constant daily dose (racemic mg) whose steady-state INR is ``target_inr``, ``(N,)``.

    Bisection on the log dose for all ``N`` patients at once (the steady-state INR rises
    with the dose). Patients who reach the target below or above ``bounds_mg`` get the
    bound; ``iterations=40`` brackets the dose to a relative width below 1e-10.
    """
    low = np.full(len(simulator), np.log(bounds_mg[0]))
    high = np.full(len(simulator), np.log(bounds_mg[1]))
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        above = simulator.steady_state_inr(np.exp(middle)) > target_inr
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return np.exp(0.5 * (low + high))
