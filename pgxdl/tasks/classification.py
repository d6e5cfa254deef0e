"""Binary and multiclass tasks: class labels, logits out, probabilities reported.

Binary head ``(N, 1)``: the logit of P(y = 1). Multiclass head ``(N, K)``: logits.
Targets are stored as 0/1 or class indices ``0..K-1``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import AUROC, Accuracy, AveragePrecision, CalibrationError

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import metrics as M
from pgxdl.tasks.base import TaskKind
from pgxdl.tasks.torch_metrics import BrierScore


class Binary(TaskKind):
    """A 0/1 label: AUROC, AUPRC, accuracy (at p >= 0.5), Brier score, ECE."""

    name = "binary"
    headline_metric = "auroc"
    plots = ("calibration",)

    def head_width(self, heteroscedastic: bool = False) -> int:
        return 1

    def loss(self, output: torch.Tensor, target: torch.Tensor,
             regression_loss: str = "mse") -> torch.Tensor:
        """Binary cross-entropy on the logit."""
        return F.binary_cross_entropy_with_logits(output[:, 0], target, reduction="none")

    def sample(self, output: torch.Tensor, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """0/1 draws with P(y = 1) the sigmoid of the logit."""
        return torch.bernoulli(torch.sigmoid(output[:, 0]), generator=generator)

    def predict(self, output: torch.Tensor) -> dict[str, torch.Tensor]:
        """``pred`` (0/1 at p >= 0.5) and ``prob`` (P(y = 1))."""
        prob = torch.sigmoid(output[:, 0])
        return {"pred": (prob >= 0.5).to(prob.dtype), "prob": prob}

    def torchmetrics(self, prefix: str) -> MetricCollection:
        return MetricCollection({
            "auroc": AUROC(task="binary"), "auprc": AveragePrecision(task="binary"),
            "accuracy": Accuracy(task="binary"), "brier": BrierScore(),
            "ece": CalibrationError(task="binary", n_bins=M.CALIBRATION_BINS)},
            prefix=prefix)

    def metric_input(self, output: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(output[:, 0])

    def probability_columns(self) -> list[str]:
        return [self.column("prob")]

    def metrics(self, columns=frozenset()) -> dict:
        return {"auroc": M.auroc, "auprc": M.auprc, "accuracy": M.binary_accuracy,
                "brier": M.brier, "ece": M.expected_calibration_error}


class Multiclass(TaskKind):
    """``n_classes`` labels: accuracy, balanced accuracy, macro AUROC, top-label ECE."""

    name = "multiclass"
    headline_metric = "accuracy"
    plots = ("confusion",)

    @classmethod
    def example_spec(cls, name: str = "task") -> TaskSpec:
        return TaskSpec(name, cls.name, n_classes=3)

    def check(self) -> None:
        super().check()
        if self.spec.n_classes < 2:
            raise ValueError(f"multiclass task {self.spec.name!r} needs n_classes >= 2, "
                             f"got {self.spec.n_classes}")

    def head_width(self, heteroscedastic: bool = False) -> int:
        return self.spec.n_classes

    def loss(self, output: torch.Tensor, target: torch.Tensor,
             regression_loss: str = "mse") -> torch.Tensor:
        """Cross-entropy on the logits."""
        return F.cross_entropy(output, target.long(), reduction="none")

    def check_target_class(self, target_class: int | None) -> None:
        if target_class is not None and not 0 <= target_class < self.spec.n_classes:
            raise ValueError(f"target_class {target_class} does not fit task "
                             f"{self.spec.name!r} ({self.spec.n_classes} classes)")

    def attribution_output(self, output: torch.Tensor, target_class: int | None = None
                           ) -> torch.Tensor:
        """The logit of ``target_class``, or of each sample's predicted class."""
        if target_class is None:
            return output.gather(1, output.argmax(dim=1, keepdim=True)).squeeze(1)
        return output[:, target_class]

    def sample(self, output: torch.Tensor, generator: torch.Generator | None = None
               ) -> torch.Tensor:
        """Class indices drawn from the softmax of the logits (as floats, like targets)."""
        prob = torch.softmax(output, dim=1)
        return torch.multinomial(prob, 1, generator=generator)[:, 0].to(output.dtype)

    def predict(self, output: torch.Tensor) -> dict[str, torch.Tensor]:
        """``pred`` (the most probable class) and ``prob.<k>`` per class."""
        prob = torch.softmax(output, dim=1)
        columns = {"pred": prob.argmax(dim=1).to(prob.dtype)}
        columns.update({f"prob.{k}": prob[:, k] for k in range(prob.shape[1])})
        return columns

    def torchmetrics(self, prefix: str) -> MetricCollection:
        kind = {"task": "multiclass", "num_classes": self.spec.n_classes}
        return MetricCollection({
            "accuracy": Accuracy(**kind, average="micro"),
            "balanced_accuracy": Accuracy(**kind, average="macro"),
            "macro_auroc": AUROC(**kind, average="macro"),
            "ece": CalibrationError(**kind, n_bins=M.CALIBRATION_BINS)}, prefix=prefix)

    def metric_input(self, output: torch.Tensor) -> torch.Tensor:
        return torch.softmax(output, dim=1)

    def probability_columns(self) -> list[str]:
        return [self.column(f"prob.{k}") for k in range(self.spec.n_classes)]

    def metrics(self, columns=frozenset()) -> dict:
        return {"accuracy": M.multiclass_accuracy, "balanced_accuracy": M.balanced_accuracy,
                "macro_auroc": M.macro_auroc, "ece": M.top_label_calibration_error}
