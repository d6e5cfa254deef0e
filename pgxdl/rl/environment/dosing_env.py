"""Gymnasium environment: dose one virtual warfarin patient for a 90-day episode.

Each step is one dosing decision (:class:`EnvConfig` ``decide_on``): a daily dose given
for ``step_days`` days or until the next INR measurement. Measurements, rewards and
observations come from :class:`pgxdl.rl.environment.session.DosingSession` with one patient.

``reset(options={"patient": VirtualPatients})`` doses the given one-patient cohort;
otherwise a patient is drawn from the configured population with the environment's seeded
generator. ``info`` carries what a clinic knows, for rule-based protocols: ``day`` (the
next decision's day), ``measured_inr`` (that morning's INR or ``None``), ``patient``
(covariates and genotype), and after a step ``true_inr`` (end-of-day model INRs of the
step) and ``dose_mg``.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pgxdl.paths import shared_data_dir
from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.observation import OBS_LIMIT, ObservationBuilder
from pgxdl.rl.environment.session import DosingSession
from pgxdl.rl.simulator.iwpc_population import resolve_population
from pgxdl.rl.simulator.population import PopulationModel, VirtualPatients, sample_virtual_patients
from pgxdl.rl.simulator.variants import resolve_simulator


def default_iwpc_path() -> str:
    """The IWPC table in the shared-data folder (it may be absent)."""
    return str(shared_data_dir() / "iwpc" / "iwpc.csv")


def config_population(config: EnvConfig) -> PopulationModel:
    """The population an environment config names (IWPC estimate or built-in default)."""
    return resolve_population(config.population, config.iwpc_path or default_iwpc_path())


def draw_patients(config: EnvConfig, population: PopulationModel, n: int,
                  rng: np.random.Generator) -> VirtualPatients:
    """``n`` virtual patients of the config's simulator, with its variability settings."""
    return sample_virtual_patients(population, n, rng, eta_clip_sd=config.eta_clip_sd,
                                   iiv_scale=config.iiv_scale,
                                   model=resolve_simulator(config.simulator))


class WarfarinDosingEnv(gym.Env):
    """Dose one patient of the configured simulator (``config.simulator``) for ``episode_days``
    days.

    Parameters
    ----------
    config : EnvConfig or dict, optional
        Settings; a dict is read by :meth:`EnvConfig.from_dict`.
    """

    metadata = {"render_modes": []}

    def __init__(self, config: EnvConfig | dict | None = None) -> None:
        super().__init__()
        self.config = config if isinstance(config, EnvConfig) else EnvConfig.from_dict(config)
        self.population = config_population(self.config)
        self.actions = ActionMap(self.config)
        self.action_space = self.actions.space
        self.dose_levels = self.actions.levels
        self.observations = ObservationBuilder(self.config)
        self.observation_space = gym.spaces.Box(-OBS_LIMIT, OBS_LIMIT,
                                                shape=(self.observations.size,),
                                                dtype=np.float32)
        self.session: DosingSession | None = None

    def dose_for_action(self, action) -> float:
        """Daily dose (mg) an action stands for."""
        return float(self.actions.to_dose(action)[0])

    def action_for_dose(self, dose_mg: float):
        """The action closest to a dose in mg."""
        action = self.actions.to_action(dose_mg)
        return int(action[0]) if self.actions.discrete else action[0]

    @property
    def measurements(self) -> list[tuple[int, float]]:
        """``(day, measured INR)`` pairs of the current patient so far."""
        return self.session.measurements_of(0) if self.session else []

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start a patient: ``options["patient"]`` (one-patient cohort) or a fresh draw."""
        super().reset(seed=seed)
        patient = (options or {}).get("patient")
        if patient is None:
            patient = draw_patients(self.config, self.population, 1, self.np_random)
        elif len(patient) != 1:
            raise ValueError(f"options['patient'] must hold one patient, got {len(patient)}")
        self.session = DosingSession(self.config, patient, self.np_random, self.observations)
        self._record = patient.covariates.record(0)
        return self.session.observe()[0], self._info()

    def step(self, action):
        """Give the chosen daily dose for one decision's days."""
        if self.session is None or self.session.done:
            raise RuntimeError("call reset() before step() (and after an episode ends)")
        dose = self.dose_for_action(action)
        inr = self.session.advance(np.array([dose]))
        reward = float(self.session.rewards(inr)[0])
        info = self._info(true_inr=inr[0].tolist(), dose_mg=dose)
        return self.session.observe()[0], reward, self.session.done, False, info

    def _info(self, **extra) -> dict:
        measured = self.session.measured
        return {"day": self.session.day, "patient": dict(self._record),
                "measured_inr": None if measured is None else float(measured[0]), **extra}
