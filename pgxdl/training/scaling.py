"""Standardise regression targets for the loss; report predictions in the data's units.

Statistics come from the data (``spec.extra["target_normalisation"]``, fitted on the
training split): ``{task name: {"mean": float, "std": float}}``. Tasks without an entry,
and tasks whose kind is not :attr:`~pgxdl.tasks.TaskKind.standardised`, are left as they
are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import task_kind

EXTRA_KEY = "target_normalisation"


class TargetScaler(nn.Module):
    """Per-task affine scaling of targets ``(N, T)`` and of raw head outputs.

    Parameters
    ----------
    tasks : the data's tasks (column order of ``target``).
    stats : ``{task: {"mean": m, "std": s}}`` for regression tasks.
    """

    def __init__(self, tasks: Sequence[TaskSpec], stats: Mapping[str, Mapping] | None = None):
        super().__init__()
        stats = dict(stats or {})
        for name, entry in stats.items():
            task = next((t for t in tasks if t.name == name), None)
            if task is None or not task_kind(task).standardised:
                raise ValueError(f"{EXTRA_KEY} names {name!r}, which is not a task with "
                                 f"standardised targets (a regression task)")
            if not float(entry["std"]) > 0:
                raise ValueError(f"{EXTRA_KEY}[{name!r}] std must be > 0, got {entry['std']}")
        self.tasks = tuple(tasks)
        self.standardised = [name in stats for name in (t.name for t in tasks)]
        mean = [float(stats[t.name]["mean"]) if t.name in stats else 0.0 for t in tasks]
        std = [float(stats[t.name]["std"]) if t.name in stats else 1.0 for t in tasks]
        self.register_buffer("mean", torch.tensor(mean), persistent=False)
        self.register_buffer("std", torch.tensor(std), persistent=False)

    def scale_target(self, target: torch.Tensor) -> torch.Tensor:
        """``(N, T)`` targets in model units (standardised regression columns)."""
        return (target - self.mean) / self.std

    def unscale_output(self, task_index: int, output: torch.Tensor) -> torch.Tensor:
        """A regression head output ``(N, 1 or 2)`` back in the data's units.

        The mean is ``m + s * mean``; a log-variance column gains ``2 log s``.
        """
        mean, std = self.mean[task_index], self.std[task_index]
        columns = [output[:, 0] * std + mean]
        if output.shape[1] == 2:
            columns.append(output[:, 1] + 2 * torch.log(std))
        return torch.stack(columns, dim=1)

    def unscale_outputs(self, outputs: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """All raw outputs ``{task: (N, out_dim)}``, standardised ones in the data's units."""
        return {task.name: (self.unscale_output(i, outputs[task.name])
                            if scaled else outputs[task.name])
                for i, (task, scaled) in enumerate(zip(self.tasks, self.standardised,
                                                       strict=True))}
