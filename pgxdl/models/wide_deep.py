"""Wide-and-deep cell line x drug network: a per-drug linear model plus a deep network.

``y(cell, d) = b_d + W_d . x + sum_k T_dk[c_k] + deep(cell, d)``: the *wide* term is one
linear model per drug on the cell line's feature vector ``x (F,)`` (the store's
standardised calls, as the per-drug elastic net of Iorio et al. 2016 sees them) and its
categorical features (GDSC: tissue, one weight per drug and value), trained jointly with
the *deep* term, a :class:`~pgxdl.models.cell_drug.CellDrugModel`, end to end (Cheng et
al. 2016, "Wide & Deep Learning for Recommender Systems"). The wide weights carry an
elastic-net penalty (:meth:`WideDeepCellDrugModel.penalty`, added to the training loss by
:class:`~pgxdl.training.DrugResponseModule`), so with the deep term switched off the model
is a per-drug elastic net fitted by gradient descent.

A drug never seen in training has wide weights of zero (the penalty keeps them there), so
the drug-blind design falls back on the deep term.
"""

from __future__ import annotations

import torch
from torch import nn

from pgxdl.data.spec import DataSpec
from pgxdl.models.cell_drug import CellDrugModel, CellEncoderFactory, DrugEncoderFactory
from pgxdl.models.fusion import ConcatFusion
from pgxdl.models.network import FusionFactory


class PerDrugLinear(nn.Module):
    """One linear model per drug: ``b_d + W_d . x + sum_k T_k[d, c_k]`` ``-> (N, T)``.

    Parameters
    ----------
    n_drugs, n_features : ``W`` is ``(n_drugs, n_features, n_tasks)``, zero at the start.
    cardinalities : size of each categorical feature (one ``(n_drugs, card, n_tasks)``
        table each).
    n_tasks : outputs per pair.
    """

    def __init__(self, n_drugs: int, n_features: int, cardinalities: list[int],
                 n_tasks: int = 1):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n_drugs, n_features, n_tasks))
        self.bias = nn.Parameter(torch.zeros(n_drugs, n_tasks))
        self.categorical = nn.ParameterList(
            nn.Parameter(torch.zeros(n_drugs, card, n_tasks)) for card in cardinalities)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
                ) -> torch.Tensor:
        """``numeric (N, F)``, ``categorical (N, K)`` codes, ``drug (N,)`` -> ``(N, T)``."""
        out = torch.einsum("nf,nft->nt", numeric, self.weight[drug]) + self.bias[drug]
        for k, table in enumerate(self.categorical):
            out = out + table[drug, categorical[:, k]]
        return out

    def penalised(self) -> list[torch.Tensor]:
        """The weights the elastic net shrinks (not the biases)."""
        return [self.weight, *self.categorical]


class WideDeepCellDrugModel(CellDrugModel):
    """A :class:`CellDrugModel` (the deep term) plus a per-drug linear model (the wide term).

    Parameters
    ----------
    spec, drug_encoder, cell_encoder, fusion, head_hidden, head_dropout, per_drug_heads :
        the deep term, as :class:`CellDrugModel`.
    wide_l1, wide_l2 : elastic-net penalty of the wide weights, added to the (mean squared
        error, standardised units) training loss as ``sum_d (wide_l1 |W_d|_1 + wide_l2 / 2
        ||W_d||^2) / n_drugs`` (tissue weights included); when drugs have equal pair counts
        this is, per drug, twice scikit-learn's ``ElasticNet`` objective with
        ``2 alpha l1_ratio = wide_l1`` and ``2 alpha (1 - l1_ratio) = wide_l2``.
    deep : ``False`` switches the deep term off (its parameters stay, unused): the
        per-drug linear model alone.
    wide_lr : learning rate of the wide term (``None``: the optimizer's). Adam moves every
        weight by about its learning rate a step whatever the gradient's size, which at the
        deep term's rate scatters the ~160,000 small per-drug weights (and undoes an elastic
        net start within an epoch); see :meth:`parameter_groups`.
    """

    def __init__(self, spec: DataSpec, drug_encoder: DrugEncoderFactory,
                 cell_encoder: CellEncoderFactory, fusion: FusionFactory = ConcatFusion,
                 head_hidden: int = 0, head_dropout: float = 0.0, per_drug_heads: bool = False,
                 wide_l1: float = 1e-3, wide_l2: float = 1e-2, deep: bool = True,
                 wide_lr: float | None = None):
        super().__init__(spec, drug_encoder, cell_encoder, fusion, head_hidden, head_dropout,
                         per_drug_heads)
        if len(spec.tasks) != 1 or spec.tasks[0].kind != "regression":
            raise ValueError("the wide-and-deep model predicts one regression task (ln IC50); "
                             f"the data has {[(t.name, t.kind) for t in spec.tasks]}")
        if wide_l1 < 0 or wide_l2 < 0:
            raise ValueError(f"wide_l1 and wide_l2 must be >= 0, got {wide_l1}, {wide_l2}")
        self.wide = PerDrugLinear(spec.n_drugs, spec.n_numeric,
                                  list(spec.categorical_cardinalities))
        self.wide_l1, self.wide_l2, self.deep, self.wide_lr = wide_l1, wide_l2, deep, wide_lr
        self.task = spec.tasks[0].name

    def forward(self, sequence: torch.Tensor, numeric: torch.Tensor,
                numeric_missing: torch.Tensor, categorical: torch.Tensor, drug: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        """``{task: (N, 1)}``: the wide term plus (``deep``) the deep term."""
        out = self.wide(numeric, categorical, drug)
        if self.deep:
            out = out + super().forward(sequence, numeric, numeric_missing, categorical,
                                        drug)[self.task]
        return {self.task: out}

    def parameter_groups(self) -> list[dict]:
        """Optimizer parameter groups: the deep term, then the wide term (with ``lr``
        ``wide_lr`` when set); :class:`~pgxdl.training.DrugResponseModule` uses them."""
        wide = list(self.wide.parameters())
        deep = [p for p in self.parameters() if all(p is not w for w in wide)]
        group = {"params": wide} if self.wide_lr is None else {"params": wide, "lr": self.wide_lr}
        return [{"params": deep}, group]

    def penalty(self) -> torch.Tensor:
        """The elastic-net penalty of the wide weights (a scalar), averaged over drugs."""
        total = sum(self.wide_l1 * w.abs().sum() + 0.5 * self.wide_l2 * w.pow(2).sum()
                    for w in self.wide.penalised())
        return total / self.wide.weight.shape[0]
