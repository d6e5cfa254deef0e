"""Every registered task kind and target transform, by the same checks.

A kind added with :func:`pgxdl.tasks.register_kind` is picked up here without any edit:
head width, a loss that is finite and falls on a toy batch, prediction columns named by
the vocabulary of :mod:`pgxdl.tasks`, evaluation metrics against sklearn / scipy computed
independently, and training torchmetrics with the same names and values.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats
from sklearn import metrics as skm
from torch import nn

from pgxdl.data.spec import TaskSpec
from pgxdl.models.heads import TaskHeads
from pgxdl.tasks import KINDS, TRANSFORMS, TaskKind, register_kind, target_transform, task_kind
from pgxdl.tasks.metrics import CALIBRATION_BINS, INTERVAL_LEVEL

KIND_NAMES = sorted(KINDS)
#: Column suffixes the vocabulary allows (``prob.<k>``: one per class).
SUFFIX = re.compile(r"^(pred|std|low|high|prob|prob\.\d+)$")


def kind_of(name: str, **changes) -> TaskKind:
    spec = KINDS[name].example_spec("y")
    return task_kind(TaskSpec(**{**spec.__dict__, **changes}))


def toy_outputs(kind: TaskKind, n: int, heteroscedastic: bool, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    output = torch.randn(n, kind.head_width(heteroscedastic), generator=generator,
                         dtype=torch.float64)
    if kind.spec.transform != "identity":  # a positive original scale: mean well above 0
        output[:, 0] = output[:, 0].abs() + 3.0
    if heteroscedastic and output.shape[1] == 2:
        output[:, 1] = output[:, 1] * 0.3 - 1.0
    return output


@pytest.mark.parametrize("heteroscedastic", [False, True])
@pytest.mark.parametrize("name", KIND_NAMES)
def test_head_output_has_the_kinds_width(name, heteroscedastic):
    kind = kind_of(name)
    heads = TaskHeads([kind.spec], in_dim=6, hidden=4, heteroscedastic=heteroscedastic)
    out = heads(torch.randn(5, 6))[kind.spec.name]
    assert out.shape == (5, kind.head_width(heteroscedastic))
    if name == "multiclass":
        assert kind.head_width() == kind.spec.n_classes
    if name == "regression":
        assert kind.head_width(True) == 2 and kind.head_width(False) == 1


@pytest.mark.parametrize("name", KIND_NAMES)
def test_attribution_scalar_is_one_value_per_sample(name):
    kind = kind_of(name)
    output = toy_outputs(kind, 6, heteroscedastic=True)
    kind.check_target_class(None)
    scalar = kind.attribution_output(output)
    assert scalar.shape == (6,)
    assert torch.all(torch.isin(scalar, output))  # one of the sample's raw outputs
    with pytest.raises(ValueError, match="target_class"):
        kind.check_target_class(kind.head_width() + 5)


@pytest.mark.parametrize("heteroscedastic", [False, True])
@pytest.mark.parametrize("name", KIND_NAMES)
def test_loss_is_finite_and_falls_on_a_toy_batch(name, heteroscedastic):
    kind = kind_of(name)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(256, 4, generator=generator)
    teacher = nn.Linear(4, kind.head_width(heteroscedastic))
    with torch.no_grad():
        target = kind.sample(2.0 * teacher(x), generator)
    student = nn.Linear(4, kind.head_width(heteroscedastic))
    optimiser = torch.optim.Adam(student.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        optimiser.zero_grad()
        loss = kind.loss(student(x), target).mean()
        assert torch.isfinite(loss)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_transform_inverse_round_trip_in_numpy_and_torch(transform):
    t = target_transform(transform)
    original = np.array([0.5, 4.0, 30.0, 95.5])
    stored = t.forward(original)
    np.testing.assert_allclose(t.inverse(stored), original, rtol=1e-12)
    back = t.inverse(t.forward(torch.tensor(original)))
    assert isinstance(back, torch.Tensor)
    np.testing.assert_allclose(back.numpy(), original, rtol=1e-12)
    # monotone increasing, and the slope used for the delta method is the derivative
    assert np.all(np.diff(stored) > 0)
    step = 1e-6
    numeric = (t.inverse(stored + step) - t.inverse(stored - step)) / (2 * step)
    np.testing.assert_allclose(t.inverse_slope(stored), numeric, rtol=1e-5)


def test_unknown_transform_and_transform_on_a_class_task_fail_clearly():
    with pytest.raises(ValueError, match="unknown target transform 'cube'"):
        target_transform("cube")
    with pytest.raises(ValueError, match="transform 'sqrt' applies to regression only"):
        task_kind(TaskSpec("event", "binary", transform="sqrt"))


@pytest.mark.parametrize("heteroscedastic", [False, True])
@pytest.mark.parametrize("name", KIND_NAMES)
def test_prediction_columns_follow_the_vocabulary(name, heteroscedastic):
    kind = kind_of(name)
    columns = kind.predict(toy_outputs(kind, 7, heteroscedastic))
    assert "pred" in columns and all(SUFFIX.match(s) for s in columns), sorted(columns)
    assert all(v.shape == (7,) for v in columns.values())
    assert {kind.column(s) for s in ("pred",)} == {"y.pred"}
    assert set(kind.probability_columns()) <= {kind.column(s) for s in columns}
    if "low" in columns:
        assert torch.all(columns["low"] <= columns["pred"])
        assert torch.all(columns["pred"] <= columns["high"])


def prediction_table(kind: TaskKind, n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Predictions and targets of ``kind`` as ``evaluate.py``'s table holds them."""
    output = toy_outputs(kind, n, heteroscedastic=True, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)
    stored_target = kind.sample(output + 0.3 * torch.randn(output.shape, generator=generator,
                                                            dtype=output.dtype), generator)
    table = {kind.column(s): v.numpy() for s, v in kind.predict(output).items()}
    table[kind.column("target")] = np.asarray(kind.reported_target(stored_target.numpy()))
    table[kind.column("mask")] = np.ones(n, dtype=bool)
    return pd.DataFrame(table)


