"""Captum attribution methods on pgxdl's multimodal inputs, one batch at a time.

The model is a scalar wrapper (:class:`pgxdl.models.TaskOutput`) with the positional
forward ``(sequence, numeric, numeric_missing, categorical, drug) -> (N,)``. Gradient
methods attribute the float inputs ``(sequence, numeric, numeric_missing)`` together and
pass ``(categorical, drug)`` as ``additional_forward_args``; float inputs the model does
not use (the sequence of a tabular-only model) travel with them and get zero attribution.
Feature ablation also ablates ``categorical`` (to code 0, "unknown").

Conventions, all relative to a baseline (see :mod:`pgxdl.interpret.reference_inputs`):

- ``ig``, ``deeplift``: the reference baseline; convergence deltas are reported.
- ``deepliftshap``, ``gradientshap``: every baseline row (the reference and a background).
- ``inputxgradient``: ``(x - x0) * grad f(x)``, Captum's InputXGradient applied to the
  difference from the reference (a shifted model), so untouched positions get zero.
- ``saliency``: ``|grad f(x)|`` (no baseline; a sensitivity, not a contribution).
- ``ablation``: Captum FeatureAblation; each carried variant position, each numeric
  feature (with its missing indicator) and each categorical feature is one group, set
  to the baseline. A group's effect is spread evenly over its elements, so summing a
  group's attributions gives its ablation effect.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from captum.attr import (
    DeepLift,
    DeepLiftShap,
    FeatureAblation,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    Saliency,
)
from torch import nn

from pgxdl.interpret.reference_inputs import Baselines

#: Method names, in the order reports list them.
METHODS = ("ig", "deeplift", "deepliftshap", "gradientshap", "inputxgradient", "saliency",
           "ablation")
#: Methods that average over several baseline rows.
SHAP_METHODS = ("deepliftshap", "gradientshap")
#: Methods that return Captum convergence deltas.
DELTA_METHODS = ("ig", "deeplift")
GRADIENT_INPUTS = ("sequence", "numeric", "numeric_missing")
ABLATION_INPUTS = (*GRADIENT_INPUTS, "categorical")
MODEL_INPUT_ORDER = (*ABLATION_INPUTS, "drug")
#: Captum's informational warnings on every call (inputs made to require gradients,
#: hooks set on activations), silenced so real warnings stay visible.
_CAPTUM_NOTICES = (".*did not already require gradients.*", ".*Setting forward, backward hooks.*")


@dataclass
class BatchAttribution:
    """Attributions of one batch; shapes follow the inputs.

    sequence ``(N, W, C, L)``, numeric and numeric_missing ``(N, F_num)``,
    categorical ``(N, F_cat)`` (``None`` unless ablated), delta ``(N,)`` (``None`` unless
    the method reports convergence deltas).
    """

    sequence: torch.Tensor
    numeric: torch.Tensor
    numeric_missing: torch.Tensor
    categorical: torch.Tensor | None = None
    delta: torch.Tensor | None = None


class BaselineShift(nn.Module):
    """``g(d_1, ..., d_k, *fixed) = f(x0_1 + d_1, ..., x0_k + d_k, *fixed)``: inputs as shifts."""

    def __init__(self, model: nn.Module, baselines: tuple[torch.Tensor, ...]):
        super().__init__()
        self.model = model
        self.baselines = baselines

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        k = len(self.baselines)
        shifted = tuple(b + d for b, d in zip(self.baselines, args[:k], strict=True))
        return self.model(*shifted, *args[k:])


@contextlib.contextmanager
def seeded_captum(seed: int) -> Iterator[None]:
    """Seed the global torch and numpy generators Captum samples from; restore them after."""
    state = np.random.get_state()  # noqa: NPY002 (restored below)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            np.random.seed(seed)  # noqa: NPY002 (Captum draws from the global generator)
            yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


@contextlib.contextmanager
def _deterministic_warn_only() -> Iterator[None]:
    """Let DeepLift's max-unpooling run after a ``deterministic=True`` Trainer set strict mode.

    PyTorch has no deterministic ``max_unpool``; strict mode would raise, so it warns
    instead for the duration of the attribution and is restored afterwards.
    """
    strict = (torch.are_deterministic_algorithms_enabled()
              and not torch.is_deterministic_algorithms_warn_only_enabled())
    if strict:
        torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        if strict:
            torch.use_deterministic_algorithms(True, warn_only=False)


def _ablation_masks(inputs: dict[str, torch.Tensor], baselines: Baselines
                    ) -> tuple[torch.Tensor, ...]:
    """Per-example feature masks: one group per differing sequence position, per feature.

    Sequence positions where the input differs from the baseline (carried variants) get
    groups ``1..P`` per example (the rest share group 0, which changes nothing); numeric
    feature ``j`` and its missing indicator share group ``P + 1 + j``; categorical ``k``
    is group ``P + 1 + F_num + k``.
    """
    sequence = inputs["sequence"]
    n, w, c, length = sequence.shape
    differs = (sequence != baselines.sequence).any(dim=2)  # (N, W, L)
    group = torch.cumsum(differs.reshape(n, -1).long(), dim=1).reshape(n, w, length)
    group = torch.where(differs, group, torch.zeros_like(group))
    n_positions = int(group.max()) if group.numel() else 0
    sequence_mask = group[:, :, None, :].expand(n, w, c, length)
    f_num = inputs["numeric"].shape[1]
    numeric_mask = torch.arange(f_num, device=sequence.device)[None] + n_positions + 1
    categorical_mask = (torch.arange(inputs["categorical"].shape[1], device=sequence.device)[None]
                        + n_positions + 1 + f_num)
    return sequence_mask, numeric_mask, numeric_mask, categorical_mask


def _spread_groups(attribution: tuple[torch.Tensor, ...], masks: tuple[torch.Tensor, ...]
                   ) -> tuple[torch.Tensor, ...]:
    """Divide each element's attribution by its group's size (per example)."""
    n = attribution[0].shape[0]
    flat = [m.expand_as(a).reshape(n, -1) for a, m in zip(attribution, masks, strict=True)]
    every = torch.cat(flat, dim=1)
    sizes = torch.zeros(n, int(every.max()) + 1, device=every.device)
    sizes.scatter_add_(1, every, torch.ones_like(every, dtype=sizes.dtype))
    return tuple(a / sizes.gather(1, m).reshape(a.shape)
                 for a, m in zip(attribution, flat, strict=True))


def attribute_batch(model: nn.Module, inputs: dict[str, torch.Tensor], method: str,
                    baselines: Baselines, n_steps: int = 50, n_samples: int = 16,
                    internal_batch_size: int | None = None, seed: int = 0
                    ) -> BatchAttribution:
    """Attribute one batch with ``method`` (one of :data:`METHODS`).

    Parameters
    ----------
    model : scalar model, ``forward(sequence, numeric, numeric_missing, categorical, drug)
        -> (N,)``, in eval mode, on the inputs' device.
    inputs : model inputs of the batch contract (``sequence (N, W, C, L)`` one-hot, ...).
    baselines : baseline rows on the inputs' device; only the first (reference) row is
        used except by :data:`SHAP_METHODS`.
    n_steps : integration steps of ``ig``.
    n_samples : random samples per example of ``gradientshap``.
    internal_batch_size : evaluations per forward pass inside ``ig`` (memory bound).
    seed : seed of ``gradientshap``'s sampling.
    """
    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; use one of {list(METHODS)}")
    if method in SHAP_METHODS and baselines.size < 2:
        raise ValueError(f"{method} averages over several baselines but got one; use "
                         "cohort baselines (the reference plus background people)")
    with warnings.catch_warnings(), _deterministic_warn_only():
        for message in _CAPTUM_NOTICES:
            warnings.filterwarnings("ignore", message=message)
        result = _attribute(model, inputs, method, baselines, n_steps, n_samples,
                            internal_batch_size, seed)
    return BatchAttribution(*(None if t is None else t.detach() for t in (
        result.sequence, result.numeric, result.numeric_missing, result.categorical,
        result.delta)))


class Reordered(nn.Module):
    """``g(*args) = f(*(args[i] for i in order))``: call a model with its inputs reordered."""

    def __init__(self, model: nn.Module, order: list[int]):
        super().__init__()
        self.model = model
        self.order = order

    def forward(self, *args: torch.Tensor) -> torch.Tensor:
        return self.model(*(args[i] for i in self.order))


def used_inputs(model: nn.Module, inputs: dict[str, torch.Tensor]) -> list[str]:
    """Names of the float inputs ``model``'s output depends on (one forward and backward).

    A tabular-only model ignores ``sequence``, a sequence-only one ``numeric``; gradient
    methods cannot differentiate through an input that is not in the graph.
    """
    probes = {k: inputs[k].detach().clone().requires_grad_(True) for k in GRADIENT_INPUTS}
    with torch.enable_grad():
        output = model(*(probes.get(k, inputs[k]) for k in MODEL_INPUT_ORDER)).sum()
        grads = torch.autograd.grad(output, list(probes.values()), allow_unused=True)
    return [k for k, g in zip(GRADIENT_INPUTS, grads, strict=True) if g is not None]


def _attribute(model: nn.Module, inputs: dict[str, torch.Tensor], method: str,
               baselines: Baselines, n_steps: int, n_samples: int,
               internal_batch_size: int | None, seed: int) -> BatchAttribution:
    rows = baselines if method in SHAP_METHODS else baselines.first()
    base_of = {"sequence": rows.sequence, "numeric": rows.numeric,
               "numeric_missing": rows.numeric_missing, "categorical": rows.categorical}
    if method == "ablation":
        masks = _ablation_masks(inputs, rows)
        raw = FeatureAblation(model).attribute(
            tuple(inputs[k] for k in ABLATION_INPUTS),
            baselines=tuple(base_of[k] for k in ABLATION_INPUTS),
            additional_forward_args=(inputs["drug"],), feature_mask=masks)
        spread = _spread_groups(raw, masks)
        return BatchAttribution(*spread[:3], categorical=spread[3])
    used = used_inputs(model, inputs)
    if not used:
        raise ValueError("the model's output depends on none of the float inputs "
                         f"{list(GRADIENT_INPUTS)}: use method 'ablation'")
    fixed_names = [k for k in MODEL_INPUT_ORDER if k not in used]
    call = used + fixed_names
    wrapped = Reordered(model, [call.index(k) for k in MODEL_INPUT_ORDER])
    floats = tuple(inputs[k] for k in used)
    base = tuple(base_of[k] for k in used)
    fixed = tuple(inputs[k] for k in fixed_names)
    attribution, delta = _gradient_method(wrapped, method, floats, base, fixed, n_steps,
                                          n_samples, internal_batch_size, seed)
    found = dict(zip(used, attribution, strict=True))
    return BatchAttribution(*(found.get(k, torch.zeros_like(inputs[k]))
                              for k in GRADIENT_INPUTS), delta=delta)


def _gradient_method(model: nn.Module, method: str, floats: tuple[torch.Tensor, ...],
                     base: tuple[torch.Tensor, ...], fixed: tuple[torch.Tensor, ...],
                     n_steps: int, n_samples: int, internal_batch_size: int | None,
                     seed: int) -> tuple[tuple[torch.Tensor, ...], torch.Tensor | None]:
    """Attributions of ``floats`` (and the convergence delta, or ``None``)."""
    if method == "ig":
        return IntegratedGradients(model).attribute(
            floats, baselines=base, additional_forward_args=fixed, n_steps=n_steps,
            internal_batch_size=internal_batch_size, return_convergence_delta=True)
    if method == "deeplift":
        return DeepLift(model).attribute(floats, baselines=base, additional_forward_args=fixed,
                                         return_convergence_delta=True)
    if method == "deepliftshap":
        return DeepLiftShap(model).attribute(floats, baselines=base,
                                             additional_forward_args=fixed), None
    if method == "gradientshap":
        with seeded_captum(seed):
            return GradientShap(model).attribute(
                floats, baselines=base, additional_forward_args=fixed, n_samples=n_samples,
                stdevs=0.0), None
    if method == "inputxgradient":
        shifted = BaselineShift(model, base)
        deltas = tuple(x - b for x, b in zip(floats, base, strict=True))
        return InputXGradient(shifted).attribute(deltas, additional_forward_args=fixed), None
    return Saliency(model).attribute(floats, additional_forward_args=fixed, abs=True), None
