"""Atomic writes of the text files a run leaves behind (JSON, YAML)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from pgxdl.io import atomic_write_text


def write_json(path: str | Path, data) -> Path:
    """Atomically write ``data`` as indented JSON (NaN written as ``null``)."""
    return atomic_write_text(path, json.dumps(_finite(data), indent=2) + "\n")


def write_yaml(path: str | Path, data) -> Path:
    """Atomically write ``data`` as YAML (keys in their given order)."""
    return atomic_write_text(path, yaml.safe_dump(data, sort_keys=False))


def _finite(data):
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    if isinstance(data, float) and data != data:
        return None
    return data
