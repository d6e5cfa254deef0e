"""Drug encoders: ``drug (N,) int64 -> SequenceFeatures(pooled (N, out_dim), tokens (N, T, D))``.

A drug encoder holds the drug table of its training data as buffers (fingerprints or
SMILES token codes, from ``spec.extra["drug_inputs"]``, which the store caches), so a
checkpoint carries every drug it can score. Each batch encodes its distinct drugs once
and gathers the rows (a batch of 512 pairs holds at most a few hundred drugs). ``tokens``
feed :class:`~pgxdl.models.fusion.CrossAttentionFusion` (the cell line attends over
SMILES positions); ``pooled`` feeds the other fusions.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.sequence import SequenceFeatures
from pgxdl.models.smiles import PAD, encode_smiles, tokenize, vocabulary


def drug_inputs(spec: DataSpec, key: str):
    """``spec.extra["drug_inputs"][key]``, or a ``ValueError`` saying what the data lacks."""
    inputs = spec.extra.get("drug_inputs", {})
    if key not in inputs:
        raise ValueError(f"this drug encoder needs drug {key} in the store's drug table "
                         f"(the data has {sorted(inputs) or 'none'}); build it with a builder "
                         "that stores them (builder: gdsc)")
    return inputs[key]


def fingerprint_matrix(spec: DataSpec) -> np.ndarray:
    """Drug features ``(D, B)`` float32 from the spec's sparse or dense form."""
    features = drug_inputs(spec, "features")
    if "values" in features:
        return np.asarray(features["values"], dtype=np.float32)
    matrix = np.zeros((len(features["on"]), features["dim"]), dtype=np.float32)
    for row, bits in enumerate(features["on"]):
        matrix[row, bits] = 1.0
    return matrix


class DrugEncoder(nn.Module):
    """Base: encode the distinct drugs of a batch once (:meth:`encode_drugs`), gather rows."""

    out_dim: int
    token_dim: int

    def encode_drugs(self, drugs: torch.Tensor) -> SequenceFeatures:
        """Features of drug indices ``drugs (U,)``."""
        raise NotImplementedError

    def forward(self, drug: torch.Tensor) -> SequenceFeatures:
        unique, inverse = torch.unique(drug, return_inverse=True)
        features = self.encode_drugs(unique)
        return SequenceFeatures(features.pooled[inverse], features.tokens[inverse])


def _mlp(in_dim: int, hidden: list[int], dropout: float) -> tuple[nn.Sequential, int]:
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_dim, width), nn.ReLU(), nn.Dropout(dropout)]
        in_dim = width
    return nn.Sequential(*layers), in_dim


class FingerprintEncoder(DrugEncoder):
    """MLP over each drug's fingerprint ``(B,)`` (Morgan bits): ``out_dim = hidden[-1]``; one
    token (the output) for cross-attention.

    Parameters
    ----------
    spec : the data (its ``drug_inputs.features``).
    hidden : widths of the MLP layers.
    dropout : after each layer.
    """

    def __init__(self, spec: DataSpec, hidden: list[int] | None = None, dropout: float = 0.1):
        super().__init__()
        hidden = list(hidden) if hidden is not None else [256, 128]
        self.register_buffer("fingerprints", torch.from_numpy(fingerprint_matrix(spec)))
        self.mlp, self.out_dim = _mlp(self.fingerprints.shape[1], hidden, dropout)
        self.token_dim = self.out_dim

    def encode_drugs(self, drugs: torch.Tensor) -> SequenceFeatures:
        pooled = self.mlp(self.fingerprints[drugs])
        return SequenceFeatures(pooled, pooled.unsqueeze(1))


class _SmilesEncoder(DrugEncoder):
    """Holds the SMILES token codes ``(D, max_length)`` and their vocabulary size."""

    def __init__(self, spec: DataSpec, max_length: int | None):
        super().__init__()
        smiles = drug_inputs(spec, "smiles")
        longest = max(len(tokenize(text)) for text in smiles)
        self.max_length = max_length or longest
        codes = encode_smiles(smiles, vocabulary(smiles), self.max_length)
        self.register_buffer("codes", torch.from_numpy(codes))
        self.n_tokens = len(vocabulary(smiles)) + 1  # + padding


class SmilesCNNEncoder(_SmilesEncoder):
    """tCNNS-style CNN over one-hot SMILES ``(U, V, L)``: conv + ReLU + max-pool blocks,
    then global max pooling; tokens are the last block's positions.

    Parameters
    ----------
    spec : the data (its ``drug_inputs.smiles``).
    channels : output channels of each convolution block (tCNNS: 40, 80, 60).
    kernel : convolution width (tCNNS: 7); pool : max-pool width after each block (3).
    max_length : tokens kept per SMILES (default: the longest).
    dropout : on the pooled output.
    """

    def __init__(self, spec: DataSpec, channels: list[int] | None = None, kernel: int = 7,
                 pool: int = 3, max_length: int | None = None, dropout: float = 0.1):
        super().__init__(spec, max_length)
        channels = list(channels) if channels is not None else [40, 80, 60]
        layers: list[nn.Module] = []
        in_channels = self.n_tokens
        for width in channels:
            layers += [nn.Conv1d(in_channels, width, kernel, padding=kernel // 2), nn.ReLU(),
                       nn.MaxPool1d(pool, ceil_mode=True)]
            in_channels = width
        self.convs = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.out_dim = self.token_dim = in_channels

    def encode_drugs(self, drugs: torch.Tensor) -> SequenceFeatures:
        codes = self.codes[drugs]
        hot = nn.functional.one_hot(codes, self.n_tokens).float()
        hot[..., PAD] = 0.0  # padding is all-zero, as in tCNNS
        tokens = self.convs(hot.transpose(1, 2)).transpose(1, 2)  # (U, T, C)
        return SequenceFeatures(self.dropout(tokens.amax(dim=1)), tokens)


class SmilesRNNEncoder(_SmilesEncoder):
    """Bidirectional GRU over embedded SMILES tokens; pooled = masked mean of the states.

    Parameters
    ----------
    spec : the data (its ``drug_inputs.smiles``).
    embedding_dim : token embedding width; hidden : GRU width per direction.
    layers : stacked GRU layers; max_length, dropout : as :class:`SmilesCNNEncoder`.
    """

    def __init__(self, spec: DataSpec, embedding_dim: int = 32, hidden: int = 64,
                 layers: int = 1, max_length: int | None = None, dropout: float = 0.1):
        super().__init__(spec, max_length)
        self.embedding = nn.Embedding(self.n_tokens, embedding_dim, padding_idx=PAD)
        self.rnn = nn.GRU(embedding_dim, hidden, num_layers=layers, batch_first=True,
                          bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.out_dim = self.token_dim = 2 * hidden

    def encode_drugs(self, drugs: torch.Tensor) -> SequenceFeatures:
        codes = self.codes[drugs]
        lengths = (codes != PAD).sum(dim=1).clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(codes), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        states, _ = self.rnn(packed)
        tokens, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True,
                                                     total_length=codes.shape[1])
        mask = (codes != PAD).unsqueeze(-1).float()
        pooled = (tokens * mask).sum(dim=1) / lengths.unsqueeze(-1)
        return SequenceFeatures(self.dropout(pooled), tokens)
