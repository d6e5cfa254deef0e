"""Build a cohort store from a data config (the library behind ``pgxdl build``).

:func:`load_config` reads a YAML config with ``key=value`` overrides, :func:`resolve_builder`
finds the registered builder of its ``builder`` key (:data:`pgxdl.builders.BUILDERS`), and
:func:`build_store` validates the settings, builds the cohort and writes the store
atomically with provenance (the command, the config, the package version and a SHA-256 of
every input file the builder names).
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from pgxdl.builders import BUILDERS
from pgxdl.builders.config_schema import nearest, validate_config
from pgxdl.data.store_writer import file_sha256, prepare_output, write_store


def load_config(path: str | Path, overrides: list[str] = ()) -> dict:
    """Read a YAML config and apply ``key=value`` overrides (dotted keys for nesting)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: config not found")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ValueError(f"{path}: {where}not valid YAML ({problem})") from err
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text ({err.reason}); save the config as UTF-8"
                         ) from err
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a data config must be a mapping, got {type(config).__name__}")
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected key=value")
        target = config
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise ValueError(f"--set {item!r}: {parent!r} is not a mapping in {path}")
        target[leaf] = yaml.safe_load(value)
    return config


def resolve_builder(name: str):
    """The ``build(config) -> Cohort`` function registered under ``name``."""
    if name not in BUILDERS:
        close = nearest(name, BUILDERS)
        hint = f"did you mean {close!r}? " if close else ""
        raise ValueError(f"unknown builder {name!r}; {hint}known builders are {sorted(BUILDERS)}")
    module, _, function = BUILDERS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def build_store(config: dict, out: str | Path, compression: str | None = None,
                command: str | None = None,
                echo: Callable[[str], None] | None = print, progress: bool = True) -> Path:
    """Build the cohort described by ``config`` and write it to ``out``.

    Before any work: the config is checked against its builder's schema
    (:mod:`pgxdl.builders.config_schema`) and ``out`` must be writable (temporary files a
    killed build of ``out`` left are removed). The builder's report (provenance
    ``build_report``), when it has one, is passed line by line to ``echo``; ``progress``
    shows a progress bar while sequences are written.
    """
    if "builder" not in config:
        raise ValueError(f"data config lacks 'builder' (one of {sorted(BUILDERS)})")
    settings = {k: v for k, v in config.items() if k not in ("builder", "out")}
    build = resolve_builder(config["builder"])
    validate_config(config["builder"], settings)
    echo = echo or (lambda line: None)
    for name in prepare_output(out):
        echo(f"removed {name}, left by an interrupted build")
    with collector_spares_imports():
        cohort = build(settings)
        inputs = cohort.provenance.pop("inputs", [])
        cohort.provenance["input_sha256"] = {str(p): file_sha256(p) for p in inputs}
        cohort.provenance["command"] = command or " ".join(sys.argv)
        cohort.provenance.setdefault("builder", config["builder"])
        for line in cohort.provenance.get("build_report", {}).get("summary", []):
            echo(line)
        return write_store(out, cohort, compression=compression, progress=progress)


@contextmanager
def collector_spares_imports() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off the objects that exist on entry.

    The imports leave a few hundred thousand objects (scipy, scikit-learn, torch) that each
    full collection would scan again (about 0.2 s each, several per biobank build); they
    are frozen (:func:`gc.freeze`) for the build and handed back on exit.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
