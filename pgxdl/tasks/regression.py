"""Regression: a continuous target, optionally on a transformed scale (``sqrt``, ``log``).

Head: ``(N, 1)`` mean, or ``(N, 2)`` mean and log-variance (heteroscedastic), in the
stored units (standardised for the loss). Predictions and metrics are in reported units:
the inverse of the task's transform (:mod:`pgxdl.tasks.transforms`).
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from scipy.stats import norm
from torchmetrics import MetricCollection
from torchmetrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    PearsonCorrCoef,
    R2Score,
    SpearmanCorrCoef,
)

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import metrics as M
from pgxdl.tasks.base import TaskKind
from pgxdl.tasks.torch_metrics import WithinPercent

# Spearman, like AUROC, needs the whole epoch's predictions: keeping them is the metric, and
# one float pair per sample is small next to the data, so its buffer warning is noise.
warnings.filterwarnings("ignore", message=r"Metric `SpearmanCorrcoef` will save all targets",
                        category=UserWarning, module=r"torchmetrics\.")

#: Point losses of regression tasks: ``mse`` fits the conditional mean, ``l1`` the
#: conditional median (what MAE rewards), ``huber`` squared within one (scaled) unit of
#: the target and absolute beyond it.
REGRESSION_LOSSES = ("mse", "l1", "huber")
#: Units of dose-like amounts, for which PW20 is reported (also any positive transform).
DOSE_UNITS = ("mg/week", "mg/day", "mg")


def gaussian_nll(mean: torch.Tensor, log_var: torch.Tensor, target: torch.Tensor
                 ) -> torch.Tensor:
    """Per-row Gaussian negative log-likelihood without the constant, ``(N,)``.

    ``0.5 * (log_var + (target - mean)^2 / exp(log_var))``, computed from the
    log-variance directly (no ``log(exp(.))`` round trip); equals
    ``torch.nn.GaussianNLLLoss(full=False)`` with ``var = exp(log_var)``.
    """
    return 0.5 * (log_var + (target - mean) ** 2 * torch.exp(-log_var))


class Regression(TaskKind):
    """A continuous target: MAE, RMSE, R², Pearson, Spearman (+ PW20 for doses, + interval
    coverage and NLL for heteroscedastic heads)."""

    name = "regression"
    headline_metric = "mae"
    plots = ("pred_vs_obs",)
    group_plots = ("residuals",)
    standardised = True
    continuous = True

    @classmethod
    def example_spec(cls, name: str = "task") -> TaskSpec:
        return TaskSpec(name, cls.name, "mg/week", transform="sqrt")

    def check(self) -> None:
        """Any registered transform fits a regression task."""

    @property
    def relative(self) -> bool:
        """The reported values are positive amounts: PW20 applies."""
        return self.transform.positive or self.spec.units in DOSE_UNITS

    def head_width(self, heteroscedastic: bool = False) -> int:
        return 2 if heteroscedastic else 1

    def loss(self, output: torch.Tensor, target: torch.Tensor,
             regression_loss: str = "mse") -> torch.Tensor:
        """``regression_loss`` (:data:`REGRESSION_LOSSES`) of a point head, or the Gaussian
        NLL of a heteroscedastic one (trained by its likelihood, so ``mse`` only)."""
        if regression_loss not in REGRESSION_LOSSES:
            raise ValueError(f"regression_loss must be one of {REGRESSION_LOSSES}, "
                             f"got {regression_loss!r}")
        if output.shape[1] == 2:
            if regression_loss != "mse":
                raise ValueError(f"task {self.spec.name!r}: a heteroscedastic head is trained "
                                 f"by its Gaussian likelihood; regression_loss "
                                 f"{regression_loss!r} applies to point heads only")
            return gaussian_nll(output[:, 0], output[:, 1], target)
        if regression_loss == "l1":
            return (output[:, 0] - target).abs()
        if regression_loss == "huber":
            return F.huber_loss(output[:, 0], target, reduction="none", delta=1.0)
        return (output[:, 0] - target) ** 2

    def combine(self, outputs: list[torch.Tensor]) -> torch.Tensor:
        """Sum of means; a log-variance column sums the variances (independent parts)."""
        if outputs[0].shape[1] == 1:
            return super().combine(outputs)
        mean = torch.stack([o[:, 0] for o in outputs]).sum(0)
        log_var = torch.logsumexp(torch.stack([o[:, 1] for o in outputs]), dim=0)
        return torch.stack([mean, log_var], dim=1)

    def sample(self, output: torch.Tensor, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """Gaussian draws around the mean (unit variance for a point head)."""
        std = torch.exp(0.5 * output[:, 1]) if output.shape[1] == 2 else 1.0
        noise = torch.randn(output.shape[0], generator=generator, dtype=output.dtype)
        return output[:, 0] + std * noise

    def predict(self, output: torch.Tensor) -> dict[str, torch.Tensor]:
        """``pred`` (inverse of the mean: the median in reported units); for heteroscedastic
        heads also ``std`` (delta method) and ``low``/``high``, the central
        :data:`~pgxdl.tasks.metrics.INTERVAL_LEVEL` interval mapped through the inverse."""
        mean = output[:, 0]
        columns = {"pred": self.transform.inverse(mean)}
        if output.shape[1] == 2:
            std = torch.exp(0.5 * output[:, 1])
            half = float(norm.ppf(0.5 + M.INTERVAL_LEVEL / 2)) * std
            columns["std"] = self.transform.inverse_slope(mean).abs() * std
            columns["low"] = self.transform.inverse(mean - half)
            columns["high"] = self.transform.inverse(mean + half)
        return columns

    def torchmetrics(self, prefix: str) -> MetricCollection:
        metrics = {"mae": MeanAbsoluteError(), "rmse": MeanSquaredError(squared=False),
                   "r2": R2Score(), "pearson": PearsonCorrCoef(),
                   "spearman": SpearmanCorrCoef()}
        if self.relative:
            metrics["pw20"] = WithinPercent(20.0)
        return MetricCollection(metrics, prefix=prefix)

    def metric_input(self, output: torch.Tensor) -> torch.Tensor:
        return self.transform.inverse(output[:, 0])

    def metric_target(self, target: torch.Tensor) -> torch.Tensor:
        return self.transform.inverse(target)

    def metrics(self, columns=frozenset()) -> dict:
        metrics = {"mae": M.mae, "rmse": M.rmse, "r2": M.r2, "pearson": M.pearson,
                   "spearman": M.spearman}
        if self.relative:
            metrics["pw20"] = M.within_20_percent
        if {"low", "high"} <= set(columns):
            metrics[f"coverage_{round(100 * M.INTERVAL_LEVEL)}"] = M.interval_coverage
        if "std" in columns:
            metrics["nll"] = M.gaussian_nll
        return metrics