def reference(metric: str, d: dict) -> float:
    """Each vocabulary metric computed another way (sklearn / scipy / by hand)."""
    y, p = d["target"], d["pred"]
    prob = d.get("prob")
    if metric == "ece":  # equal-width bins, by hand with np.histogram
        confidence, hit = ((prob, y) if prob.ndim == 1 else (prob.max(1), (p == y) * 1.0))
        edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
        index = np.clip(np.digitize(confidence, edges[1:-1]), 0, CALIBRATION_BINS - 1)
        return sum(abs(np.sum(hit[index == b] - confidence[index == b]))
                   for b in range(CALIBRATION_BINS)) / len(y)
    if metric == "nll":
        return -np.mean(stats.norm.logpdf(y, p, d["std"]))
    if metric.startswith("coverage_"):
        return np.mean((y >= d["low"]) & (y <= d["high"]))
    return {
        "mae": lambda: skm.mean_absolute_error(y, p),
        "rmse": lambda: skm.root_mean_squared_error(y, p),
        "r2": lambda: skm.r2_score(y, p),
        "pearson": lambda: stats.pearsonr(p, y)[0],
        "spearman": lambda: stats.spearmanr(p, y)[0],
        "pw20": lambda: np.mean(np.abs(p - y) <= 0.2 * y),
        "auroc": lambda: skm.roc_auc_score(y, prob),
        "auprc": lambda: skm.average_precision_score(y, prob),
        "accuracy": lambda: skm.accuracy_score(y, p),
        "brier": lambda: skm.brier_score_loss(y, prob),
        "balanced_accuracy": lambda: skm.balanced_accuracy_score(y, p),
        "macro_auroc": lambda: skm.roc_auc_score(y, prob, multi_class="ovr"),
    }[metric]()


@pytest.mark.parametrize("name", KIND_NAMES)
def test_evaluation_metrics_match_sklearn_and_scipy(name):
    kind = kind_of(name)
    arrays = kind.metric_arrays(prediction_table(kind))
    metrics = kind.metrics(set(arrays))
    assert kind.headline_metric in metrics
    for metric, fn in metrics.items():
        value = float(fn(arrays, np.ones((1, len(arrays["target"]))))[0])
        assert value == pytest.approx(reference(metric, arrays), abs=1e-9), metric


