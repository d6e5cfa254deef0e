"""The LightningModule: a configured network, masked multi-task losses, metrics per stage.

Shapes: ``batch`` follows the contract of :mod:`pgxdl.data.spec`; the network maps
``sequence (N, W, C, L)`` + tabular inputs to ``{task: (N, out_dim)}``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn

from pgxdl.data.batch import model_inputs
from pgxdl.data.spec import DataSpec
from pgxdl.models.network import DrugResponseNetwork
from pgxdl.tasks import task_kind
from pgxdl.training.checkpoints import SPEC_KEY, first_unplain, spec_to_plain
from pgxdl.training.losses import MultiTaskLoss
from pgxdl.training.scaling import EXTRA_KEY, TargetScaler

NetworkFactory = Callable[[DataSpec], DrugResponseNetwork]
STAGES = ("train", "val", "test")


class DrugResponseModule(pl.LightningModule):
    """Train, validate, test and predict a drug-response network.

    Parameters
    ----------
    spec : the data's :class:`DataSpec` as a plain dict (``spec_to_plain``); LightningCLI
        links it from ``data.spec``, and checkpoints store it so
        ``DrugResponseModule.load_from_checkpoint(path)`` needs no configuration.
    network : factory of the network from the spec, e.g. ``class_path:
        pgxdl.models.MultimodalModel`` with its encoders and fusion as ``init_args``.
    optimizer : factory of the optimizer from the parameters.
    lr_scheduler : factory of a learning-rate scheduler from the optimizer, or ``None``.
    task_weights : loss weight per task name (1 for tasks not named).
    regression_loss : ``mse`` (default), ``l1`` (the conditional median: what MAE rewards)
        or ``huber``, for regression tasks with a point head.
    monitor : metric a ``ReduceLROnPlateau`` scheduler watches.

    A network with a ``penalty()`` method (a scalar tensor, e.g. the elastic net of
    :class:`~pgxdl.models.WideDeepCellDrugModel`) has it added to the training loss
    (logged as ``train/penalty``); validation and test losses are the data loss alone. One
    with ``parameter_groups()`` (a list of optimizer parameter groups) has its optimizer
    built from them (e.g. a learning rate per part).
    """

    def __init__(self, spec: dict, network: NetworkFactory,
                 optimizer: OptimizerCallable = torch.optim.AdamW,
                 lr_scheduler: LRSchedulerCallable | None = None,
                 task_weights: dict[str, float] | None = None, regression_loss: str = "mse",
                 monitor: str = "val/loss"):
        super().__init__()
        self.save_hyperparameters()
        self.spec = spec if isinstance(spec, DataSpec) else DataSpec.from_dict(spec)
        self.network = network(self.spec)
        if regression_loss != "mse" and getattr(self.network, "heteroscedastic", False):
            raise ValueError(f"regression_loss {regression_loss!r} applies to point heads; "
                             "this network's heteroscedastic head is trained by its "
                             "Gaussian likelihood (use mse)")
        self.loss = MultiTaskLoss(self.spec.tasks, task_weights, regression_loss)
        self.scaler = TargetScaler(self.spec.tasks, self.spec.extra.get(EXTRA_KEY))
        self.kinds = [task_kind(task) for task in self.spec.tasks]
        self.optimizer_factory = optimizer
        self.scheduler_factory = lr_scheduler
        self.monitor = monitor
        self.metrics = nn.ModuleDict({
            f"{stage}_{kind.spec.name}": kind.torchmetrics(f"{stage}/{kind.spec.name}/")
            for stage in STAGES for kind in self.kinds})

    def forward(self, sequence: torch.Tensor, numeric: torch.Tensor,
                numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        """Raw outputs ``{task: (N, out_dim)}`` of the network (regression outputs in
        standardised units; ``self.scaler.unscale_outputs`` gives the store's units, and
        ``predict_step`` the reported units)."""
        return self.network(sequence, numeric, numeric_missing, categorical, drug)

    def check_data(self, spec: DataSpec) -> None:
        """Raise ``ValueError`` naming every field in which ``spec`` differs from the model's."""
        self.spec.check_compatible(spec)

    def check_batch(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        """Clear errors for batches that do not fit the model (targets, category codes)."""
        n_tasks = len(self.spec.tasks)
        if batch["target"].shape[-1] != n_tasks:
            raise ValueError(f"batch {batch_idx} has {batch['target'].shape[-1]} target "
                             f"columns, the model predicts {n_tasks} tasks "
                             f"{[t.name for t in self.spec.tasks]}")
        if batch_idx == 0 and batch["categorical"].numel():
            cards = torch.as_tensor(self.spec.categorical_cardinalities,
                                    device=batch["categorical"].device)
            bad = (batch["categorical"] >= cards) | (batch["categorical"] < 0)
            if bad.any():
                column = int(bad.any(dim=0).nonzero()[0])
                raise ValueError(
                    f"batch {batch_idx}: categorical feature "
                    f"{self.spec.categorical_features[column]!r} has codes outside "
                    f"[0, {self.spec.categorical_cardinalities[column]})")

    def _step(self, batch: dict[str, torch.Tensor], batch_idx: int, stage: str
              ) -> torch.Tensor:
        self.check_batch(batch, batch_idx)
        outputs = self(*model_inputs(batch))
        target = self.scaler.scale_target(batch["target"])
        loss, per_task = self.loss(outputs, target, batch["target_mask"])
        if stage == "train" and hasattr(self.network, "penalty"):  # e.g. an elastic net
            penalty = self.network.penalty()
            self.log("train/penalty", penalty, on_step=False, on_epoch=True, sync_dist=True,
                     batch_size=batch["target"].shape[0])
            loss = loss + penalty
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"{stage} loss is {loss.item()} at batch {batch_idx} (epoch "
                f"{self.current_epoch}, global step {self.global_step}); per-task losses "
                f"{ {k: v.item() for k, v in per_task.items()} }. Lower the learning rate, "
                f"check the inputs for NaN/inf, or enable gradient clipping.")
        size = batch["target"].shape[0]
        in_units = self.scaler.unscale_outputs(outputs)
        on_step = stage == "train"
        self.log(f"{stage}/loss", loss, on_step=on_step, on_epoch=True, sync_dist=True,
                 batch_size=size, prog_bar=True)
        for column, kind in enumerate(self.kinds):
            task = kind.spec
            self.log(f"{stage}/{task.name}/loss", per_task[task.name], on_step=False,
                     on_epoch=True, sync_dist=True, batch_size=size)
            present = batch["target_mask"][:, column]
            if not present.any():
                continue
            metrics = self.metrics[f"{stage}_{task.name}"]
            metrics.update(kind.metric_input(in_units[task.name][present]).detach(),
                           kind.metric_target(batch["target"][present, column]))
            self.log_dict(metrics, on_step=False, on_epoch=True)
        return loss

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        if batch["target"].shape[0] == 0:  # Poisson sampling (DP-SGD) can draw no one:
            outputs = self(*model_inputs(batch))  # a zero loss; the step still adds noise
            return sum(output.sum() for output in outputs.values()) * 0.0
        return self._step(batch, batch_idx, "train")

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, batch_idx, "val")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self._step(batch, batch_idx, "test")

    def predict_step(self, batch: dict[str, torch.Tensor], batch_idx: int
                     ) -> dict[str, torch.Tensor]:
        """``index`` ``(N,)`` and each task's prediction columns ``<task>.<suffix>`` ``(N,)``
        in reported units (:meth:`pgxdl.tasks.TaskKind.predict`; the vocabulary is in
        :mod:`pgxdl.tasks`)."""
        outputs = self.scaler.unscale_outputs(self(*model_inputs(batch)))
        out = {"index": batch["index"]}
        for kind in self.kinds:
            out.update({kind.column(suffix): values for suffix, values
                        in kind.predict(outputs[kind.spec.name]).items()})
        return out

    def configure_optimizers(self):
        groups = getattr(self.network, "parameter_groups", None)  # e.g. a per-part rate
        optimizer = self.optimizer_factory(groups() if groups else self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {"optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "monitor": self.monitor}}

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer else None
        if datamodule is not None and hasattr(datamodule, "spec"):
            self.check_data(datamodule.spec)
        if stage == "fit" and hasattr(datamodule, "reference_sequence"):
            self._set_references(datamodule)

    def _set_references(self, datamodule) -> None:
        """Give every encoder that subtracts the reference the store's reference windows
        (kept in the state dict, so a checkpoint predicts without the store)."""
        encoders = [m for m in self.network.modules()
                    if getattr(m, "subtract_reference", False) and not bool(m.reference_set)]
        if encoders:
            reference = datamodule.reference_sequence()
            for encoder in encoders:
                encoder.set_reference(reference.to(encoder.reference.device))

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        problem = first_unplain(dict(self.hparams))
        if problem:
            raise TypeError(
                f"cannot write a self-describing checkpoint: {problem} is not plain config. "
                f"Build the module with pgxdl.training.build_module(spec, config) or train.py "
                f"so its class_path configuration is what gets stored.")
        checkpoint[SPEC_KEY] = spec_to_plain(self.spec)

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        if SPEC_KEY in checkpoint:
            stored = DataSpec.from_dict(checkpoint[SPEC_KEY])
            try:
                stored.check_compatible(self.spec)
            except ValueError as error:
                raise ValueError(f"the checkpoint was trained on other data; {error}") from None
