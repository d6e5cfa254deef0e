"""A W&B sweep file read for Optuna: its search space, objective and trial command.

The same YAML drives ``wandb sweep`` / ``wandb agent`` and the local runner
(:mod:`pgxdl.training.sweep_study`): ``program``, ``method`` (``bayes``, ``random``,
``grid``), ``metric`` (``name``, ``goal``), flat ``parameters`` with dotted LightningCLI
option names, ``early_terminate`` (``hyperband``), ``command`` with the agent's macros
(``${env}``, ``${interpreter}``, ``${program}``, ``${args}``, ``${args_no_hyphens}``), and
``project`` (used by ``wandb sweep`` only).

Parameters map to Optuna distributions as W&B defines them:

================================  =============================================
W&B                               Optuna
================================  =============================================
``value`` / ``constant``          fixed (passed to every trial, not searched)
``values`` / ``categorical``      ``CategoricalDistribution(values)``
``int_uniform``                   ``IntDistribution(min, max)``
``uniform``                       ``FloatDistribution(min, max)``
``q_uniform``                     ``FloatDistribution(min, max, step=q)``
``log_uniform_values``            ``FloatDistribution(min, max, log=True)``
``log_uniform`` (exponents)       ``FloatDistribution(e**min, e**max, log=True)``
``min``/``max`` only              ``int_uniform`` if both are integers, else ``uniform``
================================  =============================================

Other W&B distributions (normal, beta, inverse log, quantised log) have no Optuna
counterpart and are refused with the list above.
"""

from __future__ import annotations

import hashlib
import json
import math
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import Trial

SUPPORTED = ("value", "values", "constant", "categorical", "int_uniform", "uniform",
             "q_uniform", "log_uniform_values", "log_uniform")
METHODS = ("bayes", "random", "grid")
MACROS = ("${env}", "${interpreter}", "${program}", "${args}", "${args_no_hyphens}")


@dataclass(frozen=True)
class SweepFile:
    """A parsed sweep file.

    Attributes
    ----------
    path : the YAML file.
    program : the script W&B's ``${program}`` macro names (``train.py``).
    method : ``bayes`` (Optuna's TPE), ``random`` or ``grid``.
    metric : name of the metric the trials report (``val/loss``).
    maximize : ``metric.goal == "maximize"``.
    space : searched parameters, name -> Optuna distribution.
    fixed : parameters with one value, name -> value.
    values : the ``values`` of categorical parameters as the YAML wrote them (Optuna holds
        lists and mappings among them as JSON text).
    command : the command template (W&B's default when the file names none).
    hyperband : ``early_terminate`` settings when its type is ``hyperband``, else ``None``.
    digest : hash of the settings that define the study (space, method, metric, command).
    """

    path: Path
    program: str
    method: str
    metric: str
    maximize: bool
    space: dict[str, BaseDistribution]
    fixed: dict[str, object]
    values: dict[str, list]
    command: list[str]
    hyperband: dict | None = None
    digest: str = field(default="")


def _fail(path: Path, where: str, problem: str) -> ValueError:
    return ValueError(f"{path}: {where}: {problem}")


def _encode(value):
    """Optuna's categorical choices must be scalars: lists and mappings travel as JSON."""
    return value if value is None or isinstance(value, bool | int | float | str) else \
        json.dumps(value)


def parameter_distribution(path: Path, name: str, spec) -> BaseDistribution | tuple[object]:
    """The Optuna distribution of one W&B parameter, or ``(value,)`` for a fixed one."""
    where = f"parameters.{name}"
    if not isinstance(spec, dict) or "parameters" in spec:
        raise _fail(path, where, "give a mapping with value, values or distribution "
                                 "(nested parameters: use flat dotted names)")
    if "probabilities" in spec:
        raise _fail(path, where, "'probabilities' has no Optuna counterpart; list a value "
                                 "several times to weight it, or drop it")
    kind = spec.get("distribution")
    if kind is None:
        if "value" in spec:
            kind = "constant"
        elif "values" in spec:
            kind = "categorical"
        elif "min" in spec and "max" in spec:
            both_int = all(isinstance(spec[k], int) for k in ("min", "max"))
            kind = "int_uniform" if both_int else "uniform"
        else:
            raise _fail(path, where, "needs value, values, or min and max")
    if kind == "constant":
        return (spec["value"],)
    if kind == "categorical":
        values = spec.get("values")
        if not values:
            raise _fail(path, where, "'values' must be a non-empty list")
        return CategoricalDistribution([_encode(v) for v in values])
    if kind not in SUPPORTED:
        raise _fail(path, where, f"distribution {kind!r} has no Optuna counterpart; use one "
                                 f"of {', '.join(SUPPORTED)}")
    try:
        low, high = spec["min"], spec["max"]
    except KeyError as missing:
        raise _fail(path, where, f"distribution {kind!r} needs {missing.args[0]!r}") from None
    if not low < high:
        raise _fail(path, where, f"min {low} must be below max {high}")
    if kind == "int_uniform":
        return IntDistribution(int(low), int(high))
    if kind == "log_uniform":
        return FloatDistribution(math.exp(low), math.exp(high), log=True)
    if kind == "log_uniform_values" and low <= 0:
        raise _fail(path, where, f"log_uniform_values needs min > 0 (got {low})")
    step = spec.get("q", 1) if kind == "q_uniform" else None
    return FloatDistribution(float(low), float(high), log=kind == "log_uniform_values",
                             step=step)


