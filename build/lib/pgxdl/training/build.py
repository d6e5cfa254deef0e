"""Build a :class:`DrugResponseModule` from plain configuration, outside LightningCLI.

The module then stores that configuration as its hyperparameters (as LightningCLI does),
so its checkpoints rebuild it with ``DrugResponseModule.load_from_checkpoint(path)``.
"""

from __future__ import annotations

import copy

from pytorch_lightning.cli import instantiate_module
from pytorch_lightning.core.mixins.hparams_mixin import _given_hyperparameters_context

from pgxdl.data.spec import DataSpec
from pgxdl.training.checkpoints import spec_to_plain
from pgxdl.training.module import DrugResponseModule

#: The instantiator Lightning trusts when it rebuilds a module from a checkpoint.
INSTANTIATOR = "pytorch_lightning.cli.instantiate_module"


def build_module(spec: DataSpec, config: dict) -> DrugResponseModule:
    """Instantiate ``DrugResponseModule(spec, **config)`` from ``class_path`` configuration.

    Parameters
    ----------
    spec : the data's spec.
    config : the module's other init arguments as they appear under ``model:`` in a YAML
        config, e.g. ``{"network": {"class_path": "pgxdl.models.MultimodalModel",
        "init_args": {...}}, "optimizer": {"class_path": "torch.optim.Adam"}}``.
    """
    hparams = {"spec": spec_to_plain(spec), **copy.deepcopy(config)}
    with _given_hyperparameters_context(hparams=copy.deepcopy(hparams), instantiator=INSTANTIATOR):
        return instantiate_module(DrugResponseModule, hparams)
