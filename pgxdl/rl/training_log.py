"""Training logs of the dosing agents: CSV always, Weights & Biases optionally.

``episodes.csv`` gets one row per finished training episode (timesteps, return, PTTR,
fractions of days above 4 and below 1.5); ``validation.csv`` one row per validation on the
held-out validation cohort. With ``wandb: true`` the same rows go to a W&B run in the mode
:func:`pgxdl.training.loggers.wandb_mode` picks (online when logged in, else offline);
wandb is imported only then.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from pgxdl.rl.anticoagulation import fraction_above, fraction_below, pttr_daily

EPISODE_FIELDS = ("timesteps", "episode", "return", "pttr", "frac_inr_above_4",
                  "frac_inr_below_1_5")


class TrainingLog:
    """Append-only CSV logs in ``run_dir`` (and a W&B run when ``use_wandb``).

    Parameters
    ----------
    run_dir : Path
        Folder of the run.
    use_wandb : bool
        Also log to Weights & Biases (online when logged in, else offline).
    wandb_project : str
        W&B project name.
    run_name : str
        Name of the run in W&B.
    config : dict
        Saved with the W&B run.
    """

    def __init__(self, run_dir: Path, use_wandb: bool = False, wandb_project: str = "pgxdl-rl",
                 run_name: str = "rl", config: dict | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, tuple] = {}
        self._episode = 0
        self._current: dict[int, tuple[list[float], float]] = {}
        self.wandb_run = None
        if use_wandb:
            import wandb

            from pgxdl.training.loggers import wandb_mode

            self.wandb_run = wandb.init(project=wandb_project, name=run_name, config=config,
                                        dir=str(self.run_dir), reinit=True, mode=wandb_mode())

    def write(self, table: str, row: dict) -> None:
        """Append ``row`` to ``<table>.csv`` (header from the first row's keys)."""
        if table not in self._files:
            handle = open(self.run_dir / f"{table}.csv", "w", newline="", encoding="utf-8")
            writer = csv.DictWriter(handle, fieldnames=list(row))
            writer.writeheader()
            self._files[table] = (handle, writer)
        handle, writer = self._files[table]
        writer.writerow(row)
        handle.flush()
        if self.wandb_run is not None:
            self.wandb_run.log({f"{table}/{k}": v for k, v in row.items()})

    def step(self, timesteps: int, reward: float, info: dict, done: bool, env_index: int = 0):
        """Record one environment step; writes an episode row when ``done``."""
        inr, total = self._current.get(env_index, ([], 0.0))
        inr = inr + list(info.get("true_inr", []))
        total += float(reward)
        if not done:
            self._current[env_index] = (inr, total)
            return
        self._current.pop(env_index, None)
        self._episode += 1
        days = np.asarray(inr)[None, :]
        self.write("episodes", dict(zip(EPISODE_FIELDS, (
            timesteps, self._episode, total, float(pttr_daily(days)[0]),
            float(fraction_above(days, 4.0)[0]), float(fraction_below(days, 1.5)[0])),
            strict=True)))

    def close(self) -> None:
        """Close the CSV files and finish the W&B run."""
        for handle, _ in self._files.values():
            handle.close()
        self._files.clear()
        if self.wandb_run is not None:
            self.wandb_run.finish()
            self.wandb_run = None
