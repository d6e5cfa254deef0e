"""Per-task output heads; each task's kind (:mod:`pgxdl.tasks`) sets its width.

Raw outputs per task, shape ``(N, head_width)``, e.g. regression ``(N, 1)`` mean or
``(N, 2)`` mean and log-variance when heteroscedastic, binary ``(N, 1)`` logit,
multiclass ``(N, K)`` logits.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import task_kind


class TaskHeads(nn.Module):
    """One small head per task: ``(N, D) -> {task name: (N, head_width)}``.

    Parameters
    ----------
    tasks : the data's tasks.
    in_dim : width of the fused embedding.
    hidden : width of a hidden layer in each head (0: a linear head).
    dropout : dropout before each head.
    heteroscedastic : heads of kinds that have one (regression) also predict a
        log-variance.
    """

    def __init__(self, tasks: Sequence[TaskSpec], in_dim: int, hidden: int = 0,
                 dropout: float = 0.0, heteroscedastic: bool = False):
        super().__init__()
        if not tasks:
            raise ValueError("the data has no tasks: nothing to predict")
        self.heteroscedastic = heteroscedastic
        self.heads = nn.ModuleDict()
        for task in tasks:
            width = task_kind(task).head_width(heteroscedastic)
            layers: list[nn.Module] = [nn.Dropout(dropout)]
            if hidden > 0:
                layers += [nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, width)]
            else:
                layers.append(nn.Linear(in_dim, width))
            self.heads[task.name] = nn.Sequential(*layers)

    def forward(self, embedding: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: head(embedding) for name, head in self.heads.items()}

