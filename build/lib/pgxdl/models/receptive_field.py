"""Receptive field of a convolutional trunk, from its layers.

Walks the ``Conv1d`` and ``MaxPool1d`` layers of a module in registration order, the
order in which they are applied in pgxdl's trunks (a residual block's skip path is never
wider than its convolution path, so the chain through the convolutions bounds it).
"""

from __future__ import annotations

from torch import nn


def _as_int(value: int | tuple[int, ...]) -> int:
    return value[0] if isinstance(value, tuple) else int(value)


def receptive_field(module: nn.Module) -> tuple[int, int]:
    """Receptive field and output stride of a chain of 1-d convolutions and poolings.

    Parameters
    ----------
    module : a module whose ``Conv1d`` / ``MaxPool1d`` / ``AvgPool1d`` sub-modules are
        applied one after the other.

    Returns
    -------
    (field, stride) : how many input positions one output position sees, and how many
        input positions separate two neighbouring output positions.
    """
    field, jump = 1, 1
    for layer in module.modules():
        if isinstance(layer, nn.Conv1d):
            kernel, dilation, stride = (_as_int(layer.kernel_size), _as_int(layer.dilation),
                                        _as_int(layer.stride))
        elif isinstance(layer, (nn.MaxPool1d, nn.AvgPool1d)):
            kernel = _as_int(layer.kernel_size)
            dilation = _as_int(getattr(layer, "dilation", 1))
            stride = _as_int(layer.stride or layer.kernel_size)
        else:
            continue
        field += (kernel - 1) * dilation * jump
        jump *= stride
    return field, jump


def pooled_length(length: int, pools: list[int]) -> int:
    """Length left after max-pooling ``length`` positions with each width in ``pools``."""
    for pool in pools:
        length //= pool
    return length
