"""Run a W&B sweep file locally as an Optuna study: TPE, pruning, resumable, parallel.

Each trial runs the sweep's command (``pgxdl train fit ...``) in its own process with
``WANDB_RUN_ID=<sweep>-<study>-t<number>`` (its run dir comes from
``--run_dir=...$WANDB_RUN_ID``)
and ``WANDB_RUN_GROUP=<sweep>``. The runner follows ``<run dir>/metrics_fit_progress.json``,
which training rewrites after every validation, reports each epoch's metric to Optuna and
stops a trial the pruner rejects; the trial's value is the metric in its final
``metrics_fit.json``. The study lives in ``<out>/optuna.db`` (SQLite): running the
same command again continues it and adds only the trials still missing; a trial whose
runner died (no heartbeat for :data:`GRACE_PERIOD_S`) is run again with its parameters.

Results appear as trials finish: ``<out>/trials/<run id>.json`` (parameters, state, value,
per-epoch values, run dir, device, seconds), ``<out>/trials/<run id>.log`` (its output), and
``<out>/sweep_results.json`` (every trial so far and the best).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import optuna
from optuna.trial import TrialState
from sqlalchemy.engine import make_url

from pgxdl.io import write_json
from pgxdl.training.callbacks import PROGRESS_FILE
from pgxdl.training.sweep_file import SweepFile, run_dir_of, suggest, trial_command

HEARTBEAT_S = 30
GRACE_PERIOD_S = 120
POLL_S = 1.0
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class TrialFailed(RuntimeError):
    """A trial's process failed or reported no metric (the study records it as failed)."""


@dataclass
class SweepRun:
    """One local run of a sweep file.

    Attributes
    ----------
    sweep : the parsed sweep file.
    out : folder of the study, the per-trial results and ``sweep_results.json``.
    trials : finished (complete or pruned) trials the study should hold in the end.
    jobs : trials run at once.
    seed : seed of the sampler (and of nothing else: trials keep their config's seed).
    prune : stop trials the pruner rejects (median, or hyperband when the file says so).
    extra : options appended to every trial's command (given after ``--``).
    devices : GPU ids handed out to trials (``CUDA_VISIBLE_DEVICES``); empty: none.
    storage : an Optuna RDB URL to share one study between runners on several machines
        (``postgresql://...``); ``None``: ``sqlite:///<out>/optuna.db``.
    """

    sweep: SweepFile
    out: Path
    trials: int
    jobs: int = 1
    seed: int = 0
    prune: bool = True
    extra: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    storage: str | None = None

    @property
    def storage_url(self) -> str:
        return self.storage or f"sqlite:///{(self.out / 'optuna.db').resolve()}"

    @property
    def storage_shown(self) -> str:
        """The storage URL with any password masked, for files and messages."""
        return make_url(self.storage_url).render_as_string(hide_password=True)


