"""The interface every task kind implements (see :mod:`pgxdl.tasks` for the vocabulary)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torchmetrics import MetricCollection

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks.metrics import MetricFn
from pgxdl.tasks.transforms import TargetTransform, target_transform


class TaskKind:
    """What one kind of task means, bound to one task's :class:`TaskSpec`.

    A subclass sets :attr:`name` (the ``TaskSpec.kind`` it serves), :attr:`headline_metric`
    and :attr:`plots`, and implements the methods below; :func:`pgxdl.tasks.register_kind`
    makes it known. Raw outputs are a head's ``(N, head_width)`` tensor in the task's stored
    units (regression outputs already un-standardised by the training module).

    Parameters
    ----------
    spec : the task.
    """

    name: ClassVar[str]
    #: Metric shown first by summaries and subgroup forest plots.
    headline_metric: ClassVar[str]
    #: Evaluation figures of one task (names in :data:`pgxdl.evaluation.plots.TASK_PLOTS`).
    plots: ClassVar[tuple[str, ...]] = ()
    #: Evaluation figures per task and group key (:data:`~pgxdl.evaluation.plots.GROUP_PLOTS`).
    group_plots: ClassVar[tuple[str, ...]] = ()
    #: Targets are standardised for the loss (statistics from ``target_normalisation``).
    standardised: ClassVar[bool] = False
    #: Targets are continuous values (else class labels): explore tests and plots by this.
    continuous: ClassVar[bool] = False

    def __init__(self, spec: TaskSpec):
        if spec.kind != self.name:
            raise ValueError(f"task {spec.name!r} is {spec.kind!r}, not {self.name!r}")
        self.spec = spec
        self.transform: TargetTransform = target_transform(spec.transform)
        self.check()

    @classmethod
    def example_spec(cls, name: str = "task") -> TaskSpec:
        """A small valid task of this kind (what the shared tests of every kind run on)."""
        return TaskSpec(name, cls.name)

    def check(self) -> None:
        """Raise ``ValueError`` when the spec does not fit the kind."""
        if self.transform.name != "identity":
            raise ValueError(f"task {self.spec.name!r}: a {self.name} task has class labels; "
                             f"transform {self.transform.name!r} applies to regression only")

    def column(self, suffix: str) -> str:
        """Prediction-table column ``<task>.<suffix>``."""
        return f"{self.spec.name}.{suffix}"

    # -- model ---------------------------------------------------------------------------
    def head_width(self, heteroscedastic: bool = False) -> int:
        """Width of the head's raw output."""
        raise NotImplementedError

    def loss(self, output: torch.Tensor, target: torch.Tensor,
             regression_loss: str = "mse") -> torch.Tensor:
        """Per-row loss ``(N,)`` of a raw output ``(N, width)`` against targets ``(N,)``
        (model units: standardised where :attr:`standardised`)."""
        raise NotImplementedError

    def combine(self, outputs: list[torch.Tensor]) -> torch.Tensor:
        """Raw outputs of independent heads (late fusion) as one raw output: their sum."""
        return torch.stack(outputs).sum(0)

    def check_target_class(self, target_class: int | None) -> None:
        """Raise ``ValueError`` unless ``target_class`` can be attributed (``None`` here)."""
        if target_class is not None:
            raise ValueError(f"target_class applies to multiclass tasks; {self.spec.name!r} "
                             f"is {self.name}")

    def attribution_output(self, output: torch.Tensor, target_class: int | None = None
                           ) -> torch.Tensor:
        """One scalar per sample ``(N,)`` to attribute: the first output column."""
        return output[:, 0]

    def sample(self, output: torch.Tensor, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """Targets ``(N,)`` drawn from the distribution a raw output defines (stored units)."""
        raise NotImplementedError

    # -- prediction ----------------------------------------------------------------------
    def predict(self, output: torch.Tensor) -> dict[str, torch.Tensor]:
        """Prediction columns ``{suffix: (N,)}`` of a raw output, in reported units."""
        raise NotImplementedError

    def reported_target(self, target: np.ndarray | torch.Tensor):
        """Stored targets in reported units (the inverse of the transform)."""
        return self.transform.inverse(target)

    def on_stored_scale(self, table: pd.DataFrame) -> tuple[pd.DataFrame, TaskSpec]:
        """The task's columns of a prediction table mapped back to the stored scale, and a
        spec that says so (``units`` e.g. ``sqrt(mg/week)``, transform ``identity``).

        ``target``, ``pred``, ``low`` and ``high`` go through the forward transform (exact);
        ``std`` is divided by the inverse's slope (the delta method run backwards). A task
        without a transform is returned unchanged.
        """
        if self.transform.name == "identity":
            return table, self.spec
        table = table.copy()
        forward = self.transform.forward
        for suffix in ("target", "pred", "low", "high"):
            if self.column(suffix) in table.columns:
                table[self.column(suffix)] = forward(table[self.column(suffix)].to_numpy(float))
        if self.column("std") in table.columns:
            slope = np.abs(self.transform.inverse_slope(table[self.column("pred")].to_numpy()))
            with np.errstate(divide="ignore", invalid="ignore"):
                table[self.column("std")] = table[self.column("std")].to_numpy() / slope
        units = f"{self.transform.name}({self.spec.units})" if self.spec.units else ""
        return table, dataclasses.replace(self.spec, units=units, transform="identity")

    # -- training metrics (torchmetrics) --------------------------------------------------
    def torchmetrics(self, prefix: str) -> MetricCollection:
        """Metrics logged in training, named ``{prefix}{metric}`` like evaluation's."""
        raise NotImplementedError

    def metric_input(self, output: torch.Tensor) -> torch.Tensor:
        """What the torchmetrics are fed of a raw output (reported units / probabilities)."""
        raise NotImplementedError

    def metric_target(self, target: torch.Tensor) -> torch.Tensor:
        """Targets as the torchmetrics want them."""
        return target.long()

    # -- evaluation metrics (NumPy, bootstrapped) -----------------------------------------
    def metrics(self, columns: set[str] | frozenset[str] = frozenset()) -> dict[str, MetricFn]:
        """Evaluation metrics ``{name: fn}`` given the arrays available (``columns``: keys
        of :meth:`metric_arrays`, e.g. ``std`` for heteroscedastic heads)."""
        raise NotImplementedError

    def probability_columns(self) -> list[str]:
        """Probability columns of the prediction table (none for regression)."""
        return []

    def metric_arrays(self, table: pd.DataFrame) -> dict[str, np.ndarray]:
        """The labelled rows of the prediction table as metric inputs ``(N, ...)``.

        Keys: ``target``, ``pred``, and whichever of ``prob`` (``(N,)`` binary, ``(N, K)``
        multiclass), ``std``, ``low``, ``high`` the table has. Raises ``ValueError`` naming
        a missing column.
        """
        needed = [self.column(s) for s in ("target", "mask", "pred")] + self.probability_columns()
        missing = [c for c in needed if c not in table.columns]
        if missing:
            raise ValueError(f"predictions table lacks columns {missing} for task "
                             f"{self.spec.name!r} ({self.name})")
        rows = table[self.column("mask")].to_numpy(dtype=bool)
        arrays = {key: table.loc[rows, self.column(key)].to_numpy(dtype=float)
                  for key in ("target", "pred", "std", "low", "high")
                  if self.column(key) in table.columns}
        probs = self.probability_columns()
        if probs:
            prob = table.loc[rows, probs].to_numpy(dtype=float)
            arrays["prob"] = prob[:, 0] if len(probs) == 1 else prob
        return arrays
