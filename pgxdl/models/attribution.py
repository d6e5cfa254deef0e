"""One scalar per sample, for attribution methods (like bpnet-lite's ``CountWrapper``)."""

from __future__ import annotations

import torch
from torch import nn

from pgxdl.models.network import DrugResponseNetwork
from pgxdl.tasks import task_kind


class TaskOutput(nn.Module):
    """Wrap a network so ``forward(sequence, *others)`` returns ``(N,)`` for one task.

    The task's kind picks the scalar (:meth:`pgxdl.tasks.TaskKind.attribution_output`):
    regression the predicted mean, binary the logit, multiclass the logit of
    ``target_class`` (or, when ``None``, of each sample's predicted class).

    Parameters
    ----------
    model : a :class:`~pgxdl.models.network.DrugResponseNetwork`.
    task : name of the task to explain.
    target_class : class index for a multiclass task.
    """

    def __init__(self, model: DrugResponseNetwork, task: str, target_class: int | None = None):
        super().__init__()
        specs = {t.name: t for t in model.spec.tasks}
        if task not in specs:
            raise ValueError(f"unknown task {task!r}; the model predicts {sorted(specs)}")
        self.model = model
        self.task = task
        self.kind = task_kind(specs[task])
        self.target_class = target_class
        self.kind.check_target_class(target_class)

    def forward(self, sequence: torch.Tensor, *others: torch.Tensor) -> torch.Tensor:
        return self.kind.attribution_output(self.model(sequence, *others)[self.task],
                                            self.target_class)
