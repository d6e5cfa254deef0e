"""Atomic writes of the YAML files a run leaves behind (JSON: :func:`pgxdl.io.write_json`)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pgxdl.io import atomic_write_text


def write_yaml(path: str | Path, data) -> Path:
    """Atomically write ``data`` as YAML (keys in their given order)."""
    return atomic_write_text(path, yaml.safe_dump(data, sort_keys=False))
