"""Cell line x drug networks: a cell encoder and a drug encoder, fused, then a head.

``forward(sequence (N, 0, 4, 0), numeric (N, F), numeric_missing (N, F), categorical
(N, K), drug (N,)) -> {task: (N, 1)}``: the positional signature of every pgxdl network
(:mod:`pgxdl.models.network`), so the training module, Captum and the evaluation code run
unchanged. The fusions of :mod:`pgxdl.models.fusion` are reused with the drug in the
``sequence`` slot (pooled embedding and tokens) and the cell line in the ``tabular`` slot:
FiLM lets the cell line scale and shift the drug embedding, cross-attention lets the cell
line attend over the drug's SMILES positions.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from pgxdl.data.spec import DataSpec, TaskSpec
from pgxdl.models.drug_encoders import DrugEncoder
from pgxdl.models.fusion import ConcatFusion, ModalityDims
from pgxdl.models.heads import TaskHeads
from pgxdl.models.network import DrugResponseNetwork, FusionFactory

DrugEncoderFactory = Callable[[DataSpec], DrugEncoder]
#: A cell encoder has the tabular-encoder forward (``TabularEncoder`` or :mod:`.cell_encoders`).
CellEncoderFactory = Callable[[DataSpec], nn.Module]


class PerDrugHeads(nn.Module):
    """A shared linear output plus one linear correction per drug (zero at the start):
    ``y = w . h + b + w_d . h + b_d`` for ``h (N, D)`` and drug ``d``; ``{task: (N, 1)}``.

    Drugs never seen in training keep the shared output (their correction stays 0).
    """

    def __init__(self, tasks: tuple[TaskSpec, ...], in_dim: int, n_drugs: int,
                 dropout: float = 0.0):
        super().__init__()
        if any(task.kind != "regression" for task in tasks):
            raise ValueError("per-drug heads are for regression tasks")
        self.names = [task.name for task in tasks]
        self.dropout = nn.Dropout(dropout)
        self.shared = nn.Linear(in_dim, len(tasks))
        self.weight = nn.Parameter(torch.zeros(n_drugs, in_dim, len(tasks)))
        self.bias = nn.Parameter(torch.zeros(n_drugs, len(tasks)))

    def forward(self, embedding: torch.Tensor, drug: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.dropout(embedding)
        out = self.shared(h) + torch.einsum("nd,ndt->nt", h, self.weight[drug]) + self.bias[drug]
        return {name: out[:, [t]] for t, name in enumerate(self.names)}


class CellDrugModel(DrugResponseNetwork):
    """Cell encoder + drug encoder -> fusion -> shared or per-drug head.

    Parameters
    ----------
    spec : the data (cell features, drug table, tasks).
    drug_encoder : factory of a :class:`~pgxdl.models.drug_encoders.DrugEncoder`.
    cell_encoder : factory of a cell encoder (tabular-encoder signature).
    fusion : factory of a fusion from :class:`ModalityDims` (drug = ``sequence``).
    head_hidden, head_dropout : the shared head (see :class:`TaskHeads`).
    per_drug_heads : add a linear correction per drug (:class:`PerDrugHeads`; after a
        hidden layer of ``head_hidden`` units when > 0). Useless for unseen drugs.
    """

    def __init__(self, spec: DataSpec, drug_encoder: DrugEncoderFactory,
                 cell_encoder: CellEncoderFactory, fusion: FusionFactory = ConcatFusion,
                 head_hidden: int = 0, head_dropout: float = 0.0, per_drug_heads: bool = False):
        super().__init__(spec, None, cell_encoder, heteroscedastic=False)
        self.drug_encoder = drug_encoder(spec)
        self.fusion = fusion(self.modality_dims)
        if per_drug_heads:
            self.hidden = (nn.Sequential(nn.Linear(self.fusion.out_dim, head_hidden), nn.ReLU())
                           if head_hidden > 0 else nn.Identity())
            width = head_hidden if head_hidden > 0 else self.fusion.out_dim
            self.heads = PerDrugHeads(spec.tasks, width, spec.n_drugs, head_dropout)
        else:
            self.heads = TaskHeads(spec.tasks, self.fusion.out_dim, head_hidden, head_dropout)
        self.per_drug_heads = per_drug_heads

    @property
    def modality_dims(self) -> ModalityDims:
        drug = self.drug_encoder
        return ModalityDims(sequence=drug.out_dim, sequence_tokens=drug.token_dim,
                            tabular=self.tabular_encoder.out_dim)

    def embed(self, sequence: torch.Tensor, numeric: torch.Tensor,
              numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
              ) -> torch.Tensor:
        """The fused cell-drug embedding ``(N, fusion.out_dim)``."""
        drug_features = self.drug_encoder(drug)
        return self.fusion(drug_features.pooled, drug_features.tokens,
                           self.encode_cells(numeric, numeric_missing, categorical, drug))

    def encode_cells(self, numeric: torch.Tensor, numeric_missing: torch.Tensor,
                     categorical: torch.Tensor, drug: torch.Tensor) -> torch.Tensor:
        """Cell embeddings ``(N, D)``; a batch's distinct cell lines are encoded once (a
        large batch holds each cell line several times). Inputs that need a gradient (an
        attribution) are encoded row by row, since ``torch.unique`` has none."""
        if numeric.requires_grad or numeric_missing.requires_grad:
            return self.tabular_encoder(numeric, numeric_missing, categorical, drug)
        rows = torch.cat([numeric, numeric_missing, categorical.to(numeric.dtype)], dim=1)
        _, inverse = torch.unique(rows, dim=0, return_inverse=True)
        first = torch.full((int(inverse.max()) + 1,), len(inverse), device=inverse.device)
        first = first.scatter_reduce(0, inverse, torch.arange(len(inverse),
                                                              device=inverse.device), "amin")
        cells = self.tabular_encoder(numeric[first], numeric_missing[first],
                                     categorical[first], drug[first])
        return cells[inverse]

    def forward(self, sequence: torch.Tensor, numeric: torch.Tensor,
                numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        """Raw outputs ``{task: (N, 1)}`` (standardised units, as every pgxdl network)."""
        embedding = self.embed(sequence, numeric, numeric_missing, categorical, drug)
        if self.per_drug_heads:
            return self.heads(self.hidden(embedding), drug)
        return self.heads(embedding)
