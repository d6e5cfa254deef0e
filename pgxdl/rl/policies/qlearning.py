"""Tabular Q-learning on a discretised clinic state (Watkins & Dayan 1992).

State (read from the observation by name, see :mod:`pgxdl.rl.environment.observation`):
last measured INR in bins ``<1.5, 1.5-2, 2-2.5, 2.5-3, 3-3.5, 3.5-4, >4``; the previous
daily dose (its nearest dose level); the phase of treatment (day 0, days 1-6, day 7 on);
and, when the genotype is observed, a sensitivity class from the number of VKORC1 A and CYP2C9 *2/*3
alleles (0, 1-2, 3 or more). Actions are the environment's discrete dose levels. Learning
is one-step Q-learning with a constant step size and epsilon-greedy exploration decaying
linearly to ``final_epsilon`` over ``exploration_fraction`` of the first ``learn`` call.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from pgxdl.io import atomic_path
from pgxdl.rl.environment.observation import INR_SCALE

INR_BIN_EDGES = np.array([1.5, 2.0, 2.5, 3.0, 3.5, 4.0])
PHASE_EDGES = np.array([1, 7])
SENSITIVITY_EDGES = np.array([1, 3])
#: Variant-allele count of each CYP2C9 genotype (*1/*1 .. *3/*3) and VKORC1 (G/G, G/A, A/A).
CYP2C9_VARIANT_ALLELES = np.array([0, 1, 1, 2, 2, 2])
VKORC1_A_ALLELES = np.array([0, 1, 2])


class StateDiscretiser:
    """Map observations to state indices, given the layout and dose levels of the env."""

    def __init__(self, layout: dict[str, slice], dose_levels: np.ndarray, max_dose_mg: float,
                 episode_days: int) -> None:
        self.layout = layout
        self.dose_levels = np.asarray(dose_levels, dtype=float)
        self.max_dose_mg = max_dose_mg
        self.episode_days = episode_days
        self.with_genotype = "cyp2c9" in layout
        self.shape = (len(INR_BIN_EDGES) + 1, len(self.dose_levels), len(PHASE_EDGES) + 1,
                      len(SENSITIVITY_EDGES) + 1 if self.with_genotype else 1)
        self.n_states = int(np.prod(self.shape))

    @classmethod
    def from_env(cls, env) -> StateDiscretiser:
        """Read layout, dose levels and episode length from a :class:`WarfarinDosingEnv`."""
        base = env.unwrapped
        return cls(base.observations.layout, base.dose_levels, base.config.max_dose_mg,
                   base.config.episode_days)

    def __call__(self, obs: np.ndarray) -> int:
        """State index of one observation, shape ``(obs_dim,)``."""
        inr = obs[self.layout["inr"].start] * INR_SCALE
        last_dose = obs[self.layout["dose"].start] * self.max_dose_mg
        day = round(float(obs[self.layout["day"].start]) * self.episode_days)
        sensitivity = 0
        if self.with_genotype:
            alleles = (CYP2C9_VARIANT_ALLELES[int(np.argmax(obs[self.layout["cyp2c9"]]))]
                       + VKORC1_A_ALLELES[int(np.argmax(obs[self.layout["vkorc1"]]))])
            sensitivity = int(np.searchsorted(SENSITIVITY_EDGES, alleles, side="right"))
        index = (int(np.searchsorted(INR_BIN_EDGES, inr, side="right")),
                 int(np.argmin(np.abs(self.dose_levels - last_dose))),
                 int(np.searchsorted(PHASE_EDGES, day, side="right")), sensitivity)
        return int(np.ravel_multi_index(index, self.shape))

    def to_dict(self) -> dict:
        """JSON-ready settings (for :meth:`TabularQLearning.save`)."""
        return {"layout": {k: [s.start, s.stop] for k, s in self.layout.items()},
                "dose_levels": self.dose_levels.tolist(), "max_dose_mg": self.max_dose_mg,
                "episode_days": self.episode_days}

    @classmethod
    def from_dict(cls, values: dict) -> StateDiscretiser:
        """Inverse of :meth:`to_dict`."""
        layout = {k: slice(a, b) for k, (a, b) in values["layout"].items()}
        return cls(layout, np.asarray(values["dose_levels"]), values["max_dose_mg"],
                   values["episode_days"])


class TabularQLearning:
    """Q-learning agent with the ``learn`` / ``predict`` / ``save`` / ``load`` calls of SB3.

    Parameters
    ----------
    env : gymnasium.Env
        A :class:`WarfarinDosingEnv` with discrete actions (used for learning).
    seed : int
        Seeds the environment and the exploration generator.
    learning_rate, gamma : float
        Step size and discount per decision.
    initial_epsilon, final_epsilon, exploration_fraction : float
        Linear epsilon schedule over the first ``learn`` call.
    """

    def __init__(self, env=None, seed: int = 0, learning_rate: float = 0.1, gamma: float = 0.95,
                 initial_epsilon: float = 1.0, final_epsilon: float = 0.05,
                 exploration_fraction: float = 0.5,
                 discretiser: StateDiscretiser | None = None) -> None:
        if env is None and discretiser is None:
            raise ValueError("TabularQLearning needs an env (to learn) or a discretiser")
        if env is not None and not hasattr(env.action_space, "n"):
            raise ValueError("TabularQLearning needs an env with discrete actions "
                             "(env.action: discrete)")
        self.env = env
        self.discretiser = discretiser or StateDiscretiser.from_env(env)
        self.seed = seed
        self.learning_rate, self.gamma = learning_rate, gamma
        self.initial_epsilon, self.final_epsilon = initial_epsilon, final_epsilon
        self.exploration_fraction = exploration_fraction
        self.q = np.zeros((self.discretiser.n_states, len(self.discretiser.dose_levels)))
        self.rng = np.random.default_rng(seed)
        self.num_timesteps = 0
        self._schedule_steps: int | None = None
        self._obs = None

    def _epsilon(self) -> float:
        span = max(1.0, self.exploration_fraction * (self._schedule_steps or 1))
        progress = min(1.0, self.num_timesteps / span)
        return self.initial_epsilon + progress * (self.final_epsilon - self.initial_epsilon)

    def learn(self, total_timesteps: int, callback=None):
        """Interact for ``total_timesteps`` steps; ``callback(reward, info, done)`` each step."""
        if self.env is None:
            raise RuntimeError("a loaded TabularQLearning has no env to learn from")
        if self._schedule_steps is None:
            self._schedule_steps = total_timesteps
        if self._obs is None:
            self._obs, _ = self.env.reset(seed=self.seed)
        state = self.discretiser(self._obs)
        for _ in range(total_timesteps):
            if self.rng.random() < self._epsilon():
                action = int(self.rng.integers(self.q.shape[1]))
            else:
                action = int(np.argmax(self.q[state]))
            obs, reward, terminated, truncated, info = self.env.step(action)
            next_state = self.discretiser(obs)
            target = reward + (0.0 if terminated else self.gamma * self.q[next_state].max())
            self.q[state, action] += self.learning_rate * (target - self.q[state, action])
            self.num_timesteps += 1
            if callback is not None:
                callback(reward, info, terminated or truncated)
            if terminated or truncated:
                obs, _ = self.env.reset()
            self._obs, state = obs, self.discretiser(obs)
        return self

    def predict(self, obs: np.ndarray, deterministic: bool = True):
        """Greedy action for one observation ``(obs_dim,)`` or a batch ``(B, obs_dim)``."""
        obs = np.asarray(obs)
        if obs.ndim == 1:
            return int(np.argmax(self.q[self.discretiser(obs)])), None
        return np.array([np.argmax(self.q[self.discretiser(o)]) for o in obs]), None

    def save(self, path: str | Path) -> None:
        """Write ``<path>.npz`` (Q-table and settings) atomically."""
        meta = {"discretiser": self.discretiser.to_dict(), "gamma": self.gamma,
                "num_timesteps": self.num_timesteps}
        with atomic_path(Path(path).with_suffix(".npz"), keep_suffix=True) as tmp:
            np.savez(tmp, q=self.q, meta=np.array(json.dumps(meta)))

    @classmethod
    def load(cls, path: str | Path, env=None) -> TabularQLearning:
        """Read an agent written by :meth:`save`."""
        with np.load(Path(path).with_suffix(".npz")) as data:
            meta = json.loads(str(data["meta"]))
            agent = cls(env=env, gamma=meta["gamma"],
                        discretiser=StateDiscretiser.from_dict(meta["discretiser"]))
            agent.q = data["q"].copy()
        agent.num_timesteps = meta["num_timesteps"]
        return agent
