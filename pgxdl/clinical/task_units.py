"""Each task in its own units: the inverse of the transform a task was trained on.

A task stores its scale in :attr:`TaskSpec.transform` (``sqrt`` for the IWPC dose) with
``units`` those of the original scale (:mod:`pgxdl.tasks.transforms`). Checkpoints written
before that field existed said it in the units instead (``sqrt(mg/week)``, transform
``identity``); :func:`output_scale` reads those the same way, so old and new checkpoints
both come back in mg/week.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import TargetTransform, target_transform


@dataclass(frozen=True)
class OutputScale:
    """How to report a regression task: its reported units and its target transform
    (monotone increasing, so interval end points map to end points)."""

    units: str
    transform: TargetTransform

    def to_units(self, values: np.ndarray) -> np.ndarray:
        """Values ``(N,)`` on the trained scale -> the outcome's units."""
        return np.asarray(self.transform.inverse(np.asarray(values, dtype=np.float64)))

    def slope(self, values: np.ndarray) -> np.ndarray:
        """``d units / d trained value`` at ``values`` (delta-method factor), ``(N,)``."""
        return np.abs(np.asarray(self.transform.inverse_slope(
            np.asarray(values, dtype=np.float64))))


def output_scale(task: TaskSpec) -> OutputScale:
    """The :class:`OutputScale` of ``task`` (legacy ``sqrt(U)`` units read as ``sqrt``)."""
    units = task.units.strip()
    if task.transform == "identity" and units.startswith("sqrt(") and units.endswith(")"):
        return OutputScale(units[5:-1], target_transform("sqrt"))
    return OutputScale(units, target_transform(task.transform))
