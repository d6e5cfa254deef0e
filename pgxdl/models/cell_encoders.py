"""Cell-line encoders: ``numeric (N, F), numeric_missing (N, F), categorical (N, K),
drug (N,) -> (N, out_dim)`` (the tabular-encoder signature; ``drug`` is not used).

The store standardises every numeric feature with training-split statistics, which turns
a rare binary mutation call into values near 30. These encoders undo it (``raw: true``)
from the spec's statistics so a mutation is 1 and its absence 0, whatever its frequency.
The categorical features (GDSC: tissue) are embedded and concatenated to the encoding.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.tabular import default_embedding_dim


class CellFeatures(nn.Module):
    """The feature vector ``(N, F)`` as the model sees it (raw 0/1 calls when ``raw``) and
    the embedded categorical features ``(N, E)``."""

    def __init__(self, spec: DataSpec, raw: bool = True, embedding_dim: int | None = None):
        super().__init__()
        if spec.n_numeric == 0:
            raise ValueError("a cell encoder needs numeric features (genomic calls); the "
                             "data has none")
        norm = spec.extra.get("normalisation") or {}
        mean = np.asarray(norm.get("mean", np.zeros(spec.n_numeric)), dtype=np.float32)
        std = np.asarray(norm.get("std", np.ones(spec.n_numeric)), dtype=np.float32)
        self.raw = raw
        self.register_buffer("mean", torch.from_numpy(mean))
        self.register_buffer("std", torch.from_numpy(std))
        self.embeddings = nn.ModuleList(
            nn.Embedding(card, embedding_dim or default_embedding_dim(card))
            for card in spec.categorical_cardinalities)
        self.n_features = spec.n_numeric
        self.embedded_dim = sum(e.embedding_dim for e in self.embeddings)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if numeric.shape[-1] != self.n_features or categorical.shape[-1] != len(self.embeddings):
            raise ValueError(f"cell batch has {numeric.shape[-1]} numeric and "
                             f"{categorical.shape[-1]} categorical features, the model expects "
                             f"{self.n_features} and {len(self.embeddings)}")
        values = numeric * self.std + self.mean if self.raw else numeric
        embedded = [emb(categorical[:, i]) for i, emb in enumerate(self.embeddings)]
        empty = values.new_zeros((len(values), 0))
        return values, torch.cat(embedded, dim=1) if embedded else empty


class CellMLPEncoder(nn.Module):
    """MLP over ``[features, categorical embeddings]``; ``out_dim = hidden[-1]``.

    Parameters
    ----------
    spec : the data's features. hidden : layer widths. dropout : after each layer.
    raw : undo the standardisation (binary calls as 0/1). embedding_dim : categorical
        embedding width (``None``: by vocabulary size).
    """

    def __init__(self, spec: DataSpec, hidden: list[int] | None = None, dropout: float = 0.1,
                 raw: bool = True, embedding_dim: int | None = None):
        super().__init__()
        hidden = list(hidden) if hidden is not None else [256, 128]
        self.features = CellFeatures(spec, raw, embedding_dim)
        layers: list[nn.Module] = []
        width = self.features.n_features + self.features.embedded_dim
        for out in hidden:
            layers += [nn.Linear(width, out), nn.ReLU(), nn.Dropout(dropout)]
            width = out
        self.mlp = nn.Sequential(*layers)
        self.out_dim = width

    def forward(self, numeric: torch.Tensor, numeric_missing: torch.Tensor,
                categorical: torch.Tensor, drug: torch.Tensor) -> torch.Tensor:
        values, embedded = self.features(numeric, categorical)
        return self.mlp(torch.cat([values, embedded], dim=1))


class CellCNNEncoder(nn.Module):
    """tCNNS's 1-D CNN over the feature vector ``(N, 1, F)``: conv + ReLU + max-pool
    blocks, flattened, then a linear layer to ``out_dim``; categorical embeddings are
    concatenated after it (``out_dim`` includes them).

    Parameters
    ----------
    spec : the data's features. channels : per block (tCNNS: 40, 80, 60). kernel : conv
    width (7). pool : max-pool width (3). out_dim : width of the linear layer.
    raw, embedding_dim, dropout : as :class:`CellMLPEncoder`.
    """

    def __init__(self, spec: DataSpec, channels: list[int] | None = None, kernel: int = 7,
                 pool: int = 3, out_dim: int = 128, dropout: float = 0.1, raw: bool = True,
                 embedding_dim: int | None = None):
        super().__init__()
        channels = list(channels) if channels is not None else [40, 80, 60]
        self.features = CellFeatures(spec, raw, embedding_dim)
        layers: list[nn.Module] = []
        in_channels, length = 1, self.features.n_features
        for width in channels:
            layers += [nn.Conv1d(in_channels, width, kernel, padding=kernel // 2), nn.ReLU(),
                       nn.MaxPool1d(pool, ceil_mode=True)]
            in_channels, length = width, -(-length // pool)
        self.convs = nn.Sequential(*layers)
        self.project = nn.Sequential(nn.Flatten(), nn.Linear(in_channels * length, out_dim),
                                     nn.ReLU(), nn.Dropout(dropout))
        self.out_dim = out_dim + self.features.embedded_dim

    def forward(self, numeric: torch.Tensor, numeric_missing: torch.Tensor,
                categorical: torch.Tensor, drug: torch.Tensor) -> torch.Tensor:
        values, embedded = self.features(numeric, categorical)
        encoded = self.project(self.convs(values.unsqueeze(1)))
        return torch.cat([encoded, embedded], dim=1)
