"""Atomic writes of the text files a run leaves behind (JSON, YAML)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