@pytest.mark.parametrize("name", KIND_NAMES)
def test_training_metrics_have_evaluations_names_and_values(name):
    kind = kind_of(name)
    output = toy_outputs(kind, 400, heteroscedastic=False)
    target = kind.sample(output + 0.3, torch.Generator().manual_seed(5))
    table = pd.DataFrame({kind.column(s): v.numpy() for s, v in kind.predict(output).items()})
    table[kind.column("target")] = kind.reported_target(target.numpy())
    table[kind.column("mask")] = True
    arrays = kind.metric_arrays(table)
    evaluation = kind.metrics(set(arrays))
    collection = kind.torchmetrics("val/y/")
    collection.update(kind.metric_input(output.float()), kind.metric_target(target.float()))
    logged = {key.removeprefix("val/y/"): float(v) for key, v in collection.compute().items()}
    assert set(logged) == set(evaluation)
    for metric, value in logged.items():
        expected = float(evaluation[metric](arrays, np.ones((1, len(target))))[0])
        assert value == pytest.approx(expected, abs=2e-4), metric


def test_sqrt_dose_is_reported_in_mg_per_week():
    kind = task_kind(TaskSpec("sqrt_dose", "regression", "mg/week", transform="sqrt"))
    output = torch.tensor([[6.0, float(np.log(0.25))], [-1.0, float(np.log(0.25))]])  # sd 0.5
    columns = kind.predict(output)
    torch.testing.assert_close(columns["pred"], torch.tensor([36.0, 0.0]))
    half = 1.6448536 * 0.5
    torch.testing.assert_close(columns["low"][0], torch.tensor((6 - half) ** 2))
    torch.testing.assert_close(columns["high"][0], torch.tensor((6 + half) ** 2))
    torch.testing.assert_close(columns["std"][0], torch.tensor(2 * 6 * 0.5))  # delta method
    assert "pw20" in kind.metrics() and "pw20" not in task_kind(TaskSpec("z", "regression")
                                                                 ).metrics()
    np.testing.assert_allclose(kind.reported_target(np.array([7.0, np.nan])), [49.0, np.nan])


def test_a_new_kind_is_one_registered_class(monkeypatch):
    monkeypatch.setattr("pgxdl.tasks.registry.KINDS", dict(KINDS))

    class Count(KINDS["regression"]):
        name = "count"

    register_kind(Count)
    assert isinstance(task_kind(TaskSpec("visits", "count")), Count)
    with pytest.raises(ValueError, match="already registered"):
        register_kind(type("Other", (Count,), {"name": "regression"}))


def test_old_task_records_read_as_identity_and_hash_as_before():
    old = {"name": "sqrt_dose", "kind": "regression", "units": "sqrt(mg/week)", "n_classes": 0}
    spec = TaskSpec(**old)
    assert spec.transform == "identity" and spec.to_record() == old
    new = TaskSpec("sqrt_dose", "regression", "mg/week", transform="sqrt")
    assert new.to_record()["transform"] == "sqrt"


@pytest.mark.parametrize("transform", ["identity", "sqrt"])
def test_regression_interval_is_the_gaussian_interval_mapped_through_the_inverse(transform):
    kind = task_kind(TaskSpec("dose", "regression", "mg/week", transform=transform))
    output = torch.tensor([[5.0, 2 * np.log(0.5)]])  # mean 5, sd 0.5 on the stored scale
    z = stats.norm.ppf(0.5 + INTERVAL_LEVEL / 2)
    inverse = (lambda v: v) if transform == "identity" else np.square
    columns = kind.predict(output)
    np.testing.assert_allclose(columns["low"].numpy(), inverse(5.0 - z * 0.5), rtol=1e-6)
    np.testing.assert_allclose(columns["high"].numpy(), inverse(5.0 + z * 0.5), rtol=1e-6)
    np.testing.assert_allclose(columns["pred"].numpy(), inverse(5.0), rtol=1e-6)
