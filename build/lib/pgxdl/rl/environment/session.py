"""A dosing session: N virtual patients treated in lock-step, day by day, as a clinic would.

Every morning that is a measurement day the clinic measures each patient's INR: the model
INR times ``exp(N(0, sd^2))`` (Hamberg's residual error). Doses are taken each day; the
reward of a day comes from the error-free INR at its end (:func:`daily_reward`). The
single-patient gymnasium environment, the batched vectorised environment and the
evaluation rollouts are all thin layers over this class.
"""

from __future__ import annotations

import numpy as np

from pgxdl.rl.environment.config import EnvConfig, RewardConfig
from pgxdl.rl.environment.observation import ObservationBuilder
from pgxdl.rl.simulator.hamberg import HambergSimulator
from pgxdl.rl.simulator.population import VirtualPatients


def daily_reward(inr: np.ndarray, cfg: RewardConfig) -> np.ndarray:
    """Reward of each day from its end-of-day INR; any shape in, same shape out."""
    inr = np.asarray(inr, dtype=float)
    centre = 0.5 * (cfg.low_target + cfg.high_target)
    return (cfg.in_range * ((inr >= cfg.low_target) & (inr <= cfg.high_target))
            - cfg.penalty_high * (inr > cfg.high_alarm)
            - cfg.penalty_low * (inr < cfg.low_alarm)
            - cfg.shaping * np.minimum((inr - centre) ** 2, 4.0))


class DosingSession:
    """Treat ``patients`` (``N``) for ``config.episode_days`` days.

    Parameters
    ----------
    config : EnvConfig
        Episode length, measurement days, decision rule, noise.
    patients : VirtualPatients
        The ``N`` patients.
    rng : numpy Generator
        Draws the measurement errors.
    observations : ObservationBuilder, optional
        Shared builder (made from ``config`` when not given).
    """

    def __init__(self, config: EnvConfig, patients: VirtualPatients, rng: np.random.Generator,
                 observations: ObservationBuilder | None = None) -> None:
        self.config = config
        self.patients = patients
        self.rng = rng
        self.observations = observations or ObservationBuilder(config)
        self.simulator = HambergSimulator(patients.params, config.substeps_per_day)
        self.patient_block = self.observations.patient_blocks(patients.covariates)
        self.doses = np.zeros((len(patients), config.episode_days))
        self.measurement_days: list[int] = []
        self.measurement_values: list[np.ndarray] = []
        self._due = frozenset(config.measurement_days)
        self.day = 0
        self.measured = self._measure_if_due()

    def __len__(self) -> int:
        return len(self.patients)

    @property
    def done(self) -> bool:
        """Whether the episode is over."""
        return self.day >= self.config.episode_days

    def decision_length(self) -> int:
        """Days the decision taken today lasts (the rest of the episode at most)."""
        left = self.config.episode_days - self.day
        if self.config.decide_on == "step_days":
            return min(self.config.step_days, left)
        later = [d for d in self.config.measurement_days if self.day < d < self.config.episode_days]
        return (min(later) if later else self.config.episode_days) - self.day

    def advance(self, doses_mg: np.ndarray) -> np.ndarray:
        """Give each patient its daily dose for one decision; end-of-day INRs ``(N, days)``."""
        if self.done:
            raise RuntimeError("the episode is over")
        doses = np.broadcast_to(np.asarray(doses_mg, dtype=float).reshape(-1), (len(self),))
        days = self.decision_length()
        inr = np.empty((len(self), days))
        for k in range(days):
            inr[:, k] = self.simulator.step(doses)
            self.doses[:, self.day] = doses
            self.day += 1
            self.measured = self._measure_if_due()
        return inr

    def rewards(self, inr: np.ndarray) -> np.ndarray:
        """Summed daily rewards of a decision's INRs ``(N, days)``, shape ``(N,)``."""
        return daily_reward(inr, self.config.reward).sum(axis=1)

    def observe(self) -> np.ndarray:
        """Observations of all patients this morning, shape ``(N, obs_dim)``."""
        return self.observations.build(self.day, self.measurement_days, self.measurement_values,
                                       self.doses[:, :self.day], self.patient_block)

    def measurements_of(self, i: int) -> list[tuple[int, float]]:
        """Patient ``i``'s ``(day, measured INR)`` pairs so far."""
        return [(d, float(v[i])) for d, v in zip(self.measurement_days, self.measurement_values,
                                                 strict=True)]

    def _measure_if_due(self) -> np.ndarray | None:
        if self.day not in self._due or self.done:
            return None
        noise = np.exp(self.rng.normal(0.0, self.config.inr_noise_sd, len(self)))
        values = self.simulator.inr() * noise
        self.measurement_days.append(self.day)
        self.measurement_values.append(values)
        return values
