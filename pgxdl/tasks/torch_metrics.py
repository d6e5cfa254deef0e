"""torchmetrics the library lacks, matching :mod:`pgxdl.tasks.metrics` by name and value."""

from __future__ import annotations

import torch
from torchmetrics import Metric


class WithinPercent(Metric):
    """Fraction of predictions within ``percent`` % of the observed value (PW20 at 20).

    States are sums, so the value is exact under DDP (``dist_reduce_fx="sum"``).
    """

    full_state_update = False

    def __init__(self, percent: float = 20.0, **kwargs):
        super().__init__(**kwargs)
        self.fraction = percent / 100.0
        self.add_state("within", default=torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.within += ((preds - target).abs() <= self.fraction * target).sum()
        self.total += target.numel()

    def compute(self) -> torch.Tensor:
        return self.within / self.total


class BrierScore(Metric):
    """Mean squared difference between P(y = 1) and the 0/1 label."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("squared", default=torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.squared += ((preds - target.float()) ** 2).sum()
        self.total += target.numel()

    def compute(self) -> torch.Tensor:
        return self.squared / self.total
