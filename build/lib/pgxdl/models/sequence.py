"""Multi-window sequence encoding: shared trunk + window embedding, or one trunk per window.

A *trunk* maps one window ``(B, C, L)`` to tokens ``(B, T, D)`` and exposes
``token_dim`` (D) and ``n_tokens`` (T). :class:`SequenceEncoder` applies trunks to every
selected window of ``(N, W, C, L)``, pools each window's tokens and concatenates them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.blocks import POSITIONAL_POOLS, make_token_pool


class SequenceFeatures(NamedTuple):
    """What a sequence encoder returns.

    pooled : ``(N, out_dim)`` the pooled windows, concatenated in window order.
    tokens : ``(N, n_tokens, token_dim)`` every window's tokens, for cross-attention.
    """

    pooled: torch.Tensor
    tokens: torch.Tensor


def select_windows(spec: DataSpec, windows: list[str] | None) -> list[int]:
    """Indices of ``windows`` (all when ``None``) in ``spec.window_names``; clear errors."""
    if spec.n_windows == 0 or spec.window_length == 0:
        raise ValueError("the data has no sequence windows: use a model without a sequence "
                         "encoder (sequence_encoder: null)")
    if windows is None:
        return list(range(spec.n_windows))
    unknown = [w for w in windows if w not in spec.window_names]
    if unknown:
        raise ValueError(f"sequence encoder windows {unknown} are not in the data; "
                         f"the data has {list(spec.window_names)}")
    if not windows:
        raise ValueError("sequence encoder 'windows' is empty: name at least one window")
    return [spec.window_names.index(w) for w in windows]


class SequenceEncoder(nn.Module):
    """Encode one-hot windows ``(N, W, C, L)`` into :class:`SequenceFeatures`.

    Parameters
    ----------
    spec : the data's shapes (windows, length, channels).
    make_trunk : builds one trunk (a fresh module per call).
    windows : names of the windows to use (all when ``None``).
    shared_windows : one trunk for every window plus a learned window embedding added to
        its tokens (``True``), or a separate trunk per window (``False``).
    pooling : how a window's tokens become one vector: ``attention``, ``mean``, ``max``
        (one pooling per trunk) or ``flatten`` (a dense layer over positions, one per
        window: position-specific variant effects).

    Attributes
    ----------
    out_dim : width of ``pooled``, ``n_selected_windows * token_dim``.
    token_dim : width D of every token.
    n_tokens : number of tokens of all selected windows together.
    """

    def __init__(self, spec: DataSpec, make_trunk: Callable[[], nn.Module],
                 windows: list[str] | None = None, shared_windows: bool = True,
                 pooling: str = "attention"):
        super().__init__()
        self.spec = spec
        self.window_indices = select_windows(spec, windows)
        n_used = len(self.window_indices)
        n_trunks = 1 if shared_windows else n_used
        self.shared_windows = shared_windows
        self.trunks = nn.ModuleList([make_trunk() for _ in range(n_trunks)])
        self.token_dim = self.trunks[0].token_dim
        tokens_per_window = self.trunks[0].n_tokens
        if tokens_per_window < 1:
            raise ValueError(f"window length {spec.window_length} is too short for this "
                             f"sequence encoder: its pooling leaves no positions")
        n_pools = n_used if pooling in POSITIONAL_POOLS else n_trunks
        self.pools = nn.ModuleList([make_token_pool(pooling, self.token_dim, tokens_per_window)
                                    for _ in range(n_pools)])
        self.window_embedding = (nn.Parameter(0.02 * torch.randn(n_used, self.token_dim))
                                 if shared_windows else None)
        self.out_dim = n_used * self.token_dim
        self.n_tokens = n_used * tokens_per_window

    def check_input(self, sequence: torch.Tensor) -> None:
        """Raise ``ValueError`` when ``sequence`` is not ``(N, W, C, L)`` of the spec."""
        spec = self.spec
        expected = (spec.n_windows, spec.channels, spec.window_length)
        if sequence.dim() != 4 or tuple(sequence.shape[1:]) != expected:
            raise ValueError(
                f"sequence batch has shape {tuple(sequence.shape)}, the model expects "
                f"(N, {spec.n_windows} windows, {spec.channels} channels, "
                f"{spec.window_length} positions) for windows {list(spec.window_names)}")

    def forward(self, sequence: torch.Tensor) -> SequenceFeatures:
        """``(N, W, C, L)`` one-hot windows -> :class:`SequenceFeatures`."""
        self.check_input(sequence)
        windows = sequence[:, self.window_indices]  # (N, W', C, L)
        n, n_used, channels, length = windows.shape
        if self.shared_windows:
            tokens = self.trunks[0](windows.reshape(n * n_used, channels, length))
            tokens = tokens.reshape(n, n_used, -1, self.token_dim)
            tokens = tokens + self.window_embedding[None, :, None, :]
            if len(self.pools) == 1:
                flat = tokens.reshape(n * n_used, -1, self.token_dim)
                pooled = self.pools[0](flat).reshape(n, n_used * self.token_dim)
            else:
                pooled = torch.cat([pool(tokens[:, i]) for i, pool in enumerate(self.pools)],
                                   dim=1)
            return SequenceFeatures(pooled, tokens.reshape(n, -1, self.token_dim))
        per_window = [trunk(windows[:, i]) for i, trunk in enumerate(self.trunks)]
        pooled = torch.cat([pool(t) for pool, t in zip(self.pools, per_window, strict=True)],
                           dim=1)
        return SequenceFeatures(pooled, torch.cat(per_window, dim=1))
