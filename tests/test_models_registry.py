"""Every encoder and fusion class in ``pgxdl.models`` keeps the shape contract, found by
subclass discovery: a new part is tested by existing alone (docs/extending.md)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import torch
from fakes import make_spec, random_batch

import pgxdl.models
from pgxdl.models.fusion import Fusion, ModalityDims
from pgxdl.models.sequence import SequenceEncoder

for _module in pkgutil.iter_modules(pgxdl.models.__path__, "pgxdl.models."):
    importlib.import_module(_module.name)

SPEC = make_spec(n_windows=2, window_length=64)
N = 4


def concrete_subclasses(base: type) -> list[type]:
    """All non-abstract subclasses of ``base`` defined in ``pgxdl.models``."""
    found, stack = [], list(base.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("pgxdl.models") and not inspect.isabstract(cls):
            found.append(cls)
    return sorted(set(found), key=lambda c: c.__name__)


def test_discovery_finds_the_shipped_parts():
    fusions = {c.__name__ for c in concrete_subclasses(Fusion)}
    encoders = {c.__name__ for c in concrete_subclasses(SequenceEncoder)}
    assert {"ConcatFusion", "GatedFusion", "FiLMFusion", "CrossAttentionFusion"} <= fusions
    assert {"CNNSequenceEncoder", "RNNSequenceEncoder"} <= encoders


@pytest.mark.parametrize("encoder_class", concrete_subclasses(SequenceEncoder),
                         ids=lambda c: c.__name__)
def test_every_sequence_encoder_keeps_the_shape_contract(encoder_class):
    torch.manual_seed(0)
    encoder = encoder_class(SPEC)
    batch = random_batch(SPEC, N, seed=0)
    features = encoder(batch["sequence"])
    assert features.pooled.shape == (N, encoder.out_dim)
    assert features.tokens.shape == (N, encoder.n_tokens, encoder.token_dim)
    features.pooled.sum().backward()
    assert all(p.grad is not None for p in encoder.parameters() if p.requires_grad)


@pytest.mark.parametrize("fusion_class", concrete_subclasses(Fusion), ids=lambda c: c.__name__)
def test_every_fusion_keeps_the_shape_contract(fusion_class):
    torch.manual_seed(0)
    dims = ModalityDims(sequence=12, sequence_tokens=6, tabular=5)
    fusion = fusion_class(dims)
    sequence = torch.randn(N, dims.sequence, requires_grad=True)
    tokens = torch.randn(N, 7, dims.sequence_tokens, requires_grad=True)
    tabular = torch.randn(N, dims.tabular, requires_grad=True)
    fused = fusion(sequence, tokens, tabular)
    assert fused.shape == (N, fusion.out_dim)
    fused.square().sum().backward()
    assert tabular.grad.abs().sum() > 0  # the tabular side reaches the output
    reached = [x.grad.abs().sum() for x in (sequence, tokens) if x.grad is not None]
    assert reached and sum(reached) > 0  # and so does the sequence side (pooled or tokens)
