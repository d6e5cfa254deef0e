"""Target transforms: the scale a task is stored and trained on, and the way back.

A store may keep a target on a transformed scale (the IWPC dose as ``sqrt(mg/week)``)
because a model fits it better there. The task's :class:`~pgxdl.data.spec.TaskSpec`
names the transform (``transform: sqrt``) and its ``units`` are those of the original
scale (``mg/week``), so evaluation, prediction files and plots report in the units a
user reads, through :meth:`TargetTransform.inverse`. Stores written before the field
existed read as ``identity``.

Both directions take NumPy arrays or torch tensors and return the same type. The
transforms are monotone increasing, so quantiles (interval ends, medians) map exactly;
the inverse of a predicted mean is the median on the original scale, not its mean.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

Array = np.ndarray | torch.Tensor


def _clip_at_zero(values: Array) -> Array:
    return values.clamp(min=0) if isinstance(values, torch.Tensor) else np.clip(values, 0, None)


class TargetTransform:
    """Identity: the stored values are the original values.

    Subclasses set :attr:`name` and override :meth:`forward`, :meth:`inverse` and
    :meth:`inverse_slope` (for the delta-method standard deviation).
    """

    name: ClassVar[str] = "identity"
    #: Original values must be positive amounts (relative-error metrics such as PW20 apply).
    positive: ClassVar[bool] = False

    def forward(self, values: Array) -> Array:
        """Original values -> stored (model) scale."""
        return values

    def inverse(self, values: Array) -> Array:
        """Stored (model) scale -> original values."""
        return values

    def inverse_slope(self, values: Array) -> Array:
        """``d inverse / d value`` at stored-scale ``values`` (delta-method scale factor)."""
        return values * 0 + 1


class SquareRoot(TargetTransform):
    """``stored = sqrt(original)``; the inverse squares, clipping negative values at 0."""

    name = "sqrt"
    positive = True

    def forward(self, values: Array) -> Array:
        return _clip_at_zero(values) ** 0.5

    def inverse(self, values: Array) -> Array:
        return _clip_at_zero(values) ** 2

    def inverse_slope(self, values: Array) -> Array:
        return 2 * _clip_at_zero(values)


class Log(TargetTransform):
    """``stored = log(original)``; the inverse exponentiates."""

    name = "log"
    positive = True

    def forward(self, values: Array) -> Array:
        return torch.log(values) if isinstance(values, torch.Tensor) else np.log(values)

    def inverse(self, values: Array) -> Array:
        return torch.exp(values) if isinstance(values, torch.Tensor) else np.exp(values)

    def inverse_slope(self, values: Array) -> Array:
        return self.inverse(values)


TRANSFORMS: dict[str, type[TargetTransform]] = {
    cls.name: cls for cls in (TargetTransform, SquareRoot, Log)}


def target_transform(name: str) -> TargetTransform:
    """The transform called ``name`` (``identity``, ``sqrt``, ``log``)."""
    if name not in TRANSFORMS:
        raise ValueError(f"unknown target transform {name!r}; known transforms are "
                         f"{sorted(TRANSFORMS)} (set TaskSpec.transform to one of them)")
    return TRANSFORMS[name]()
