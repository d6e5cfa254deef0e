"""Receptive field helper against the gradient footprint of one output token."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pgxdl.models.receptive_field import receptive_field
from pgxdl.models.sequence_cnn import CNNTrunk


def gradient_footprint(trunk: nn.Module, length: int, token: int, trials: int = 4) -> set[int]:
    """Input positions whose value reaches output ``token`` (union over random inputs)."""
    positions: set[int] = set()
    for seed in range(trials):
        torch.manual_seed(seed)
        x = torch.randn(1, 4, length, requires_grad=True)
        trunk(x)[0, token].sum().backward()
        positions |= set(torch.nonzero(x.grad.abs().sum(dim=1)[0]).flatten().tolist())
    return positions


@pytest.mark.parametrize("widths,depth,kernel,growth,stem_kernel,stem_pool,stage_pool", [
    ([8], 0, 3, 2, 5, 1, 1),
    ([8], 3, 3, 2, 7, 1, 1),
    ([8, 8], 2, 5, 3, 9, 2, 2),
    ([8, 12, 16], 2, 3, 2, 15, 4, 2),
])
def test_receptive_field_matches_gradient_footprint(widths, depth, kernel, growth, stem_kernel,
                                                    stem_pool, stage_pool):
    length = 512
    trunk = CNNTrunk(4, length, widths, depth, kernel, growth, stem_kernel, stem_pool,
                     stage_pool, dropout=0.0).eval()
    field, stride = receptive_field(trunk)
    assert stride == stem_pool * stage_pool ** (len(widths) - 1)
    token = trunk.n_tokens // 2
    footprint = gradient_footprint(trunk, length, token)
    assert max(footprint) - min(footprint) + 1 == field
    assert len(footprint) == field  # contiguous: no holes in the dilated stack


def test_receptive_field_by_hand():
    # conv k=5 (4), pool 2 (+1, stride 2), conv k=3 dilation 2 (+2*2*2=8): 1 + 4 + 1 + 8
    chain = nn.Sequential(nn.Conv1d(4, 4, 5), nn.MaxPool1d(2), nn.Conv1d(4, 4, 3, dilation=2))
    assert receptive_field(chain) == (14, 2)
