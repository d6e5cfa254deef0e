"""Small building blocks shared by the sequence encoders.

Every activation is its own ``nn.ReLU`` instance (DeepLift and other Captum methods
hook modules, so one module reused at two places would corrupt their attributions).
"""

from __future__ import annotations

import torch
from torch import nn


def make_norm(kind: str, channels: int) -> nn.Module:
    """Normalisation over ``(B, C, L)``: ``batch`` (BatchNorm1d) or ``group`` (one group:
    per-sample statistics, independent of the batch, so DDP on CPU needs no SyncBatchNorm)."""
    if kind == "batch":
        return nn.BatchNorm1d(channels)
    if kind == "group":
        return nn.GroupNorm(1, channels)
    raise ValueError(f"norm must be 'batch' or 'group', got {kind!r}")


class ConvStem(nn.Module):
    """Conv1d -> norm -> ReLU -> MaxPool: ``(B, C_in, L) -> (B, C_out, L // pool)``.

    Parameters
    ----------
    in_channels, out_channels : channels in and out.
    kernel_size : odd width of the convolution ("same" padding).
    pool : max-pooling width and stride (1 = no pooling).
    norm : ``batch`` or ``group`` (see :func:`make_norm`).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, pool: int = 1,
                 norm: str = "batch"):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = make_norm(norm, out_channels)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool1d(pool) if pool > 1 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.act(self.norm(self.conv(x))))


class DilatedResidualBlock(nn.Module):
    """Pre-activation residual block: norm-ReLU-dilated conv-norm-ReLU-1x1 conv, plus skip.

    Shape ``(B, C, L) -> (B, C, L)``; the block widens the receptive field by
    ``(kernel_size - 1) * dilation`` input positions (at its own resolution).
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int, dropout: float = 0.0,
                 norm: str = "batch"):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd for 'same' padding, got {kernel_size}")
        self.norm_in = make_norm(norm, channels)
        self.act_in = nn.ReLU()
        self.conv = nn.Conv1d(channels, channels, kernel_size, dilation=dilation,
                              padding=dilation * (kernel_size // 2))
        self.norm_mid = make_norm(norm, channels)
        self.act_mid = nn.ReLU()
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(self.act_in(self.norm_in(x)))
        h = self.mix(self.act_mid(self.norm_mid(h)))
        return x + self.dropout(h)


class AttentionPool(nn.Module):
    """Attention pooling over tokens: ``(B, T, D) -> (B, D)``.

    Scores each token with a small tanh MLP and returns the softmax-weighted mean.
    """

    def __init__(self, dim: int, hidden: int = 64):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        weights = torch.softmax(self.score(tokens), dim=1)  # (B, T, 1)
        return (weights * tokens).sum(dim=1)


class MeanPool(nn.Module):
    """Mean over tokens: ``(B, T, D) -> (B, D)``."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens.mean(dim=1)


class MaxPool(nn.Module):
    """Max over tokens: ``(B, T, D) -> (B, D)``."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens.amax(dim=1)


class FlattenPool(nn.Module):
    """A dense layer over every token of one window: ``(B, T, D) -> (B, D)``.

    Unlike attention, mean or max pooling it knows *where* a token is, so it can learn a
    position-specific effect (a variant at one site of a window), as the fully connected
    layer after the convolutions of DeepSEA and Basset does. One per window.
    """

    def __init__(self, n_tokens: int, dim: int):
        super().__init__()
        self.dense = nn.Linear(n_tokens * dim, dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.dense(tokens.flatten(1))


#: Token pooling modules by name, for the encoders' ``pooling`` option.
TOKEN_POOLS = {"attention": AttentionPool, "mean": MeanPool, "max": MaxPool,
               "flatten": FlattenPool}
#: Poolings whose weights depend on the token position (one module per window).
POSITIONAL_POOLS = ("flatten",)


def make_token_pool(kind: str, dim: int, n_tokens: int) -> nn.Module:
    """The pooling module ``kind`` (one of :data:`TOKEN_POOLS`) for ``n_tokens`` of width
    ``dim``."""
    if kind not in TOKEN_POOLS:
        raise ValueError(f"pooling must be one of {sorted(TOKEN_POOLS)}, got {kind!r}")
    if kind == "attention":
        return AttentionPool(dim)
    return FlattenPool(n_tokens, dim) if kind == "flatten" else TOKEN_POOLS[kind]()
