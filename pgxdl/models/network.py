"""Whole networks: encoders + fusion + heads, with the positional forward Captum expects.

``forward(sequence (N, W, C, L), numeric (N, F), numeric_missing (N, F),
categorical (N, K), drug (N,)) -> {task: (N, out_dim)}`` (see :mod:`pgxdl.models.heads`),
so ``captum``'s ``additional_forward_args=(numeric, numeric_missing, categorical, drug)``
and in-silico mutagenesis work unchanged. Parts are built from factories that take the
:class:`~pgxdl.data.spec.DataSpec` (LightningCLI gives them from ``class_path`` configs).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.fusion import ConcatFusion, Fusion, ModalityDims
from pgxdl.models.heads import TaskHeads
from pgxdl.models.sequence import SequenceEncoder, SequenceFeatures
from pgxdl.models.tabular import TabularEncoder
from pgxdl.tasks import task_kind

SequenceEncoderFactory = Callable[[DataSpec], SequenceEncoder]
TabularEncoderFactory = Callable[[DataSpec], TabularEncoder]
FusionFactory = Callable[[ModalityDims], Fusion]


class DrugResponseNetwork(nn.Module):
    """Base of pgxdl's networks: builds the encoders and runs them.

    Subclasses implement :meth:`forward` and :meth:`embed` with the positional inputs
    described in the module docstring.
    """

    def __init__(self, spec: DataSpec, sequence_encoder: SequenceEncoderFactory | None,
                 tabular_encoder: TabularEncoderFactory | None, heteroscedastic: bool):
        super().__init__()
        if sequence_encoder is None and tabular_encoder is None:
            raise ValueError("a model needs a sequence encoder, a tabular encoder or both")
        self.spec = spec
        self.heteroscedastic = heteroscedastic
        self.sequence_encoder = sequence_encoder(spec) if sequence_encoder else None
        self.tabular_encoder = tabular_encoder(spec) if tabular_encoder else None

    @property
    def modality_dims(self) -> ModalityDims:
        seq, tab = self.sequence_encoder, self.tabular_encoder
        return ModalityDims(sequence=seq.out_dim if seq else 0,
                            sequence_tokens=seq.token_dim if seq else 0,
                            tabular=tab.out_dim if tab else 0)

    def encode(self, sequence: torch.Tensor, numeric: torch.Tensor,
               numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
               ) -> tuple[SequenceFeatures | None, torch.Tensor | None]:
        """Each modality's embedding (``None`` for a modality the model does not use)."""
        seq = self.sequence_encoder(sequence) if self.sequence_encoder else None
        tab = (self.tabular_encoder(numeric, numeric_missing, categorical, drug)
               if self.tabular_encoder else None)
        return seq, tab


class MultimodalModel(DrugResponseNetwork):
    """Encoders -> fusion -> one head per task.

    Parameters
    ----------
    spec : the data's shapes and tasks (given by the training module).
    sequence_encoder : factory of the sequence encoder, or ``None`` (tabular-only model).
    tabular_encoder : factory of the tabular encoder, or ``None`` (sequence-only model).
    fusion : factory of the fusion module, from :class:`ModalityDims`.
    head_hidden, head_dropout, heteroscedastic : see :class:`TaskHeads`.
    """

    def __init__(self, spec: DataSpec, sequence_encoder: SequenceEncoderFactory | None = None,
                 tabular_encoder: TabularEncoderFactory | None = None,
                 fusion: FusionFactory = ConcatFusion, head_hidden: int = 0,
                 head_dropout: float = 0.0, heteroscedastic: bool = False):
        super().__init__(spec, sequence_encoder, tabular_encoder, heteroscedastic)
        self.fusion = fusion(self.modality_dims)
        self.heads = TaskHeads(spec.tasks, self.fusion.out_dim, head_hidden, head_dropout,
                               heteroscedastic)

    def embed(self, sequence: torch.Tensor, numeric: torch.Tensor,
              numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
              ) -> torch.Tensor:
        """The fused embedding before the heads, ``(N, fusion.out_dim)``."""
        seq, tab = self.encode(sequence, numeric, numeric_missing, categorical, drug)
        return self.fusion(seq.pooled if seq else None, seq.tokens if seq else None, tab)

    def forward(self, sequence: torch.Tensor, numeric: torch.Tensor,
                numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        """Raw head outputs ``{task: (N, out_dim)}``."""
        return self.heads(self.embed(sequence, numeric, numeric_missing, categorical, drug))


class LateFusionModel(DrugResponseNetwork):
    """Baseline: each modality has its own heads and the predictions are summed.

    Each task's kind combines the heads (:meth:`pgxdl.tasks.TaskKind.combine`); a
    heteroscedastic regression sums the means and the variances (independent parts).
    Parameters are those of :class:`MultimodalModel` without a fusion.
    """

    def __init__(self, spec: DataSpec, sequence_encoder: SequenceEncoderFactory | None = None,
                 tabular_encoder: TabularEncoderFactory | None = None, head_hidden: int = 0,
                 head_dropout: float = 0.0, heteroscedastic: bool = False):
        super().__init__(spec, sequence_encoder, tabular_encoder, heteroscedastic)
        dims = self.modality_dims
        self.modality_heads = nn.ModuleDict({
            name: TaskHeads(spec.tasks, width, head_hidden, head_dropout, heteroscedastic)
            for name, width in (("sequence", dims.sequence), ("tabular", dims.tabular))
            if width})

    def embed(self, sequence: torch.Tensor, numeric: torch.Tensor,
              numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
              ) -> torch.Tensor:
        """The modality embeddings side by side, ``(N, D_seq + D_tab)``."""
        seq, tab = self.encode(sequence, numeric, numeric_missing, categorical, drug)
        return torch.cat([x for x in (seq.pooled if seq else None, tab) if x is not None], 1)

    def forward(self, sequence: torch.Tensor, numeric: torch.Tensor,
                numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        """Sum of the per-modality head outputs ``{task: (N, out_dim)}``."""
        seq, tab = self.encode(sequence, numeric, numeric_missing, categorical, drug)
        embeddings = {"sequence": seq.pooled if seq else None, "tabular": tab}
        per_modality = [heads(embeddings[name]) for name, heads in self.modality_heads.items()]
        return {task.name: task_kind(task).combine([p[task.name] for p in per_modality])
                for task in self.spec.tasks}
