"""MLP over EHR features: numeric values, missing-value indicators, categorical embeddings."""

from __future__ import annotations

import torch
from torch import nn

from pgxdl.data.spec import DataSpec


def default_embedding_dim(cardinality: int) -> int:
    """A modest embedding width for a vocabulary of ``cardinality`` codes (fastai's rule)."""
    return max(2, min(16, round(1.6 * cardinality ** 0.56)))


class TabularEncoder(nn.Module):
    """``numeric (N, F), numeric_missing (N, F), categorical (N, K), drug (N,) -> (N, out_dim)``.

    Each categorical feature gets its own embedding table of ``cardinality`` rows, code 0
    being "missing or unknown". A drug embedding is added when the data has several drugs.

    Parameters
    ----------
    spec : the data's features (given by the training module, not by configuration).
    hidden : widths of the MLP's hidden layers; ``out_dim = hidden[-1]``.
    embedding_dim : width of every categorical embedding (``None``: chosen per vocabulary
        by :func:`default_embedding_dim`).
    drug_embedding_dim : width of the drug embedding (used only when ``spec.n_drugs > 1``).
    missing_indicators : feed the ``numeric_missing`` indicators to the MLP.
    dropout : dropout after each hidden layer.
    """

    def __init__(self, spec: DataSpec, hidden: list[int] | None = None,
                 embedding_dim: int | None = None, drug_embedding_dim: int = 8,
                 missing_indicators: bool = True, dropout: float = 0.1):
        super().__init__()
        hidden = list(hidden) if hidden is not None else [64, 64]
        if not hidden:
            raise ValueError("TabularEncoder needs at least one hidden layer width")
        self.spec = spec
        self.missing_indicators = missing_indicators
        self.embeddings = nn.ModuleList(
            nn.Embedding(card, embedding_dim or default_embedding_dim(card))
            for card in spec.categorical_cardinalities)
        self.drug_embedding = (nn.Embedding(spec.n_drugs, drug_embedding_dim)
                               if spec.n_drugs > 1 and drug_embedding_dim > 0 else None)
        in_dim = spec.n_numeric * (2 if missing_indicators else 1)
        in_dim += sum(e.embedding_dim for e in self.embeddings)
        in_dim += self.drug_embedding.embedding_dim if self.drug_embedding is not None else 0
        if in_dim == 0:
            raise ValueError("the data has no tabular features and a single drug: use a model "
                             "without a tabular encoder (tabular_encoder: null)")
        layers: list[nn.Module] = []
        for width in hidden:
            layers += [nn.Linear(in_dim, width), nn.LayerNorm(width), nn.ReLU(),
                       nn.Dropout(dropout)]
            in_dim = width
        self.mlp = nn.Sequential(*layers)
        self.out_dim = hidden[-1]

    def check_input(self, numeric: torch.Tensor, categorical: torch.Tensor) -> None:
        """Raise ``ValueError`` when the feature widths differ from the spec."""
        spec = self.spec
        if numeric.shape[-1] != spec.n_numeric or categorical.shape[-1] != len(self.embeddings):
            raise ValueError(
                f"tabular batch has {numeric.shape[-1]} numeric and {categorical.shape[-1]} "
                f"categorical features, the model expects {spec.n_numeric} "
                f"{list(spec.numeric_features)} and {len(self.embeddings)} "
                f"{list(spec.categorical_features)}")

    def forward(self, numeric: torch.Tensor, numeric_missing: torch.Tensor,
                categorical: torch.Tensor, drug: torch.Tensor) -> torch.Tensor:
        """Encode the tabular inputs (shapes in the class docstring) to ``(N, out_dim)``."""
        self.check_input(numeric, categorical)
        parts = [numeric]
        if self.missing_indicators:
            parts.append(numeric_missing)
        parts += [emb(categorical[:, i]) for i, emb in enumerate(self.embeddings)]
        if self.drug_embedding is not None:
            parts.append(self.drug_embedding(drug))
        return self.mlp(torch.cat(parts, dim=1))
