"""Training: the LightningModule, losses, metrics, callbacks, loggers and the CLI."""

from pgxdl.training import lightning_messages  # noqa: F401  (silences two known messages)
from pgxdl.training.build import build_module
from pgxdl.training.module import DrugResponseModule

__all__ = ["DrugResponseModule", "build_module"]
