"""Each task in its own units: undo the transform a task was trained on.

A regression task trained on a transformed scale says so in its units (the IWPC builder's
``sqrt(mg/week)``). This is the one place that maps a trained scale back to the outcome's
units, so it switches to the task transform metadata of :class:`~pgxdl.data.spec.TaskSpec`
in one function (:func:`output_scale`) once tasks carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pgxdl.data.spec import TaskSpec


@dataclass(frozen=True)
class OutputScale:
    """How to report a regression task: its units and the inverse of its training transform.

    ``name`` is the name the task is reported under. ``inverse`` is monotone increasing,
    so it maps interval end points to end points; ``domain_min`` is the smallest value of
    the trained scale that means anything (0 for a square root: a negative lower bound on
    that scale is clipped before the inverse).
    """

    units: str
    inverse: Callable[[np.ndarray], np.ndarray]
    name: str
    transform: str = "identity"
    domain_min: float = -np.inf

    def to_units(self, values: np.ndarray) -> np.ndarray:
        """Values ``(N,)`` on the trained scale -> the outcome's units."""
        values = np.asarray(values, dtype=np.float64)
        return self.inverse(np.maximum(values, self.domain_min))


def output_scale(task: TaskSpec) -> OutputScale:
    """The :class:`OutputScale` of ``task``: ``sqrt(U)`` units are squared back into ``U``,
    and the reported name drops a ``sqrt_`` prefix (``sqrt_dose`` is reported as ``dose``)."""
    units = task.units.strip()
    if units.startswith("sqrt(") and units.endswith(")"):
        return OutputScale(units[5:-1], np.square, task.name.removeprefix("sqrt_"), "sqrt",
                           0.0)
    return OutputScale(units, lambda v: v, task.name)
