"""Training: the LightningModule, losses, metrics, callbacks, loggers and the CLI."""

from pgxdl.training.build import build_module
from pgxdl.training.module import DrugResponseModule

__all__ = ["DrugResponseModule", "build_module"]
