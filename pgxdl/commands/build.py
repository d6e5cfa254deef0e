"""Build a cohort store from a data config: ``pgxdl build data/<name>.yaml`` (or ``<name>``).

The config's ``builder`` names a builder of :data:`pgxdl.builders.BUILDERS`; the other
keys are that builder's settings. ``--set key=value`` overrides a setting (the value is
read as YAML; dotted keys reach nested settings). The store is written atomically to
``--out`` (default: the config's ``out``), with provenance: the command, the config, the
package version and a SHA-256 of every input file the builder names.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import yaml

from pgxdl.builders import BUILDERS
from pgxdl.data.store_writer import file_sha256, write_store
from pgxdl.resources import config_path


def load_config(path: str | Path, overrides: list[str] = ()) -> dict:
    """Read a YAML config and apply ``key=value`` overrides (dotted keys for nesting)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: config not found")
    config = yaml.safe_load(path.read_text()) or {}
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
        target[leaf] = yaml.safe_load(value)
    return config


def resolve_builder(name: str):
    """The ``build(config) -> Cohort`` function registered under ``name``."""
    if name not in BUILDERS:
        raise ValueError(f"unknown builder {name!r}; known builders are {sorted(BUILDERS)}")
    module, _, function = BUILDERS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def build_store(config: dict, out: str | Path, compression: str | None = None,
                command: str | None = None) -> Path:
    """Build the cohort described by ``config`` and write it to ``out``."""
    if "builder" not in config:
        raise ValueError(f"data config lacks 'builder' (one of {sorted(BUILDERS)})")
    settings = {k: v for k, v in config.items() if k not in ("builder", "out")}
    cohort = resolve_builder(config["builder"])(settings)
    inputs = cohort.provenance.pop("inputs", [])
    cohort.provenance["input_sha256"] = {str(p): file_sha256(p) for p in inputs}
    cohort.provenance["command"] = command or " ".join(sys.argv)
    cohort.provenance.setdefault("builder", config["builder"])
    return write_store(out, cohort, compression=compression)


HELP = "build a cohort store from a data config"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="data config: a YAML path, a shipped one "
                        "(data/simulated.yaml) or a shipped name (simulated, iwpc, 1kgp)")
    parser.add_argument("--out", help="store path (default: the config's 'out')")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a config setting")
    parser.add_argument("--compression", choices=["lzf", "gzip"], default=None,
                        help="compress sequence codes (smaller file, slower loading)")


def data_config_path(name: str) -> Path:
    """A data config by path, shipped path (``data/iwpc.yaml``) or shipped name (``iwpc``)."""
    if Path(name).suffix not in (".yaml", ".yml") and "/" not in name:
        name = f"data/{name}.yaml"
    return config_path(name)


def run(args: argparse.Namespace) -> int:
    config = load_config(data_config_path(args.config), args.overrides)
    out = args.out or config.get("out")
    if not out:
        raise ValueError(f"{args.config}: no output path; give --out or an 'out' key")
    path = build_store(config, out, args.compression,
                       command="pgxdl build " + " ".join(sys.argv[2:]))
    print(f"wrote {path}")
    return 0
