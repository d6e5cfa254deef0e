"""Checkpoint helpers: plain (weights-only loadable) spec records and clear load errors.

Checkpoints are loaded with ``torch.load(weights_only=True)`` (Lightning's default), so
everything pgxdl stores in them is plain Python: dicts, lists, strings, numbers.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pgxdl.data.spec import DataSpec

#: Key under which a pgxdl checkpoint stores the plain DataSpec of its training data.
SPEC_KEY = "pgxdl_data_spec"

_PLAIN_SCALARS = (str, int, float, bool, type(None))


def to_plain(value: Any) -> Any:
    """``value`` with tuples as lists and NumPy scalars/arrays as Python values."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def spec_to_plain(spec: DataSpec) -> dict:
    """The spec as plain Python (JSON- and YAML-safe); :meth:`DataSpec.from_dict` reverts it."""
    return to_plain(spec.to_dict())


def first_unplain(value: Any, path: str = "hparams") -> str | None:
    """Dotted path of the first value that is not plain Python, or ``None``."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = first_unplain(item, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        return next((f for i, v in enumerate(value) if (f := first_unplain(v, f"{path}[{i}]"))),
                    None)
    return None if isinstance(value, _PLAIN_SCALARS) else f"{path} ({type(value).__name__})"


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint on CPU, weights only, with a clear error when missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile,
            ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ValueError(f"checkpoint {path} is corrupt or not a PyTorch checkpoint "
                         f"({type(error).__name__}: {first_line})") from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ValueError(f"checkpoint {path} is not a Lightning checkpoint (no state_dict)")
    return checkpoint


def checkpoint_spec(path: str | Path) -> DataSpec:
    """The :class:`DataSpec` a pgxdl checkpoint was trained on."""
    checkpoint = read_checkpoint(path)
    if SPEC_KEY not in checkpoint:
        raise ValueError(f"checkpoint {path} has no {SPEC_KEY!r}: not written by pgxdl")
    return DataSpec.from_dict(checkpoint[SPEC_KEY])
