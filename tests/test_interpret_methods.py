"""Captum methods against exact answers (linear model), each other, and ISM (ReLU model)."""

from __future__ import annotations

import pytest
import torch
from interpret_fixtures import LinearToyModel, ReluToyModel, write_variant_store

from pgxdl.data.batch import finalize_batch
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.interpret.explain import explain_part
from pgxdl.interpret.methods import attribute_batch
from pgxdl.interpret.reference_inputs import Baselines, make_baselines
from pgxdl.models import TaskOutput


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    store = write_variant_store(tmp_path_factory.mktemp("methods") / "store.h5")
    return CohortDataModule(str(store), batch_size=10)


@pytest.fixture(scope="module")
def batch(data):
    return finalize_batch(next(iter(data.dataloader("all"))))


@pytest.fixture(scope="module")
def linear(data):
    return LinearToyModel(data.spec).eval()


def exact(model: LinearToyModel, batch: dict, baseline: Baselines) -> tuple[torch.Tensor, ...]:
    """``w * (x - x0)`` for sequence, numeric and missing indicators (x0 = mean baseline)."""
    with torch.no_grad():
        return (model.seq_weight * (batch["sequence"] - baseline.sequence.mean(0)),
                model.num_weight * (batch["numeric"] - baseline.numeric.mean(0)),
                model.miss_weight * (batch["numeric_missing"] - baseline.numeric_missing.mean(0)))


@pytest.mark.parametrize("method", ["ig", "deeplift", "inputxgradient"])
def test_difference_methods_are_exact_on_a_linear_model(data, batch, linear, method):
    reference = make_baselines(data, "reference")
    result = attribute_batch(TaskOutput(linear, "dose"), batch, method, reference)
    for got, want in zip((result.sequence, result.numeric, result.numeric_missing),
                         exact(linear, batch, reference), strict=True):
        torch.testing.assert_close(got, want, atol=2e-5, rtol=1e-4)
    # against the reference, the sequence attribution lives only where variants are
    assert (result.sequence.abs().sum(dim=2) > 0).sum() <= (
        batch["sequence"] != reference.sequence).any(dim=2).sum()
    if method in ("ig", "deeplift"):
        assert result.delta.abs().max() < 1e-3


def test_deepliftshap_averages_over_the_background(data, batch, linear):
    background = make_baselines(data, "cohort", n_people=5, seed=3)
    assert background.size == 6
    result = attribute_batch(TaskOutput(linear, "dose"), batch, "deepliftshap", background)
    for got, want in zip((result.sequence, result.numeric, result.numeric_missing),
                         exact(linear, batch, background), strict=True):
        torch.testing.assert_close(got, want, atol=2e-5, rtol=1e-4)


def test_gradientshap_is_exact_with_identical_baselines_and_seeded(data, batch, linear):
    reference = make_baselines(data, "reference")
    twice = Baselines(*(torch.cat([t, t]) for t in (
        reference.sequence, reference.numeric, reference.numeric_missing,
        reference.categorical)))
    scalar = TaskOutput(linear, "dose")
    result = attribute_batch(scalar, batch, "gradientshap", twice, n_samples=4)
    torch.testing.assert_close(result.sequence, exact(linear, batch, reference)[0],
                               atol=2e-5, rtol=1e-4)
    relu = TaskOutput(ReluToyModel(data.spec), "dose").eval()
    background = make_baselines(data, "cohort", n_people=6)
    first, again, other = (attribute_batch(relu, batch, "gradientshap", background, seed=s)
                           for s in (1, 1, 2))
    torch.testing.assert_close(first.sequence, again.sequence)
    assert not torch.allclose(first.sequence, other.sequence)


def test_ablation_groups_sum_to_exact_contributions(data, batch, linear):
    reference = make_baselines(data, "reference")
    result = attribute_batch(TaskOutput(linear, "dose"), batch, "ablation", reference)
    want_seq, want_num, want_miss = exact(linear, batch, reference)
    torch.testing.assert_close(result.sequence.sum(dim=2), want_seq.sum(dim=2), atol=2e-5,
                               rtol=1e-4)
    torch.testing.assert_close(result.numeric + result.numeric_missing, want_num + want_miss,
                               atol=2e-5, rtol=1e-4)
    with torch.no_grad():
        site = linear.cat_weight[0]
        want_cat = site[batch["categorical"][:, 0]] - site[0]
    torch.testing.assert_close(result.categorical[:, 0], want_cat, atol=2e-5, rtol=1e-4)


