"""Actions of the dosing environment and the daily doses (mg) they stand for."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pgxdl.rl.environment.config import EnvConfig


class ActionMap:
    """Discrete dose levels ``0, step, ..., max`` mg, or a Box [-1, 1] mapped onto 0..max mg.

    Parameters
    ----------
    config : EnvConfig
        ``action``, ``max_dose_mg`` and ``dose_step_mg`` are read.
    """

    def __init__(self, config: EnvConfig) -> None:
        self.discrete = config.action == "discrete"
        self.max_dose = config.max_dose_mg
        self.levels = np.arange(0.0, config.max_dose_mg + 1e-9, config.dose_step_mg)
        if self.discrete:
            self.space = gym.spaces.Discrete(len(self.levels))
        else:
            self.space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)

    def to_dose(self, actions) -> np.ndarray:
        """Doses (mg) of ``N`` actions: ints ``(N,)`` or Box values ``(N, 1)``; shape ``(N,)``."""
        if self.discrete:
            index = np.asarray(actions, dtype=np.int64).reshape(-1)
            if np.any((index < 0) | (index >= len(self.levels))):
                raise ValueError(f"dose action out of range 0..{len(self.levels) - 1}: {index}")
            return self.levels[index]
        unit = np.clip(np.asarray(actions, dtype=float).reshape(-1), -1.0, 1.0)
        return 0.5 * (unit + 1.0) * self.max_dose

    def to_action(self, doses_mg) -> np.ndarray:
        """Closest actions to doses in mg, shape ``(N,)`` (discrete) or ``(N, 1)`` (Box)."""
        doses = np.clip(np.asarray(doses_mg, dtype=float).reshape(-1), 0.0, self.max_dose)
        if self.discrete:
            return np.argmin(np.abs(self.levels[None, :] - doses[:, None]), axis=1)
        return (2.0 * doses / self.max_dose - 1.0).astype(np.float32)[:, None]
