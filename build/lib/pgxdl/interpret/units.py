"""Explain predictions in the task's units (e.g. mg/week), not the model's training scale.

:class:`~pgxdl.training.module.DrugResponseModule` trains its network on standardised
regression targets and converts outputs back with its ``scaler``. Attributions and
in-silico mutagenesis of the network alone would be in standard deviations; wrapping it
with that (affine) conversion puts every score in the task's units. Affine output maps
keep attributions exact (each is scaled by the task's standard deviation).
"""

from __future__ import annotations

import torch
from torch import nn


class OutputsInUnits(nn.Module):
    """``forward(sequence, *others) -> {task: (N, out_dim)}`` in the data's units.

    Parameters
    ----------
    network : the module's network (outputs in model units).
    scaler : the module's :class:`~pgxdl.training.scaling.TargetScaler`.
    """

    def __init__(self, network: nn.Module, scaler: nn.Module):
        super().__init__()
        self.network = network
        self.scaler = scaler
        self.spec = network.spec

    def forward(self, sequence: torch.Tensor, *others: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.scaler.unscale_outputs(self.network(sequence, *others))


def network_in_units(model: nn.Module) -> nn.Module:
    """The network of ``model`` with outputs in task units.

    A :class:`~pgxdl.training.module.DrugResponseModule` (it has ``network`` and
    ``scaler``) is wrapped in :class:`OutputsInUnits`; any other pgxdl network (outputs
    already in the data's units) is returned unchanged.
    """
    if hasattr(model, "network") and hasattr(model, "scaler"):
        return OutputsInUnits(model.network, model.scaler)
    return model
