"""One case of the bad-input matrix, and how its outcome is judged.

A case spoils one input of a fresh :class:`~benchmarks.bad_input_world.World` and runs pgxdl
on it. Outcomes:

- ``clear error``: the expected error family (a ``ValueError`` or ``FileNotFoundError``
  subclass, which the CLI prints as one line), a one-line message matching every pattern of
  the case (file, line or record, field, fix), and no store left behind;
- ``handled``: no error, and the case's check (an independent re-parse of what was stored,
  or the report) passes;
- ``wrong``: an expected-family error with an unclear message, a good input refused, a
  half-written output, or a handled result that fails its check;
- ``silent loss``: a bad input accepted without an error, or a check of data kept failing;
- ``crash``: any other exception (a library traceback).
"""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.bad_input_world import World

OUTCOMES = ("clear error", "handled", "wrong", "silent loss", "crash")
EXPECTED_ERRORS = (ValueError, FileNotFoundError)


@dataclass(frozen=True)
class Case:
    """A bad or odd input and what pgxdl must do with it.

    Attributes
    ----------
    name : unique, snake_case.
    area : vcf, windows, reference, genotype table, ehr, config, split, store, checkpoint.
    run : makes the input in the world and runs pgxdl; returns whatever ``check`` needs.
    error : the exception types a clear error may have (empty: the input must be handled).
    says : regular expressions the error message must all match.
    check : ``check(world, result)`` asserts the handled behaviour.
    issue : the item of issue 14 (or 13) it covers, e.g. ``"14.3"``.
    """

    name: str
    area: str
    run: Callable[[World], object]
    error: tuple[type[BaseException], ...] = ()
    says: tuple[str, ...] = ()
    check: Callable[[World, object], None] | None = None
    issue: str = ""
    realdata: bool = False


def error_case(name: str, area: str, run, error, *says: str, issue: str = "",
               realdata: bool = False) -> Case:
    """A case whose input must stop with ``error`` and a message matching ``says``."""
    error = error if isinstance(error, tuple) else (error,)
    return Case(name, area, run, error, says, issue=issue, realdata=realdata)


def handled_case(name: str, area: str, run, check, issue: str = "",
                 realdata: bool = False) -> Case:
    """A case whose input must be handled; ``check(world, result)`` asserts how."""
    return Case(name, area, run, check=check, issue=issue, realdata=realdata)


@dataclass
class Result:
    """The outcome of one case."""

    name: str
    area: str
    outcome: str
    detail: str
    seconds: float
    issue: str = ""
    traceback: str = field(default="", repr=False)


def run_case(case: Case, folder: Path) -> Result:
    """Run ``case`` in a fresh world under ``folder`` and judge its outcome."""
    start = time.perf_counter()
    world = World(folder)
    outcome, detail, trace = _judge(case, world)
    return Result(case.name, case.area, outcome, detail, time.perf_counter() - start,
                  case.issue, trace)


def _judge(case: Case, world: World) -> tuple[str, str, str]:
    try:
        result = case.run(world)
    except Exception as err:  # judged below: every failure is a data point of the matrix
        message = str(err)
        trace = traceback.format_exc()
        if not isinstance(err, EXPECTED_ERRORS):
            return "crash", f"{type(err).__name__}: {message}", trace
        if not case.error:
            return "wrong", f"refused: {type(err).__name__}: {message}", trace
        unmatched = [p for p in case.says if not re.search(p, message)]
        if not isinstance(err, case.error) or unmatched or "\n" in message.strip():
            return "wrong", (f"unclear {type(err).__name__} (missing {unmatched}): "
                             f"{message}"), trace
        leftovers = _leftovers(world)
        if leftovers:
            return "wrong", f"error, but left {leftovers}", trace
        return "clear error", f"{type(err).__name__}: {message}", ""
    if case.error:
        return "silent loss", "accepted without an error", ""
    try:
        case.check(world, result)
    except AssertionError as err:
        return "wrong", f"check failed: {err}", traceback.format_exc()
    return "handled", "; ".join(world.printed[-2:]) if world.printed else "checked", ""


def _leftovers(world: World) -> list[str]:
    folder = world.out.parent
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(world.out.name)
                  or p.name.startswith(f".{world.out.name}."))
