"""Task kinds: what regression, binary and multiclass tasks mean, in one place.

A :class:`~pgxdl.data.spec.TaskSpec` (stored in the cohort store and in every checkpoint)
names a task's ``kind``; :func:`task_kind` returns the object of that kind, which owns the
head width, the loss, the target transform and its inverse, the prediction columns, the
training torchmetrics, the evaluation metrics and the figures that apply. Heads, losses,
the training module, evaluation, plots and explore ask the kind; none branches on the
kind's name. A new kind is one :class:`TaskKind` subclass passed to
:func:`register_kind` (see ``docs/extending.md``).

Layer: between :mod:`pgxdl.data` and :mod:`pgxdl.models`; imports only ``pgxdl.data``.

Vocabulary (the same names in training logs, ``metrics.json``, prediction CSVs and plots)
-----------------------------------------------------------------------------------------
Metrics are logged in training as ``<stage>/<task>/<metric>`` (``val/dose/mae``) and
written by evaluation as ``tasks.<task>.metrics.<metric>``, with these names:

==============  =========================================================================
regression      ``mae``, ``rmse``, ``r2``, ``pearson``, ``spearman``; ``pw20`` (share
                within 20% of the observed value) for doses (units mg/week, mg/day, mg,
                or a positive transform such as ``sqrt``); ``coverage_90`` and ``nll`` in
                evaluation of heteroscedastic heads
binary          ``auroc``, ``auprc``, ``accuracy``, ``brier``, ``ece``
multiclass      ``accuracy``, ``balanced_accuracy``, ``macro_auroc``, ``ece`` (top label)
==============  =========================================================================

Prediction columns (``train.py predict`` and ``evaluate.py``'s ``predictions.csv``) are
``<task>.<suffix>``: ``pred`` (regression value; binary 0/1 at p >= 0.5; multiclass
class), ``std``, ``low``, ``high`` (heteroscedastic regression: standard deviation and
the 90% interval), ``prob`` (binary P(y = 1)), ``prob.<k>`` (multiclass), and in
evaluation ``target`` and ``mask``. Regression values are in the task's reported units,
the inverse of its target transform (:mod:`pgxdl.tasks.transforms`).
"""

from pgxdl.tasks.base import TaskKind
from pgxdl.tasks.registry import KINDS, register_kind, task_kind
from pgxdl.tasks.transforms import TRANSFORMS, TargetTransform, target_transform

__all__ = ["KINDS", "TRANSFORMS", "TargetTransform", "TaskKind", "register_kind",
           "target_transform", "task_kind"]
