"""One scalar per sample, for attribution methods (like bpnet-lite's ``CountWrapper``)."""

from __future__ import annotations

import torch
from torch import nn

from pgxdl.models.network import DrugResponseNetwork


class TaskOutput(nn.Module):
    """Wrap a network so ``forward(sequence, *others)`` returns ``(N,)`` for one task.

    Regression: the predicted mean; binary: the logit; multiclass: the logit of
    ``target_class`` (or, when ``None``, of each sample's predicted class).

    Parameters
    ----------
    model : a :class:`~pgxdl.models.network.DrugResponseNetwork`.
    task : name of the task to explain.
    target_class : class index for a multiclass task.
    """

    def __init__(self, model: DrugResponseNetwork, task: str, target_class: int | None = None):
        super().__init__()
        kinds = {t.name: t for t in model.spec.tasks}
        if task not in kinds:
            raise ValueError(f"unknown task {task!r}; the model predicts {sorted(kinds)}")
        spec = kinds[task]
        if target_class is not None and not (spec.kind == "multiclass"
                                             and 0 <= target_class < spec.n_classes):
            raise ValueError(f"target_class {target_class} does not fit task {task!r} "
                             f"({spec.kind}, {spec.n_classes} classes)")
        self.model = model
        self.task = task
        self.kind = spec.kind
        self.target_class = target_class

    def forward(self, sequence: torch.Tensor, *others: torch.Tensor) -> torch.Tensor:
        out = self.model(sequence, *others)[self.task]
        if self.kind != "multiclass":
            return out[:, 0]
        if self.target_class is not None:
            return out[:, self.target_class]
        return out.gather(1, out.argmax(dim=1, keepdim=True)).squeeze(1)
