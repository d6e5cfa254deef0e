"""What the dosing agent observes: a clinic's view of each patient, as a fixed-length vector.

Layout (each block named in :attr:`ObservationBuilder.layout`, values scaled to about
[-5, 5])::

    inr            last K = n_measurements_obs measured INRs (newest first) / 5; before K
                   measurements exist the oldest is repeated (an INR of 1 if none)
    days_since     days since each of them / 30
    dose_before    mean daily dose over the 7 days before each of them / max dose
    measured_today 1 if an INR was measured this morning
    dose           last n_dose_history daily doses (newest first) / max dose
    day            day of the episode / episode length
    covariates     (age - 65)/15, (weight - 80)/20, (height - 170)/10     [optional]
    cyp2c9         one-hot CYP2C9 genotype (6)                             [optional]
    vkorc1         one-hot VKORC1 -1639 genotype (3)                       [optional]
"""

from __future__ import annotations

import numpy as np

from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.simulator.parameters import CYP2C9_GENOTYPES, VKORC1_GENOTYPES
from pgxdl.rl.simulator.population import VirtualCohort

OBS_LIMIT = 5.0
INR_SCALE, DAYS_SCALE, DOSE_WINDOW_DAYS = 5.0, 30.0, 7


class ObservationBuilder:
    """Turn patients' measurement and dose histories into observation vectors.

    Parameters
    ----------
    config : EnvConfig
        Which blocks are included and how long the histories are.
    """

    def __init__(self, config: EnvConfig) -> None:
        self.config = config
        k = config.n_measurements_obs
        blocks = [("inr", k), ("days_since", k), ("dose_before", k), ("measured_today", 1),
                  ("dose", config.n_dose_history), ("day", 1)]
        if config.include_covariates:
            blocks.append(("covariates", 3))
        if config.include_genotype:
            blocks += [("cyp2c9", len(CYP2C9_GENOTYPES)), ("vkorc1", len(VKORC1_GENOTYPES))]
        self.layout: dict[str, slice] = {}
        start = 0
        for name, size in blocks:
            self.layout[name] = slice(start, start + size)
            start += size
        self.size = start
        self.patient_start = self.layout["day"].stop

    def patient_blocks(self, covariates: VirtualCohort) -> np.ndarray:
        """The constant part (covariates, genotype) of ``N`` patients, shape ``(N, k)``."""
        parts = [np.zeros((len(covariates), 0))]
        if self.config.include_covariates:
            parts.append(np.stack([(covariates.age - 65.0) / 15.0,
                                   (covariates.weight_kg - 80.0) / 20.0,
                                   (covariates.height_cm - 170.0) / 10.0], axis=1))
        if self.config.include_genotype:
            parts.append(np.eye(len(CYP2C9_GENOTYPES))[covariates.cyp2c9])
            parts.append(np.eye(len(VKORC1_GENOTYPES))[covariates.vkorc1])
        return np.concatenate(parts, axis=1)

    def build(self, day: int, measurement_days: list[int], measurement_values: list[np.ndarray],
              doses: np.ndarray, patient_block: np.ndarray) -> np.ndarray:
        """Observations on the morning of ``day``, shape ``(N, size)``, float32.

        ``measurement_days`` (time order) are shared by all patients, ``measurement_values``
        holds one ``(N,)`` array per day; ``doses`` ``(N, day)`` are the doses given so far.
        """
        cfg = self.config
        n = len(patient_block)
        k = cfg.n_measurements_obs
        recent = list(range(len(measurement_days)))[-k:][::-1]
        recent = recent + recent[-1:] * (k - len(recent))
        obs = np.empty((n, self.size))
        if recent:
            obs[:, self.layout["inr"]] = np.stack([measurement_values[j] for j in recent], 1)
            days = np.array([measurement_days[j] for j in recent])
        else:
            obs[:, self.layout["inr"]] = 1.0
            days = np.zeros(k, dtype=int)
        obs[:, self.layout["inr"]] /= INR_SCALE
        obs[:, self.layout["days_since"]] = (day - days) / DAYS_SCALE
        obs[:, self.layout["dose_before"]] = np.stack(
            [doses[:, max(0, d - DOSE_WINDOW_DAYS):d].sum(axis=1) / DOSE_WINDOW_DAYS
             for d in days], axis=1) / cfg.max_dose_mg
        obs[:, self.layout["measured_today"]] = float(bool(measurement_days)
                                                      and measurement_days[-1] == day)
        history = np.zeros((n, cfg.n_dose_history))
        last = doses[:, ::-1][:, :cfg.n_dose_history]
        history[:, :last.shape[1]] = last
        obs[:, self.layout["dose"]] = history / cfg.max_dose_mg
        obs[:, self.layout["day"]] = day / cfg.episode_days
        obs[:, self.patient_start:] = patient_block
        return np.clip(obs, -OBS_LIMIT, OBS_LIMIT).astype(np.float32)
