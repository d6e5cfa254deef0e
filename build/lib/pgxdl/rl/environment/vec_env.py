"""A stable-baselines3 vectorised environment that doses ``n_envs`` patients in one batch.

Episodes have a fixed length and every patient shares the measurement schedule, so all
``n_envs`` patients start, decide and finish together: one :class:`DosingSession` of
``n_envs`` patients replaces ``n_envs`` separate environments and their Python loops.
It behaves as ``n_envs`` copies of :class:`WarfarinDosingEnv` would under SB3's
``DummyVecEnv`` (auto-reset, ``terminal_observation`` and ``episode`` in the infos).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from pgxdl.rl.environment.actions import ActionMap
from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.environment.observation import OBS_LIMIT, ObservationBuilder
from pgxdl.rl.environment.session import DosingSession


class BatchedDosingVecEnv(VecEnv):
    """``n_envs`` warfarin patients dosed in lock-step.

    Parameters
    ----------
    config : EnvConfig
        Environment settings (as for :class:`WarfarinDosingEnv`).
    n_envs : int
        Patients per batch.
    seed : int
        Seeds the generator of patients and measurement errors.
    """

    def __init__(self, config: EnvConfig, n_envs: int, seed: int = 0) -> None:
        self.config = config
        self.population = config_population(config)
        self.actions = ActionMap(config)
        self.observations = ObservationBuilder(config)
        space = gym.spaces.Box(-OBS_LIMIT, OBS_LIMIT, shape=(self.observations.size,),
                               dtype=np.float32)
        self.render_mode = None  # read back by VecEnv.__init__ through get_attr
        super().__init__(n_envs, space, self.actions.space)
        self.rng = np.random.default_rng(seed)
        self.session: DosingSession | None = None
        self._actions = None
        self._returns = np.zeros(n_envs)
        self._lengths = np.zeros(n_envs, dtype=int)

    def reset(self) -> np.ndarray:
        """New patients for every slot; observations ``(n_envs, obs_dim)``."""
        if self._seeds[0] is not None:
            self.rng = np.random.default_rng(self._seeds[0])
        self._reset_seeds()
        self._reset_options()
        return self._start()

    def _start(self) -> np.ndarray:
        patients = draw_patients(self.config, self.population, self.num_envs, self.rng)
        self.session = DosingSession(self.config, patients, self.rng, self.observations)
        self._returns[:] = 0.0
        self._lengths[:] = 0
        return self.session.observe()

    def step_async(self, actions: np.ndarray) -> None:
        """Store the actions of all slots."""
        self._actions = actions

    def step_wait(self):
        """Advance every patient one decision; auto-reset at the end of the episode."""
        doses = self.actions.to_dose(self._actions)
        inr = self.session.advance(doses)
        rewards = self.session.rewards(inr)
        self._returns += rewards
        self._lengths += 1
        obs = self.session.observe()
        infos = [{"true_inr": inr[i].tolist(), "dose_mg": float(doses[i])}
                 for i in range(self.num_envs)]
        done = self.session.done
        if done:
            for i, info in enumerate(infos):
                info["terminal_observation"] = obs[i]
                info["episode"] = {"r": float(self._returns[i]), "l": int(self._lengths[i])}
                info["TimeLimit.truncated"] = False
            obs = self._start()
        return obs, rewards.astype(np.float32), np.full(self.num_envs, done), infos

    def close(self) -> None:
        """Nothing to release."""

    def get_attr(self, attr_name: str, indices=None) -> list:
        """The attribute of this batch, once per requested slot."""
        return [getattr(self, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value, indices=None) -> None:
        """Set the attribute on this batch (all slots share it)."""
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list:
        """Call a method of this batch once per requested slot."""
        method = getattr(self, method_name)
        return [method(*method_args, **method_kwargs) for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        """No slot is wrapped."""
        return [False] * len(self._get_indices(indices))
