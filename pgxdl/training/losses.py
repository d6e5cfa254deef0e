"""Masked multi-task losses: each task averages over the rows whose label is present.

The per-row loss of a task is its kind's (:meth:`pgxdl.tasks.TaskKind.loss`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import task_kind
from pgxdl.tasks.regression import REGRESSION_LOSSES


class MultiTaskLoss(nn.Module):
    """Weighted sum over tasks of the masked mean of each task's per-row loss.

    Parameters
    ----------
    tasks : the data's tasks, in the column order of ``target``.
    weights : per-task weight by name (1 for tasks not named).
    regression_loss : point loss of the regression tasks (:data:`REGRESSION_LOSSES`).

    ``forward(outputs {task: (N, out)}, target (N, T), mask (N, T) bool)`` returns the
    total loss (scalar) and ``{task: masked mean loss}``; a task with no label in the
    batch contributes 0.
    """

    def __init__(self, tasks: Sequence[TaskSpec], weights: Mapping[str, float] | None = None,
                 regression_loss: str = "mse"):
        super().__init__()
        if regression_loss not in REGRESSION_LOSSES:
            raise ValueError(f"regression_loss must be one of {REGRESSION_LOSSES}, "
                             f"got {regression_loss!r}")
        self.regression_loss = regression_loss
        self.tasks = tuple(tasks)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - {t.name for t in self.tasks})
        if unknown:
            raise ValueError(f"task_weights name unknown tasks {unknown}; the data has "
                             f"{[t.name for t in self.tasks]}")
        self.weights = [float(weights.get(t.name, 1.0)) for t in self.tasks]
        self.kinds = [task_kind(t) for t in self.tasks]

    def forward(self, outputs: Mapping[str, torch.Tensor], target: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        per_task = {}
        total = target.new_zeros(())
        for column, (kind, weight) in enumerate(zip(self.kinds, self.weights, strict=True)):
            task = kind.spec
            present = mask[:, column].to(target.dtype)
            rows = kind.loss(outputs[task.name], target[:, column], self.regression_loss)
            rows = torch.where(mask[:, column], rows, torch.zeros_like(rows))
            loss = rows.sum() / present.sum().clamp(min=1.0)
            per_task[task.name] = loss
            total = total + weight * loss
        return total, per_task
