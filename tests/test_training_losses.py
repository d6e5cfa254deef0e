"""Masked multi-task loss, heteroscedastic NLL and target scaling."""

from __future__ import annotations

import pytest
import torch
from fakes import TASKS

from pgxdl.data.spec import TaskSpec
from pgxdl.tasks import task_kind
from pgxdl.tasks.regression import gaussian_nll
from pgxdl.training.losses import MultiTaskLoss
from pgxdl.training.scaling import TargetScaler


def outputs_and_targets(n: int = 12, seed: int = 0, heteroscedastic: bool = False):
    generator = torch.Generator().manual_seed(seed)
    outputs = {"dose": torch.randn(n, 2 if heteroscedastic else 1, generator=generator),
               "bleeding": torch.randn(n, 1, generator=generator),
               "response": torch.randn(n, 3, generator=generator)}
    target = torch.stack([torch.randn(n, generator=generator),
                          torch.randint(0, 2, (n,), generator=generator).float(),
                          torch.randint(0, 3, (n,), generator=generator).float()], dim=1)
    mask = torch.rand(n, 3, generator=generator) > 0.3
    return outputs, target, mask


def test_gaussian_nll_equals_torch_gaussian_nll_loss():
    generator = torch.Generator().manual_seed(1)
    mean, log_var, target = (torch.randn(50, generator=generator) for _ in range(3))
    reference = torch.nn.GaussianNLLLoss(full=False, reduction="none")(
        mean, target, torch.exp(log_var))
    torch.testing.assert_close(gaussian_nll(mean, log_var, target), reference)


def test_masked_loss_equals_mean_over_present_labels():
    outputs, target, mask = outputs_and_targets()
    loss = MultiTaskLoss(TASKS)
    total, per_task = loss(outputs, target, mask)
    keep = mask[:, 0]
    expected_dose = ((outputs["dose"][keep, 0] - target[keep, 0]) ** 2).mean()
    keep = mask[:, 2]
    expected_response = torch.nn.functional.cross_entropy(outputs["response"][keep],
                                                          target[keep, 2].long())
    torch.testing.assert_close(per_task["dose"], expected_dose)
    torch.testing.assert_close(per_task["response"], expected_response)
    torch.testing.assert_close(total, sum(per_task.values()))


def test_masked_labels_change_neither_loss_nor_gradients():
    outputs, target, mask = outputs_and_targets(heteroscedastic=True)
    loss = MultiTaskLoss(TASKS)
    garbage = torch.where(mask, target, torch.full_like(target, 1e6))
    garbage[:, 2] = torch.where(mask[:, 2], target[:, 2], torch.zeros_like(target[:, 2]))
    grads = []
    for values in (target, garbage):
        leaves = {k: v.clone().requires_grad_(True) for k, v in outputs.items()}
        total, _ = loss(leaves, values, mask)
        total.backward()
        grads.append((total.detach(), {k: v.grad for k, v in leaves.items()}))
    torch.testing.assert_close(grads[0][0], grads[1][0])
    for key in outputs:
        torch.testing.assert_close(grads[0][1][key], grads[1][1][key])
        missing = ~mask[:, [t.name for t in TASKS].index(key)]
        assert torch.all(grads[0][1][key][missing] == 0)


def test_a_task_without_labels_contributes_zero():
    outputs, target, mask = outputs_and_targets()
    mask[:, 1] = False
    total, per_task = MultiTaskLoss(TASKS)(outputs, target, mask)
    assert per_task["bleeding"] == 0
    torch.testing.assert_close(total, per_task["dose"] + per_task["response"])


def test_task_weights_scale_the_sum_and_unknown_names_fail():
    outputs, target, mask = outputs_and_targets()
    _, per_task = MultiTaskLoss(TASKS)(outputs, target, mask)
    total, _ = MultiTaskLoss(TASKS, {"dose": 2.0, "response": 0.0})(outputs, target, mask)
    torch.testing.assert_close(total, 2 * per_task["dose"] + per_task["bleeding"])
    with pytest.raises(ValueError, match=r"unknown tasks \['ic50'\]"):
        MultiTaskLoss(TASKS, {"ic50": 1.0})


def test_heteroscedastic_regression_uses_the_variance_column():
    output = torch.tensor([[1.0, 0.0], [1.0, 2.0]])
    target = torch.tensor([3.0, 3.0])
    expected = 0.5 * torch.tensor([0.0 + 4.0, 2.0 + 4.0 * torch.exp(torch.tensor(-2.0))])
    loss = task_kind(TaskSpec("d", "regression")).loss(output, target)
    torch.testing.assert_close(loss, expected)


def test_regression_point_losses_against_torch():
    task = TaskSpec("d", "regression")
    output, target = torch.tensor([[1.0], [0.0], [2.5]]), torch.tensor([3.0, 0.5, 2.0])
    mse = torch.nn.functional.mse_loss(output[:, 0], target, reduction="none")
    torch.testing.assert_close(task_kind(task).loss(output, target), mse)
    torch.testing.assert_close(task_kind(task).loss(output, target, "l1"),
                               torch.tensor([2.0, 0.5, 0.5]))
    # huber, delta 1: 0.5 r^2 within one unit, |r| - 0.5 beyond
    torch.testing.assert_close(task_kind(task).loss(output, target, "huber"),
                               torch.tensor([1.5, 0.125, 0.125]))
    with pytest.raises(ValueError, match="heteroscedastic head .* 'l1' applies to point"):
        task_kind(task).loss(torch.zeros(3, 2), target, "l1")
    with pytest.raises(ValueError, match="regression_loss must be one of"):
        MultiTaskLoss([task], regression_loss="mae")


def test_l1_loss_fits_the_median_and_mse_the_mean():
    """Minimising over a constant: L1 lands on the median of skewed targets, MSE on the mean."""
    task = TaskSpec("d", "regression")
    target = torch.tensor([1.0, 2.0, 3.0, 4.0, 40.0])
    for loss, expected in (("l1", target.median()), ("mse", target.mean())):
        constant = torch.zeros(1, requires_grad=True)
        optimiser = torch.optim.Adam([constant], lr=0.1)
        for _ in range(3000):
            optimiser.zero_grad()
            task_kind(task).loss(constant.expand(5, 1), target, loss).mean().backward()
            optimiser.step()
        assert abs(constant.item() - expected.item()) < 0.1, loss


def test_target_scaler_round_trip_and_variance_units():
    scaler = TargetScaler(TASKS, {"dose": {"mean": 30.0, "std": 4.0}})
    target = torch.tensor([[38.0, 1.0, 2.0]])
    torch.testing.assert_close(scaler.scale_target(target), torch.tensor([[2.0, 1.0, 2.0]]))
    scaled_output = torch.tensor([[2.0, 0.0]])  # mean 2 sd, unit variance in model units
    in_units = scaler.unscale_output(0, scaled_output)
    torch.testing.assert_close(in_units, torch.tensor([[38.0, 2 * torch.log(torch.tensor(4.0))]]))
    with pytest.raises(ValueError, match="not a task with standardised targets"):
        TargetScaler(TASKS, {"bleeding": {"mean": 0, "std": 1}})
