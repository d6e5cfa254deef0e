"""The Hamberg warfarin PK/PD models as a day-by-day simulator of N patients.

Structure of the Hamberg et al. (2007) model (time in hours, amounts in mg of S-warfarin)::

    depot'   = -ka depot                                  (dose: 0.5 * F * racemic mg, bolus)
    central' =  ka depot - (CL + Q)/V1 central + Q/V2 peripheral,       C = central / V1
    periph'  =  Q/V1 central - Q/V2 peripheral
    u(C)     =  1 - Emax C^gamma / (EC50^gamma + C^gamma)         (inhibited factor synthesis)
    A1'      =  k1 (u - A1),  Ai' = k1 (A(i-1) - Ai), i = 2..6,   k1 = 6 / MTT1
    A7'      =  k2 (u - A7),                                      k2 = 1 / MTT2
    INR      =  BASE + INRmax (1 - A6 A7)^lambda,   all Ai = 1 before the first dose.

The simulator asks the parameter object for its structure (``pk_rate_matrix``,
``transit_rate_matrix``, ``synthesis_fraction``, ``inr``, ``central_volume``): the 2007 model
is :class:`~pgxdl.rl.simulator.parameters.PKPDParameters`, the Hamberg et al. (2010) one
:class:`~pgxdl.rl.simulator.hamberg2010.Hamberg2010Parameters` (one PK compartment, two
chains of three, INR linear in their mean). Any structure with a linear PK system (depot
first, then the central compartment), linear transit chains driven by one input ``u`` and
chains at 1 before the first dose fits. The PK part is solved exactly (matrix
exponential). The transit chains are linear in their input ``u``; ``u`` is held at its
value at the middle of each sub-step (``substeps_per_day``, hourly by default) and the
chains are propagated exactly over the sub-step, so a whole day is a handful of batched
matrix products per patient. Parameters and their sources:
:mod:`pgxdl.rl.simulator.parameters`, :mod:`pgxdl.rl.simulator.hamberg2010`.
"""

from __future__ import annotations

import numpy as np
import torch

from pgxdl.rl.simulator.parameters import BIOAVAILABILITY, S_FRACTION_OF_DOSE, PKPDParameters

HOURS_PER_DAY = 24.0
DEPOT, CENTRAL = 0, 1


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
    params : PKPDParameters or Hamberg2010Parameters
        Individual parameters, each of shape ``(N,)``, and the model structure.
    substeps_per_day : int
        Sub-steps over which the drug effect is held constant (24: hourly).
    """

    def __init__(self, params: PKPDParameters, substeps_per_day: int = 24) -> None:
        if substeps_per_day < 1:
            raise ValueError(f"substeps_per_day must be >= 1, got {substeps_per_day}")
        self.params = params
        self.substeps = substeps_per_day
        h = HOURS_PER_DAY / substeps_per_day
        k_pk = params.pk_rate_matrix()
        pk_step = expm(k_pk * h)
        pk_half = expm(k_pk * (h / 2.0))
        powers = _matrix_powers(pk_step, substeps_per_day + 1)
        # Concentration at the middle of sub-step k: row "central" of half @ step^k, / V1.
        self._conc_rows = ((pk_half[:, None] @ powers[:, :-1])[:, :, CENTRAL, :]
                           / params.central_volume[:, None, None])
        self._pk_day = powers[:, -1]
        k_pd, b_pd = params.transit_rate_matrix()
        n_pd = k_pd.shape[-1]
        augmented = np.zeros((len(params), n_pd + 1, n_pd + 1))
        augmented[:, :n_pd, :n_pd] = k_pd
        augmented[:, :n_pd, n_pd] = b_pd
        exact = expm(augmented * h)
        pd_step, pd_input = exact[:, :n_pd, :n_pd], exact[:, :n_pd, -1]
        pd_powers = _matrix_powers(pd_step, substeps_per_day + 1)
        # Input of sub-step k reaches the end of the day through step^(S-1-k).
        self._pd_input = np.einsum("nkij,nj->nik", pd_powers[:, ::-1][:, 1:], pd_input)
        self._pd_day = pd_powers[:, -1]
        self.reset()

    def __len__(self) -> int:
        return len(self.params)

    def reset(self) -> None:
        """Back to day 0: no drug, clotting-factor chains at 1 (baseline INR)."""
        self.pk_state = np.zeros((len(self), self._pk_day.shape[-1]))
        self.pd_state = np.ones((len(self), self._pd_day.shape[-1]))
        self.day = 0
        self.last_concentrations = np.zeros((len(self), self.substeps))

    def inr(self) -> np.ndarray:
        """Model (error-free) INR of every patient now, shape ``(N,)``."""
        return self.params.inr(self.pd_state)

    def step(self, dose_mg: np.ndarray | float) -> np.ndarray:
        """Give each patient a racemic ``dose_mg`` (shape ``(N,)`` or scalar), advance one day.

        Returns the INR at the end of the day, shape ``(N,)``; the sub-step mid-point
        S-warfarin concentrations (mg/L) of the day are kept in ``last_concentrations``.
        """
        dose = np.broadcast_to(np.asarray(dose_mg, dtype=float), (len(self),))
        if np.any(dose < 0) or not np.all(np.isfinite(dose)):
            raise ValueError("doses must be finite and non-negative (mg)")
        state = self.pk_state.copy()
        state[:, DEPOT] += BIOAVAILABILITY * S_FRACTION_OF_DOSE * dose
        conc = np.einsum("nsk,nk->ns", self._conc_rows, state)
        u = self.params.synthesis_fraction(conc)
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
        u = self.params.synthesis_fraction(conc)
        return self.params.inr(np.einsum("nis,ns->ni", self._steady_chain_map(), u))

    def _unit_steady_concentrations(self) -> np.ndarray:
        """Sub-step concentrations ``(N, S)`` at steady state per racemic mg/day."""
        if not hasattr(self, "_steady_conc"):
            eye = np.broadcast_to(np.eye(self._pk_day.shape[-1]), self._pk_day.shape)
            depot = np.zeros(self._pk_day.shape[:2])
            depot[:, DEPOT] = BIOAVAILABILITY * S_FRACTION_OF_DOSE
            state = np.linalg.solve(eye - self._pk_day, depot[..., None])[..., 0]
            self._steady_conc = np.einsum("nsk,nk->ns", self._conc_rows, state)
        return self._steady_conc

    def _steady_chain_map(self) -> np.ndarray:
        """``(I - Q)^-1 B``, shape ``(N, chains, S)``: periodic chains from a day's inputs."""
        if not hasattr(self, "_steady_chains"):
            eye = np.broadcast_to(np.eye(self._pd_day.shape[-1]), self._pd_day.shape)
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
