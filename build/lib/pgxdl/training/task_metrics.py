"""torchmetrics collections per task kind, and the predictions they are fed.

Metric objects accumulate state per process and synchronise in ``compute()``, so they
are correct under DDP when logged as objects (``LightningModule.log_dict(collection)``).
"""

from __future__ import annotations

import torch
from torchmetrics import MetricCollection
from torchmetrics.classification import (
    AUROC,
    Accuracy,
    AveragePrecision,
    CalibrationError,
)
from torchmetrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    PearsonCorrCoef,
    R2Score,
    SpearmanCorrCoef,
)

from pgxdl.data.spec import TaskSpec


def task_metrics(task: TaskSpec, prefix: str) -> MetricCollection:
    """The metrics of one task, named ``{prefix}{metric}`` (e.g. ``val/dose/mae``)."""
    if task.kind == "regression":
        metrics = {"mae": MeanAbsoluteError(), "rmse": MeanSquaredError(squared=False),
                   "r2": R2Score(), "pearson": PearsonCorrCoef(),
                   "spearman": SpearmanCorrCoef()}
    else:
        kind = {"task": task.kind}
        if task.kind == "multiclass":
            kind["num_classes"] = task.n_classes
        metrics = {"auroc": AUROC(**kind), "auprc": AveragePrecision(**kind),
                   "accuracy": Accuracy(**kind), "calibration_error": CalibrationError(**kind)}
    return MetricCollection(metrics, prefix=prefix)


def task_predictions(task: TaskSpec, output: torch.Tensor) -> torch.Tensor:
    """What the metrics and the user see of a raw output ``(N, out_dim)``.

    Regression: the mean ``(N,)``; binary: the probability ``(N,)``; multiclass: the
    class probabilities ``(N, K)``.
    """
    if task.kind == "regression":
        return output[:, 0]
    if task.kind == "binary":
        return torch.sigmoid(output[:, 0])
    return torch.softmax(output, dim=1)


def metric_target(task: TaskSpec, target: torch.Tensor) -> torch.Tensor:
    """Targets as the metrics want them: floats for regression, class indices otherwise."""
    return target if task.kind == "regression" else target.long()
