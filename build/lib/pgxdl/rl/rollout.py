"""Run a dosing policy (protocol or trained agent) over a cohort of virtual patients.

All patients are dosed in lock-step by one :class:`DosingSession`. A *decider* gets
``begin(records)`` with the patients' covariates, then ``doses(obs, day, measured)`` for
each decision and returns daily doses in mg, shape ``(N,)``, which are rounded to the
environment's dose levels. Every policy given the same ``seed`` sees the same patients and
the same INR measurement errors.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from pgxdl.rl.anticoagulation import (
    days_to_therapeutic,
    fraction_above,
    fraction_below,
    pttr_daily,
    pttr_rosendaal,
)
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.session import DosingSession
from pgxdl.rl.policies.clinical_protocols import DosingProtocol
from pgxdl.rl.simulator.population import VirtualPatients


class ProtocolDecider:
    """Dose with a clinical protocol, one copy of it per patient."""

    def __init__(self, protocol: DosingProtocol) -> None:
        self.protocol = protocol
        self._copies: list[DosingProtocol] = []

    def begin(self, records: list[dict]) -> None:
        """A fresh protocol copy for each patient."""
        self._copies = [copy.deepcopy(self.protocol) for _ in records]
        for protocol, record in zip(self._copies, records, strict=True):
            protocol.reset(record)

    def doses(self, obs: np.ndarray, day: int, measured: np.ndarray | None) -> np.ndarray:
        """Each patient's protocol dose for ``day``."""
        return np.array([p.dose_mg(day, None if measured is None else float(measured[i]))
                         for i, p in enumerate(self._copies)])


class ModelDecider:
    """Dose with anything that has ``predict(obs, deterministic=True)`` (SB3 or Q-learning)."""

    def __init__(self, model, actions: ActionMap) -> None:
        self.model = model
        self.actions = actions

    def begin(self, records: list[dict]) -> None:
        """Agents need nothing beyond the observation."""

    def doses(self, obs: np.ndarray, day: int, measured: np.ndarray | None) -> np.ndarray:
        """The model's deterministic doses for a batch of observations ``(N, obs_dim)``."""
        action, _ = self.model.predict(obs, deterministic=True)
        return self.actions.to_dose(action)


@dataclass
class EpisodeBatch:
    """Trajectories of ``N`` patients over ``D`` days.

    ``true_inr`` ``(N, D)``: end-of-day model INR; ``doses`` ``(N, D)`` mg;
    ``measurements``: per patient a list of ``(day, measured INR)``; ``cyp2c9``/``vkorc1``
    ``(N,)`` genotype indices; ``returns`` ``(N,)`` episode rewards.
    """

    true_inr: np.ndarray
    doses: np.ndarray
    measurements: list[list[tuple[int, float]]]
    cyp2c9: np.ndarray
    vkorc1: np.ndarray
    returns: np.ndarray

    def per_patient_metrics(self) -> dict[str, np.ndarray]:
        """Each metric per patient, shape ``(N,)``."""
        rosendaal = np.array([pttr_rosendaal([d for d, _ in m], [v for _, v in m])
                              for m in self.measurements])
        return {"pttr": pttr_daily(self.true_inr), "pttr_rosendaal": rosendaal,
                "frac_inr_above_4": fraction_above(self.true_inr, 4.0),
                "frac_inr_below_1_5": fraction_below(self.true_inr, 1.5),
                "days_to_therapeutic": days_to_therapeutic(self.true_inr),
                "mean_dose_mg": self.doses.mean(axis=1), "return": self.returns}


def rollout(config: EnvConfig, decider, patients: VirtualPatients,
            seed: int = 0) -> EpisodeBatch:
    """Dose every patient of ``patients`` for a whole episode with ``decider``."""
    actions = ActionMap(config)
    session = DosingSession(config, patients, np.random.default_rng(seed))
    decider.begin([patients.covariates.record(i) for i in range(len(patients))])
    inr = np.empty((len(patients), config.episode_days))
    returns = np.zeros(len(patients))
    while not session.done:
        day = session.day
        doses = decider.doses(session.observe(), day, session.measured)
        step_inr = session.advance(actions.to_dose(actions.to_action(doses)))
        inr[:, day:session.day] = step_inr
        returns += session.rewards(step_inr)
    return EpisodeBatch(inr, session.doses.copy(),
                        [session.measurements_of(i) for i in range(len(patients))],
                        patients.covariates.cyp2c9.copy(), patients.covariates.vkorc1.copy(),
                        returns)