def visible_gpus() -> list[str]:
    """GPU ids a trial may be given: ``CUDA_VISIBLE_DEVICES`` if set, else every GPU torch
    sees (none on a CPU machine)."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [d for d in listed.split(",") if d.strip() and d.strip() != "-1"]
    import torch

    return [str(i) for i in range(torch.cuda.device_count())]


def open_study(run: SweepRun) -> optuna.Study:
    """Create or continue the study (``<out>/optuna.db`` unless ``run.storage``); refuse a
    study of another version of the sweep file."""
    sweep = run.sweep
    run.out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # Optuna's heartbeat has been "experimental" since 2.8
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning,
                                message=r".*(RetryHeartbeatStaleTrialCallback|heartbeat_interval"
                                        r"|grace_period|heartbeat_stale_trial_callback)")
        sqlite = run.storage_url.startswith("sqlite")
        storage = optuna.storages.RDBStorage(
            run.storage_url, engine_kwargs={"connect_args": {"timeout": 60}} if sqlite else None,
            heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_PERIOD_S,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                max_retry=2))
    if sweep.method == "grid":
        sampler = optuna.samplers.GridSampler(
            {name: list(dist.choices) for name, dist in sweep.space.items()}, seed=run.seed)
    elif sweep.method == "bayes":
        sampler = optuna.samplers.TPESampler(seed=run.seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=run.seed)
    if not run.prune:
        pruner = optuna.pruners.NopPruner()
    elif sweep.hyperband:
        pruner = optuna.pruners.HyperbandPruner(
            min_resource=sweep.hyperband.get("min_iter", 1),
            max_resource=sweep.hyperband.get("max_iter", "auto"),
            reduction_factor=sweep.hyperband.get("eta", 3))
    else:
        pruner = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
    study = optuna.create_study(
        storage=storage, study_name=sweep.path.stem, sampler=sampler, pruner=pruner,
        direction="maximize" if sweep.maximize else "minimize", load_if_exists=True)
    known = study.user_attrs.get("sweep_digest")
    if known is None:
        study.set_user_attr("sweep_digest", sweep.digest)
        study.set_user_attr("sweep_file", str(sweep.path))
        # run ids <sweep>-<study>-t<number>: studies of one file (SLURM array tasks, a new
        # --out) never share a run dir or a W&B run
        study.set_user_attr("run_prefix", f"{sweep.path.stem}-{uuid.uuid4().hex[:6]}")
    elif known != sweep.digest:
        raise ValueError(f"{run.storage_shown}: holds a study of another version of "
                         f"{sweep.path.name} (its search space, metric or command changed); "
                         f"pass another --out, or delete that folder to start afresh")
    return study


def read_progress(summary: Path, metric: str) -> tuple[int, float] | None:
    """``(epoch, value)`` of ``metric`` in a trial's metrics file, if written yet."""
    try:
        written = json.loads(summary.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    value = written.get("metrics", {}).get(metric)
    return None if value is None else (int(written["epoch"]), float(value))


class Objective:
    """Optuna objective running one trial process, thread-safe for ``n_jobs > 1``."""

    def __init__(self, run: SweepRun):
        self.run = run
        self.devices: queue.Queue[str] = queue.Queue()
        for index in range(max(run.jobs, len(run.devices)) if run.devices else 0):
            self.devices.put(run.devices[index % len(run.devices)])
        self.lock = threading.Lock()
        (run.out / "trials").mkdir(parents=True, exist_ok=True)

    def __call__(self, trial: optuna.Trial) -> float:
        run, sweep = self.run, self.run.sweep
        run_id = f"{trial.study.user_attrs['run_prefix']}-t{trial.number:03d}"
        params = suggest(trial, sweep)
        command = trial_command(sweep, params, run.extra)
        env = {**os.environ, "WANDB_RUN_ID": run_id, "WANDB_RUN_GROUP": sweep.path.stem}
        run_dir = run_dir_of(command, env)
        if run_dir.exists() and any(run_dir.iterdir()):
            raise FileExistsError(f"trial run dir {run_dir} exists already (a study deleted "
                                  f"while its runs were kept?); remove it or pass --out and "
                                  f"--run_dir elsewhere")
        device = self.devices.get() if run.devices else None
        if device is not None:
            env["CUDA_VISIBLE_DEVICES"] = device
        trial.set_user_attr("run_id", run_id)
        trial.set_user_attr("run_dir", str(run_dir))
        trial.set_user_attr("device", device)
        print(f"[trial {trial.number}] {' '.join(command)}", flush=True)
        started = time.monotonic()
        try:
            value = self._follow(trial, command, env, run_dir,
                                 run.out / "trials" / f"{run_id}.log")
        finally:
            if device is not None:
                self.devices.put(device)
            trial.set_user_attr("seconds", round(time.monotonic() - started, 1))
        return value

    def _follow(self, trial: optuna.Trial, command: list[str], env: dict, run_dir: Path,
                log_path: Path) -> float:
        """Run the trial, reporting each epoch's metric; prune, fail or return the value."""
        metric, reported = self.run.sweep.metric, -1
        with open(log_path, "w", encoding="utf-8") as log:
            process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                while True:
                    running = process.poll() is None
                    if running:
                        time.sleep(POLL_S)
                    # epochs that end between two polls are skipped; the last one always counts
                    progress = read_progress(run_dir / PROGRESS_FILE, metric)
                    if progress is not None and progress[0] > reported:
                        reported, value = progress
                        trial.report(value, reported)
                        if running and trial.should_prune():
                            raise optuna.TrialPruned(f"epoch {reported}: {metric} = {value:.4g}")
                    if not running:
                        break
            finally:  # pruned or failed here: the trial's process never outlives it
                if process.poll() is None:
                    process.terminate()
                    process.wait()
        if process.returncode != 0:
            raise TrialFailed(f"exit status {process.returncode}; see {log_path}")
        summary = run_dir / "metrics_fit.json"
        progress = read_progress(summary, metric)
        if progress is None:
            raise TrialFailed(f"{summary} has no {metric!r}: does the trial log it?")
        return progress[1]

    def write_results(self, study: optuna.Study, finished: optuna.trial.FrozenTrial) -> None:
        """Optuna callback: the finished trial's file and ``sweep_results.json``."""
        with self.lock:
            row = trial_row(finished)
            write_json(self.run.out / "trials" / f"{row['run_id']}.json", row)
            write_summary(self.run, study)


def trial_row(trial: optuna.trial.FrozenTrial) -> dict:
    """A trial as the result files show it."""
    return {"number": trial.number, "run_id": trial.user_attrs.get("run_id"),
            "state": trial.state.name.lower(), "value": trial.value, "parameters": trial.params,
            "intermediate_values": {str(k): v for k, v in trial.intermediate_values.items()},
            "run_dir": trial.user_attrs.get("run_dir"),
            "device": trial.user_attrs.get("device"),
            "seconds": trial.user_attrs.get("seconds"),
            "retry_of": trial.system_attrs.get("failed_trial")}


def write_summary(run: SweepRun, study: optuna.Study) -> dict:
    """Write ``<out>/sweep_results.json`` from the study as it stands; return it."""
    trials = [trial_row(t) for t in study.get_trials(deepcopy=False)
              if t.state != TrialState.WAITING]
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    best = trial_row(study.best_trial) if complete else None
    report = {"sweep": str(run.sweep.path), "method": run.sweep.method,
              "sampler": type(study.sampler).__name__, "pruner": type(study.pruner).__name__,
              "metric": {"name": run.sweep.metric,
                         "goal": "maximize" if run.sweep.maximize else "minimize"},
              "storage": run.storage_shown, "trials": trials, "best": best}
    write_json(run.out / "sweep_results.json", report)
    return report


def run_sweep(run: SweepRun) -> dict:
    """Run the trials still missing from the study (``run.trials`` finished in all), up to
    ``run.jobs`` at a time; return the results (also in ``<out>/sweep_results.json``)."""
    study = open_study(run)
    done = len(study.get_trials(deepcopy=False, states=FINISHED))
    missing = run.trials - done
    print(f"sweep {run.sweep.path.name}: {done} finished trials in {run.out}, "
          f"{max(missing, 0)} to run ({run.jobs} at a time"
          f"{', GPUs ' + ','.join(run.devices) if run.devices else ''})", flush=True)
    if missing > 0:
        objective = Objective(run)
        stop = optuna.study.MaxTrialsCallback(run.trials, states=FINISHED)
        study.optimize(objective, n_trials=missing, n_jobs=run.jobs, catch=(TrialFailed,),
                       callbacks=[objective.write_results, stop])
    return write_summary(run, study)
