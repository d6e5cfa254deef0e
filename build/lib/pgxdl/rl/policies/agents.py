"""Build, save and load dosing agents named by ``class_path`` / ``init_args`` in a config.

Any class with the stable-baselines3 calls works: ``cls(env=..., seed=..., **init_args)``,
``learn(total_timesteps, callback)``, ``predict(obs, deterministic)``,
``save(path)`` and ``cls.load(path)``. Shipped configs use ``stable_baselines3.PPO``,
``stable_baselines3.DQN`` and :class:`pgxdl.rl.policies.qlearning.TabularQLearning`.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import WarfarinDosingEnv
from pgxdl.rl.environment.vec_env import BatchedDosingVecEnv
from pgxdl.rl.training_log import TrainingLog

MODEL_STEM = "model"


def import_class(class_path: str) -> type:
    """The class at ``package.module.Name``; a clear error when it is not there."""
    module_name, _, name = class_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(f"agent.class_path {class_path!r} cannot be imported: {err}") from err


def is_sb3(cls: type) -> bool:
    """Whether ``cls`` is a stable-baselines3 algorithm (it trains on a vectorised env)."""
    return isinstance(cls, type) and issubclass(cls, BaseAlgorithm)


def build_agent(agent_config: dict, env_config: EnvConfig, seed: int, n_envs: int = 1):
    """Instantiate the agent of ``agent_config`` on fresh training environments.

    SB3 algorithms get a :class:`BatchedDosingVecEnv` of ``n_envs`` patients, other
    agents one :class:`WarfarinDosingEnv`.
    """
    if "class_path" not in agent_config:
        raise ValueError("agent config needs a class_path (e.g. stable_baselines3.PPO)")
    cls = import_class(agent_config["class_path"])
    init_args = dict(agent_config.get("init_args") or {})
    if is_sb3(cls):
        env = BatchedDosingVecEnv(env_config, n_envs=n_envs, seed=seed)
        return cls(env=env, seed=seed, device="cpu", **init_args)
    return cls(env=WarfarinDosingEnv(env_config), seed=seed, **init_args)


def save_agent(agent, run_dir: Path, stem: str = MODEL_STEM) -> None:
    """Save ``agent`` beside the run as ``<stem>.*``, atomically (temp folder, then move)."""
    tmp = Path(run_dir) / f".{stem}.tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    agent.save(tmp / stem)
    for item in tmp.iterdir():
        os.replace(item, Path(run_dir) / item.name)
    shutil.rmtree(tmp)


def load_agent(agent_config: dict, run_dir: Path, stem: str = MODEL_STEM):
    """Load the agent a run saved (for prediction only)."""
    cls = import_class(agent_config["class_path"])
    path = Path(run_dir) / stem
    if is_sb3(cls):
        return cls.load(path, device="cpu")
    return cls.load(path)


class Checkpointer:
    """Call ``on_checkpoint(timesteps)`` each time another ``every`` steps have passed."""

    def __init__(self, every: int, on_checkpoint) -> None:
        if every < 1:
            raise ValueError(f"checkpoint interval must be >= 1 step, got {every}")
        self.every, self.on_checkpoint = every, on_checkpoint
        self.next_checkpoint = every

    def tick(self, timesteps: int) -> None:
        """Note the step count; checkpoint when due."""
        if timesteps >= self.next_checkpoint:
            self.next_checkpoint += self.every
            self.on_checkpoint(timesteps)


class LogCallback(BaseCallback):
    """Feed every vectorised SB3 step to a :class:`TrainingLog` and a :class:`Checkpointer`."""

    def __init__(self, log: TrainingLog, checkpointer: Checkpointer) -> None:
        super().__init__()
        self.log, self.checkpointer = log, checkpointer

    def _on_step(self) -> bool:
        for i, (reward, info, done) in enumerate(zip(self.locals["rewards"], self.locals["infos"],
                                                     self.locals["dones"], strict=True)):
            self.log.step(self.num_timesteps, float(reward), info, bool(done), env_index=i)
        self.checkpointer.tick(self.num_timesteps)
        return True


def learn_with_checkpoints(agent, total_timesteps: int, log: TrainingLog,
                           checkpointer: Checkpointer) -> None:
    """Train ``agent`` for ``total_timesteps`` steps in one ``learn`` call (so schedules
    such as DQN's epsilon run once), logging episodes and ticking ``checkpointer``."""
    if isinstance(agent, BaseAlgorithm):
        agent.learn(total_timesteps=total_timesteps, callback=LogCallback(log, checkpointer))
        return

    def step_callback(reward, info, done):
        log.step(agent.num_timesteps, reward, info, done)
        checkpointer.tick(agent.num_timesteps)

    agent.learn(total_timesteps=total_timesteps, callback=step_callback)