def read_sweep_file(path: str | Path) -> SweepFile:
    """Parse and check a W&B sweep YAML (see the module doc); errors name the field."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sweep file {path} not found (configs/sweeps/*.yaml ship "
                                f"with pgxdl)")
    sweep = yaml.safe_load(path.read_text()) or {}
    if "program" not in sweep:
        raise _fail(path, "program", "missing (the script each trial runs, e.g. train.py)")
    method = sweep.get("method", "random")
    if method not in METHODS:
        raise _fail(path, "method", f"{method!r}: use one of {', '.join(METHODS)}")
    metric = sweep.get("metric") or {"name": "val/loss", "goal": "minimize"}
    if metric.get("goal", "minimize") not in ("minimize", "maximize"):
        raise _fail(path, "metric.goal", f"{metric['goal']!r}: use minimize or maximize")
    space, fixed, values = {}, {}, {}
    for name, spec in (sweep.get("parameters") or {}).items():
        distribution = parameter_distribution(path, name, spec)
        if isinstance(distribution, tuple):
            fixed[name] = distribution[0]
        else:
            space[name] = distribution
        if isinstance(distribution, CategoricalDistribution):
            values[name] = list(spec["values"])
    if method == "grid":
        not_listed = [n for n, d in space.items() if not isinstance(d, CategoricalDistribution)]
        if not_listed:
            raise _fail(path, "parameters", f"a grid sweep lists values: {not_listed} have a "
                                            f"range")
    hyperband = None
    if sweep.get("early_terminate"):
        hyperband = dict(sweep["early_terminate"])
        if hyperband.pop("type", None) != "hyperband":
            raise _fail(path, "early_terminate.type", "only hyperband is known")
    command = list(sweep.get("command") or ["${env}", "${interpreter}", "${program}",
                                            "${args}"])
    defining = {k: sweep.get(k) for k in ("program", "method", "metric", "parameters",
                                          "command", "early_terminate")}
    digest = hashlib.sha256(json.dumps(defining, sort_keys=True, default=str).encode())
    return SweepFile(path=path, program=str(sweep["program"]), method=method,
                     metric=metric["name"], maximize=metric.get("goal") == "maximize",
                     space=space, fixed=fixed, values=values, command=command, hyperband=hyperband,
                     digest=digest.hexdigest()[:16])


def suggest(trial: Trial, sweep: SweepFile) -> dict[str, object]:
    """Draw the trial's parameters; fixed ones included, JSON choices decoded."""
    params: dict[str, object] = dict(sweep.fixed)
    for name, dist in sweep.space.items():
        if isinstance(dist, CategoricalDistribution):
            choice = trial.suggest_categorical(name, dist.choices)
            params[name] = sweep.values[name][dist.choices.index(choice)]
        elif isinstance(dist, IntDistribution):
            params[name] = trial.suggest_int(name, dist.low, dist.high, step=dist.step,
                                             log=dist.log)
        else:
            params[name] = trial.suggest_float(name, dist.low, dist.high, step=dist.step,
                                               log=dist.log)
    return params


def trial_command(sweep: SweepFile, params: dict, extra: list[str]) -> list[str]:
    """The trial's argv: the command template with the agent's macros expanded, then
    ``extra`` (options given after ``--``)."""
    args = [f"--{k}={v}" for k, v in params.items()]
    macros = {"${env}": [], "${interpreter}": [sys.executable], "${program}": [sweep.program],
              "${args}": args, "${args_no_hyphens}": [a[2:] for a in args]}
    command = [part for item in sweep.command for part in macros.get(item, [item])]
    return command + list(extra)


def run_dir_of(command: list[str], env: dict) -> Path | None:
    """The ``--run_dir`` a trial command names last (``$VARS`` expanded from ``env``)."""
    for arg in reversed(command):
        if arg.startswith("--run_dir="):
            return Path(string.Template(arg.split("=", 1)[1]).safe_substitute(env))
    return None
