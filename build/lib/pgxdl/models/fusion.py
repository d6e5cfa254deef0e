"""Fusion of the modality embeddings into one vector before the task heads.

Every fusion is built from :class:`ModalityDims` (so a configuration names only its own
options) and maps ``(sequence (N, Ds) | None, tokens (N, T, Dt) | None, tabular (N, Dx) |
None) -> (N, out_dim)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ModalityDims:
    """Widths of the modality embeddings (0 where the model has no such modality)."""

    sequence: int = 0
    sequence_tokens: int = 0
    tabular: int = 0


class Fusion(nn.Module):
    """Base of the fusion modules; ``out_dim`` is the width of the fused embedding."""

    out_dim: int

    @staticmethod
    def require_both(dims: ModalityDims, name: str) -> None:
        """Raise ``ValueError`` unless both modalities are present."""
        if not (dims.sequence and dims.tabular):
            raise ValueError(f"{name} needs both a sequence and a tabular encoder; for a "
                             f"single-modality model use ConcatFusion")


class ConcatFusion(Fusion):
    """Concatenate the modality embeddings, optionally followed by one hidden layer.

    Works with one modality (sequence-only or tabular-only models) or both.
    """

    def __init__(self, dims: ModalityDims, hidden: int = 0, dropout: float = 0.0):
        super().__init__()
        width = dims.sequence + dims.tabular
        if width == 0:
            raise ValueError("the model has neither a sequence nor a tabular encoder")
        self.mix = (nn.Sequential(nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout))
                    if hidden > 0 else nn.Identity())
        self.out_dim = hidden if hidden > 0 else width

    def forward(self, sequence: torch.Tensor | None, tokens: torch.Tensor | None,
                tabular: torch.Tensor | None) -> torch.Tensor:
        parts = [x for x in (sequence, tabular) if x is not None]
        return self.mix(torch.cat(parts, dim=1))


class GatedFusion(Fusion):
    """Gated multimodal unit (Arevalo et al. 2017): ``z * h_seq + (1 - z) * h_tab``.

    ``h_m = tanh(W_m x_m)`` and the gate ``z = sigmoid(W_z [x_seq, x_tab])`` is per unit.
    """

    def __init__(self, dims: ModalityDims, dim: int = 64):
        super().__init__()
        self.require_both(dims, "GatedFusion")
        self.sequence_proj = nn.Sequential(nn.Linear(dims.sequence, dim), nn.Tanh())
        self.tabular_proj = nn.Sequential(nn.Linear(dims.tabular, dim), nn.Tanh())
        self.gate = nn.Sequential(nn.Linear(dims.sequence + dims.tabular, dim), nn.Sigmoid())
        self.out_dim = dim

    def forward(self, sequence: torch.Tensor | None, tokens: torch.Tensor | None,
                tabular: torch.Tensor | None) -> torch.Tensor:
        z = self.gate(torch.cat([sequence, tabular], dim=1))
        return z * self.sequence_proj(sequence) + (1 - z) * self.tabular_proj(tabular)

    def gate_values(self, sequence: torch.Tensor, tabular: torch.Tensor) -> torch.Tensor:
        """``(N, dim)`` gate: 1 where the sequence wins, 0 where the tabular data wins."""
        return self.gate(torch.cat([sequence, tabular], dim=1))


class CrossAttentionFusion(Fusion):
    """Sequence tokens attended by a tabular query: ``[attended, tabular query]``.

    The tabular embedding is projected to one query; multi-head attention over all
    windows' tokens (keys and values) returns ``(N, dim)``; out_dim is ``2 * dim``.
    """

    def __init__(self, dims: ModalityDims, dim: int = 64, heads: int = 4, dropout: float = 0.0):
        super().__init__()
        self.require_both(dims, "CrossAttentionFusion")
        if dim % heads:
            raise ValueError(f"CrossAttentionFusion dim {dim} must be divisible by heads {heads}")
        self.query = nn.Linear(dims.tabular, dim)
        self.key_value = nn.Linear(dims.sequence_tokens, dim)
        self.attention = nn.MultiheadAttention(dim, heads, dropout=dropout, batch_first=True)
        self.out_dim = 2 * dim

    def attend(self, tokens: torch.Tensor, tabular: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attended vector ``(N, dim)`` and attention weights ``(N, T)`` (mean of heads)."""
        query = self.query(tabular).unsqueeze(1)
        memory = self.key_value(tokens)
        attended, weights = self.attention(query, memory, memory, need_weights=True)
        return attended.squeeze(1), weights.squeeze(1)

    def forward(self, sequence: torch.Tensor | None, tokens: torch.Tensor | None,
                tabular: torch.Tensor | None) -> torch.Tensor:
        attended, _ = self.attend(tokens, tabular)
        return torch.cat([attended, self.query(tabular)], dim=1)


class FiLMFusion(Fusion):
    """Feature-wise linear modulation of the sequence embedding by the tabular one.

    ``h = gamma(x_tab) * W x_seq + beta(x_tab)``; out is ``[h, x_tab]`` (``dim + Dx``).
    """

    def __init__(self, dims: ModalityDims, dim: int = 64):
        super().__init__()
        self.require_both(dims, "FiLMFusion")
        self.sequence_proj = nn.Linear(dims.sequence, dim)
        self.film = nn.Linear(dims.tabular, 2 * dim)
        nn.init.zeros_(self.film.weight)
        with torch.no_grad():  # start as the identity modulation: gamma = 1, beta = 0
            self.film.bias.copy_(torch.cat([torch.ones(dim), torch.zeros(dim)]))
        self.out_dim = dim + dims.tabular

    def forward(self, sequence: torch.Tensor | None, tokens: torch.Tensor | None,
                tabular: torch.Tensor | None) -> torch.Tensor:
        gamma, beta = self.film(tabular).chunk(2, dim=1)
        return torch.cat([gamma * self.sequence_proj(sequence) + beta, tabular], dim=1)
