"""Atomic file output: write to a temporary sibling, then rename over the target.

A crash or an error mid-write never leaves a half-written file, and an existing file
stays intact until the new one is complete (``os.replace`` is atomic on one filesystem).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml


@contextmanager
def atomic_path(path: str | Path, keep_suffix: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The parent folder is created. On an exception the temporary file is removed and
    ``path`` is left as it was. The temporary name is ``.<name>.<pid>.tmp``; with
    ``keep_suffix`` it is ``.<stem>.<pid>.tmp<suffix>``, for writers that choose the format
    from the suffix or append one (matplotlib ``savefig``, ``numpy.savez``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if keep_suffix:
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    else:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def finite_or_none(value):
    """``value`` with every non-finite float (NaN, +-inf; also NumPy floats) as ``None``,
    NumPy scalars and arrays as Python values, tuples as lists."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # NumPy scalar or array
        return finite_or_none(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | Path, obj, indent: int | None = 2) -> Path:
    """Write ``obj`` to ``path`` atomically as strict JSON (non-finite numbers as ``null``).

    Raises ``TypeError`` for values JSON cannot hold (an object, a set), before ``path``
    is touched. Returns ``path``.
    """
    text = json.dumps(finite_or_none(obj), indent=indent, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def save_png(figure, path: str | Path, dpi: int = 120, tight: bool = True) -> Path:
    """Write a matplotlib ``figure`` as PNG to ``path`` atomically; returns ``path``.

    ``tight`` crops the canvas to the drawn content (``bbox_inches="tight"``). A figure
    made by ``pyplot`` is closed afterwards (pyplot would keep it alive), also on failure.
    """
    try:
        with atomic_path(path, keep_suffix=True) as tmp:
            figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    finally:
        _close_pyplot_figure(figure)
    return Path(path)


def _close_pyplot_figure(figure) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")  # no pyplot loaded: no pyplot figure
    if pyplot is not None and isinstance(figure, sys.modules["matplotlib.figure"].Figure):
        pyplot.close(figure)


def write_yaml(path: str | Path, data) -> Path:
    """Atomically write ``data`` as YAML (keys in their given order); returns ``path``."""
    return atomic_write_text(path, yaml.safe_dump(data, sort_keys=False))
