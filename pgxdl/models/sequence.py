"""Multi-window sequence encoding: shared trunk + window embedding, or one trunk per window.

A *trunk* maps one window ``(B, C, L)`` to tokens ``(B, T, D)`` and exposes
``token_dim`` (D) and ``n_tokens`` (T). :class:`SequenceEncoder` applies trunks to every
selected window of ``(N, W, C, L)``, pools each window's tokens and concatenates them.

With ``subtract_reference`` the tokens are the person's minus the reference window's
(computed in the same trunk call, so batch normalisation sees both): zero wherever the
receptive field holds no variant. In a whole-gene window a max pool then picks a variant's
response instead of the strongest background motif, and gradients reach the variants.
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
    subtract_reference : use the person's tokens minus the reference's (see the module
        docstring). The reference windows are a buffer, saved with the model; the training
        module sets them from the store (:meth:`set_reference`).

    Attributes
    ----------
    out_dim : width of ``pooled``, ``n_selected_windows * token_dim``.
    token_dim : width D of every token.
    n_tokens : number of tokens of all selected windows together.
    """

    def __init__(self, spec: DataSpec, make_trunk: Callable[[], nn.Module],
                 windows: list[str] | None = None, shared_windows: bool = True,
                 pooling: str = "attention", subtract_reference: bool = False):
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
        self.subtract_reference = subtract_reference
        if subtract_reference:
            self.register_buffer("reference", torch.zeros(n_used, spec.channels,
                                                          spec.window_length))
            self.register_buffer("reference_set", torch.tensor(False))

    def set_reference(self, reference: torch.Tensor) -> None:
        """Set the reference windows from ``reference`` ``(W, C, L)``, every window of the
        data (see :func:`pgxdl.data.batch.reference_sequence`)."""
        expected = (self.spec.n_windows, self.spec.channels, self.spec.window_length)
        if tuple(reference.shape) != expected:
            raise ValueError(f"reference has shape {tuple(reference.shape)}, the encoder "
                             f"expects {expected}")
        self.reference.copy_(reference[self.window_indices])
        self.reference_set.fill_(True)

    def _reference(self) -> torch.Tensor:
        """The selected reference windows ``(W', C, L)``; an error when none was set."""
        if not bool(self.reference_set):
            raise RuntimeError(
                "this sequence encoder subtracts the reference but none was set: train "
                "through CohortDataModule (the training module sets it from the store) or "
                "call set_reference(pgxdl.data.batch.reference_sequence(store))")
        return self.reference

    def _tokens(self, trunk: nn.Module, x: torch.Tensor, reference: torch.Tensor | None
                ) -> torch.Tensor:
        """``trunk(x)`` ``(B, T, D)`` for ``x`` ``(B, C, L)``, minus the tokens of
        ``reference`` ``(R, C, L)`` (row ``b`` minus row ``b % R``; broadcast, not
        repeated) when given."""
        if reference is None:
            return trunk(x)
        both = trunk(torch.cat([x, reference]))
        n_reference = len(reference)
        people = both[:-n_reference].unflatten(0, (-1, n_reference))  # (B / R, R, T, D)
        return (people - both[-n_reference:]).flatten(0, 1)

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
        reference = self._reference() if self.subtract_reference else None
        if self.shared_windows:
            tokens = self._tokens(self.trunks[0], windows.reshape(n * n_used, channels, length),
                                  reference)
            tokens = tokens.reshape(n, n_used, -1, self.token_dim)
            tokens = tokens + self.window_embedding[None, :, None, :]
            if len(self.pools) == 1:
                flat = tokens.reshape(n * n_used, -1, self.token_dim)
                pooled = self.pools[0](flat).reshape(n, n_used * self.token_dim)
            else:
                pooled = torch.cat([pool(tokens[:, i]) for i, pool in enumerate(self.pools)],
                                   dim=1)
            return SequenceFeatures(pooled, tokens.reshape(n, -1, self.token_dim))
        per_window = [self._tokens(trunk, windows[:, i],
                                   None if reference is None else reference[i:i + 1])
                      for i, trunk in enumerate(self.trunks)]
        pooled = torch.cat([pool(t) for pool, t in zip(self.pools, per_window, strict=True)],
                           dim=1)
        return SequenceFeatures(pooled, torch.cat(per_window, dim=1))
