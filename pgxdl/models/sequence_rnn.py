"""Conv stem followed by a bidirectional LSTM or GRU, with attention pooling."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.blocks import ConvStem
from pgxdl.models.receptive_field import pooled_length
from pgxdl.models.sequence import SequenceEncoder

#: Recurrent cell classes by name, for the ``cell`` option.
RNN_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RNNTrunk(nn.Module):
    """``(B, C, L) -> (B, T, 2 * hidden)``: ConvStem then a bidirectional RNN over positions.

    ``T = L // conv_pool``. cuDNN's RNN backward only runs in train mode: attribution
    methods on GPU need ``model.train()`` with dropout 0, or cuDNN disabled.
    """

    def __init__(self, in_channels: int, length: int, conv_channels: int, conv_kernel: int,
                 conv_pool: int, hidden: int, layers: int, cell: str, dropout: float,
                 norm: str = "batch"):
        super().__init__()
        if cell not in RNN_CELLS:
            raise ValueError(f"cell must be one of {sorted(RNN_CELLS)}, got {cell!r}")
        self.stem = ConvStem(in_channels, conv_channels, conv_kernel, conv_pool, norm)
        self.rnn = RNN_CELLS[cell](conv_channels, hidden, num_layers=layers, batch_first=True,
                                   bidirectional=True, dropout=dropout if layers > 1 else 0.0)
        self.token_dim = 2 * hidden
        self.n_tokens = pooled_length(length, [conv_pool])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, L) -> (B, T, 2 * hidden)`` tokens."""
        tokens, _ = self.rnn(self.stem(x).transpose(1, 2))
        return tokens


class RNNSequenceEncoder(SequenceEncoder):
    """RNN encoder of every window: ``(N, W, C, L)`` -> pooled ``(N, W' * 2 * hidden)``.

    Parameters
    ----------
    spec : the data's shapes (given by the training module, not by configuration).
    conv_channels, conv_kernel, conv_pool : the convolutional stem (odd kernel).
    hidden : hidden units per direction.
    layers : stacked recurrent layers.
    cell : ``lstm`` or ``gru``.
    dropout : dropout between recurrent layers.
    norm : ``batch`` or ``group`` normalisation in the stem.
    windows, shared_windows, pooling, subtract_reference : as in
        :class:`~pgxdl.models.sequence.SequenceEncoder`.
    """

    def __init__(self, spec: DataSpec, conv_channels: int = 32, conv_kernel: int = 15,
                 conv_pool: int = 8, hidden: int = 32, layers: int = 1,
                 cell: Literal["lstm", "gru"] = "lstm", dropout: float = 0.0,
                 norm: Literal["batch", "group"] = "batch", windows: list[str] | None = None,
                 shared_windows: bool = True,
                 pooling: Literal["attention", "mean", "max", "flatten"] = "attention",
                 subtract_reference: bool = False):
        def make_trunk() -> RNNTrunk:
            return RNNTrunk(spec.channels, spec.window_length, conv_channels, conv_kernel,
                            conv_pool, hidden, layers, cell, dropout, norm)

        super().__init__(spec, make_trunk, windows, shared_windows, pooling, subtract_reference)
