"""Masked multi-task losses: each task averages over the rows whose label is present."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from pgxdl.data.spec import TaskSpec


def gaussian_nll(mean: torch.Tensor, log_var: torch.Tensor, target: torch.Tensor
                 ) -> torch.Tensor:
    """Per-row Gaussian negative log-likelihood without the constant, ``(N,)``.

    ``0.5 * (log_var + (target - mean)^2 / exp(log_var))``, computed from the
    log-variance directly (no ``log(exp(.))`` round trip); equals
    ``torch.nn.GaussianNLLLoss(full=False)`` with ``var = exp(log_var)``.
    """
    return 0.5 * (log_var + (target - mean) ** 2 * torch.exp(-log_var))


#: Point losses of regression tasks: ``mse`` fits the conditional mean, ``l1`` the
#: conditional median (what MAE rewards), ``huber`` squared within one (scaled) unit of
#: the target and absolute beyond it.
REGRESSION_LOSSES = ("mse", "l1", "huber")


def task_loss(task: TaskSpec, output: torch.Tensor, target: torch.Tensor,
              regression_loss: str = "mse") -> torch.Tensor:
    """Per-row loss ``(N,)`` of one task's raw output ``(N, out_dim)`` against ``(N,)``.

    Regression: ``regression_loss`` (see :data:`REGRESSION_LOSSES`), or Gaussian NLL when
    the output holds a log-variance column (heteroscedastic heads are trained by their
    likelihood, so they take ``mse`` only); binary: BCE on the logit; multiclass:
    cross-entropy on the logits.
    """
    if task.kind == "regression":
        if output.shape[1] == 2:
            if regression_loss != "mse":
                raise ValueError(f"task {task.name!r}: a heteroscedastic head is trained by "
                                 f"its Gaussian likelihood; regression_loss "
                                 f"{regression_loss!r} applies to point heads only")
            return gaussian_nll(output[:, 0], output[:, 1], target)
        if regression_loss == "l1":
            return (output[:, 0] - target).abs()
        if regression_loss == "huber":
            return F.huber_loss(output[:, 0], target, reduction="none", delta=1.0)
        return (output[:, 0] - target) ** 2
    if task.kind == "binary":
        return F.binary_cross_entropy_with_logits(output[:, 0], target, reduction="none")
    return F.cross_entropy(output, target.long(), reduction="none")


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

    def forward(self, outputs: Mapping[str, torch.Tensor], target: torch.Tensor,
                mask: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        per_task = {}
        total = target.new_zeros(())
        for column, (task, weight) in enumerate(zip(self.tasks, self.weights, strict=True)):
            present = mask[:, column].to(target.dtype)
            rows = task_loss(task, outputs[task.name], target[:, column],
                             self.regression_loss)
            rows = torch.where(mask[:, column], rows, torch.zeros_like(rows))
            loss = rows.sum() / present.sum().clamp(min=1.0)
            per_task[task.name] = loss
            total = total + weight * loss
        return total, per_task