def test_saliency_is_the_absolute_gradient(data, batch, linear):
    result = attribute_batch(TaskOutput(linear, "dose"), batch, "saliency",
                             make_baselines(data, "reference"))
    want = linear.seq_weight.detach().abs().expand_as(result.sequence)
    torch.testing.assert_close(result.sequence, want)


def test_ig_and_deeplift_are_complete_on_a_relu_model(data, batch):
    model = TaskOutput(ReluToyModel(data.spec, seed=1), "dose").eval()
    reference = make_baselines(data, "reference")
    with torch.no_grad():
        gap = (model(batch["sequence"], batch["numeric"], batch["numeric_missing"],
                     batch["categorical"], batch["drug"])
               - model(reference.sequence.expand_as(batch["sequence"]),
                       torch.zeros_like(batch["numeric"]),
                       torch.zeros_like(batch["numeric_missing"]),
                       batch["categorical"], batch["drug"]))
    for method in ("ig", "deeplift"):
        result = attribute_batch(model, batch, method, reference, n_steps=200)
        total = (result.sequence.sum(dim=(1, 2, 3)) + result.numeric.sum(1)
                 + result.numeric_missing.sum(1))
        torch.testing.assert_close(total, gap, atol=5e-3, rtol=1e-3)
        assert result.delta.abs().max() < 5e-3


def test_methods_agree_with_ism_per_variant(data):
    """Linear: every difference method equals ISM; ReLU: ablation of a variant is ISM."""
    linear = LinearToyModel(data.spec)
    for method in ("ig", "deeplift", "inputxgradient", "ablation"):
        found = explain_part(linear, data, "dose", method, part="all", ism=True)
        torch.testing.assert_close(torch.tensor(found.variants["attribution"].to_numpy()),
                                   torch.tensor(found.variants["ism"].to_numpy()),
                                   atol=5e-5, rtol=1e-4)
    relu = explain_part(ReluToyModel(data.spec, seed=2), data, "dose", "ablation",
                        part="all", ism=True)
    torch.testing.assert_close(torch.tensor(relu.variants["attribution"].to_numpy()),
                               torch.tensor(relu.variants["ism"].to_numpy()),
                               atol=5e-5, rtol=1e-4)
    assert relu.variants["ism"].abs().max() > 1e-3  # the check is not vacuous


def test_event_task_scales_the_linear_attributions(data, batch, linear):
    reference = make_baselines(data, "reference")
    dose = attribute_batch(TaskOutput(linear, "dose"), batch, "ig", reference)
    event = attribute_batch(TaskOutput(linear, "event"), batch, "ig", reference)
    torch.testing.assert_close(event.sequence, -0.5 * dose.sequence, atol=1e-5, rtol=1e-4)


def test_bad_method_and_single_baseline_shap_fail_clearly(data, batch, linear):
    scalar = TaskOutput(linear, "dose")
    reference = make_baselines(data, "reference")
    with pytest.raises(ValueError, match="unknown attribution method 'lime'"):
        attribute_batch(scalar, batch, "lime", reference)
    with pytest.raises(ValueError, match="deepliftshap averages over several baselines"):
        attribute_batch(scalar, batch, "deepliftshap", reference)
    with pytest.raises(ValueError, match="unknown baseline kind 'zeros'"):
        make_baselines(data, "zeros")


def test_tabular_only_data_gets_feature_scores_and_no_variants(data):
    tabular = CohortDataModule(data.store, batch_size=10, with_sequence=False)
    model = LinearToyModel(data.spec)
    for method in ("ig", "deepliftshap", "ablation"):
        found = explain_part(model, tabular, "dose", method, part="all", ism=True)
        assert found.variants.empty and found.genes.empty
        assert set(found.features["feature"]) >= {"age", "weight", "smoker"}
    found = explain_part(model, tabular, "dose", "ig", part="all")
    batch = next(iter(tabular.dataloader("all")))
    with torch.no_grad():
        want = (model.num_weight * batch["numeric"]
                + model.miss_weight * batch["numeric_missing"])[:, 0]
    got = found.features[found.features["feature"] == "age"].set_index("observation")
    torch.testing.assert_close(torch.tensor(got.loc[batch["index"].numpy(), "attribution"]
                                            .to_numpy(), dtype=torch.float32), want,
                               atol=1e-5, rtol=1e-4)
