"""Dilated residual CNN over one-hot windows (Basenji-style trunk, per-window pooling)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.blocks import ConvStem, DilatedResidualBlock
from pgxdl.models.receptive_field import pooled_length, receptive_field
from pgxdl.models.sequence import SequenceEncoder


class CNNTrunk(nn.Module):
    """Conv stem, then stages of dilated residual blocks separated by max-pooling.

    ``(B, C, L) -> (B, T, widths[-1])`` with ``T = L // (stem_pool * stage_pool ** (S - 1))``
    for ``S = len(widths)`` stages. Stage ``s`` has ``depth`` blocks of width ``widths[s]``
    with dilations ``dilation_growth ** j`` (``j = 0 .. depth - 1``).
    """

    def __init__(self, in_channels: int, length: int, widths: list[int], depth: int,
                 kernel_size: int, dilation_growth: int, stem_kernel: int, stem_pool: int,
                 stage_pool: int, dropout: float, norm: str = "batch"):
        super().__init__()
        if not widths or depth < 0:
            raise ValueError(f"CNN needs at least one width and depth >= 0, got widths="
                             f"{widths}, depth={depth}")
        layers: list[nn.Module] = [ConvStem(in_channels, widths[0], stem_kernel, stem_pool, norm)]
        previous = widths[0]
        for stage, width in enumerate(widths):
            if width != previous:
                layers.append(nn.Conv1d(previous, width, 1))
            layers.extend(DilatedResidualBlock(width, kernel_size, dilation_growth ** j, dropout,
                                               norm)
                          for j in range(depth))
            if stage < len(widths) - 1 and stage_pool > 1:
                layers.append(nn.MaxPool1d(stage_pool))
            previous = width
        self.body = nn.Sequential(*layers)
        self.token_dim = widths[-1]
        pools = [stem_pool] + [stage_pool] * (len(widths) - 1)
        self.n_tokens = pooled_length(length, pools)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, L) -> (B, T, D)`` tokens."""
        return self.body(x).transpose(1, 2)


class CNNSequenceEncoder(SequenceEncoder):
    """CNN encoder of every window: ``(N, W, C, L)`` -> pooled ``(N, W' * widths[-1])``.

    Parameters
    ----------
    spec : the data's shapes (given by the training module, not by configuration).
    widths : channels of each stage (the stem uses ``widths[0]``).
    depth : dilated residual blocks per stage.
    kernel_size : odd kernel width of the dilated convolutions.
    dilation_growth : dilation of block ``j`` of a stage is ``dilation_growth ** j``.
    stem_kernel : odd kernel width of the first convolution (motif detectors).
    stem_pool : max-pooling after the stem.
    stage_pool : max-pooling between stages.
    dropout : dropout inside the residual blocks.
    norm : ``batch`` or ``group`` normalisation (group: batch-independent).
    windows : names of the windows to encode (all when ``None``).
    shared_windows : one trunk for all windows plus a window embedding, or one per window.
    pooling : ``max`` (default), ``attention``, ``mean`` or ``flatten`` (position-aware)
        pooling of each window's tokens. Max keeps a single strong variant detection intact
        where a mean or attention average dilutes it: on the simulated cohort (2,000 people,
        quickstart model, 20 epochs) validation R^2 of dose was 0.54 with max pooling and
        0.43 with attention pooling (a ridge model on the true genotypes: 0.53).
    subtract_reference : encode the person's tokens minus the reference's (see
        :class:`~pgxdl.models.sequence.SequenceEncoder`); for whole-gene windows.
    """

    def __init__(self, spec: DataSpec, widths: list[int] | None = None, depth: int = 2,
                 kernel_size: int = 3, dilation_growth: int = 2, stem_kernel: int = 15,
                 stem_pool: int = 4, stage_pool: int = 4, dropout: float = 0.1,
                 norm: Literal["batch", "group"] = "batch", windows: list[str] | None = None,
                 shared_windows: bool = True,
                 pooling: Literal["attention", "mean", "max", "flatten"] = "max",
                 subtract_reference: bool = False):
        widths = list(widths) if widths is not None else [32, 64]

        def make_trunk() -> CNNTrunk:
            return CNNTrunk(spec.channels, spec.window_length, widths, depth, kernel_size,
                            dilation_growth, stem_kernel, stem_pool, stage_pool, dropout, norm)

        super().__init__(spec, make_trunk, windows, shared_windows, pooling, subtract_reference)

    @property
    def receptive_field(self) -> tuple[int, int]:
        """``(field, stride)`` of one token, in input positions (see :func:`receptive_field`)."""
        return receptive_field(self.trunks[0])
