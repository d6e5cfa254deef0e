"""Start a wide-and-deep model's wide term from the training part of its split.

:class:`~pgxdl.models.WideDeepCellDrugModel` adds a per-drug linear model (the wide term)
to a deep network. Trained from zero, its per-drug biases alone take many epochs to reach
the drug means; started from the per-drug elastic net fitted on the same training part
(``alpha`` chosen on the split's validation pairs, as the baseline), the joint model starts
where the baseline ends and the deep term learns what the linear models miss. The deep
term's output layer is zeroed, so before training the model predicts exactly the elastic
net (tested). Only training and validation pairs are read.
"""

from __future__ import annotations

import numpy as np
import torch

from pgxdl.data.store import CohortStore
from pgxdl.gdsc.baselines import DrugMean, PerDrugModels, ValidatedElasticNet
from pgxdl.gdsc.pairs import GDSCPairs
from pgxdl.training import DrugResponseModule

#: ``wide_init`` values: the per-drug elastic net, the drug means (biases only), or zero.
WIDE_INITS = ("elastic_net", "drug_mean", "zero")


def linear_to_wide(coef: np.ndarray, intercept: float, scaler, norm_mean: np.ndarray,
                   norm_std: np.ndarray, tissue_codes: np.ndarray, cardinality: int,
                   y_mean: float, y_std: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Re-express ``intercept + scaler.transform([z, onehot(tissue)]) @ coef`` (ln IC50, raw
    calls ``z (F,)``, tissue one-hot over ``T`` sorted names) in the wide term's units.

    The wide term sees standardised calls ``x = (z - norm_mean) / norm_std`` and tissue codes
    (``tissue_codes (T,)``: the code of each sorted tissue name), and predicts standardised
    targets ``(y - y_mean) / y_std``. Returns ``weight (F,)``, ``tissue_table
    (cardinality,)`` and ``bias``.
    """
    n = len(norm_mean)
    per_unit = coef / scaler.scale_  # effect of one unit of each raw design column
    offset = intercept - float(per_unit @ scaler.mean_)
    weight = per_unit[:n] * norm_std
    offset += float(per_unit[:n] @ norm_mean)
    table = np.zeros(cardinality)
    table[tissue_codes] = per_unit[n:]
    return weight / y_std, table / y_std, (offset - y_mean) / y_std


def init_wide(module: DrugResponseModule, store: str, split: str, how: str = "elastic_net",
              seed: int = 0) -> None:
    """Set ``module``'s wide term from ``split``'s training part (``how``: one of
    :data:`WIDE_INITS`) and zero its deep output layer (except for ``zero``)."""
    if how not in WIDE_INITS:
        raise ValueError(f"wide_init must be one of {WIDE_INITS}, got {how!r}")
    network = module.network
    if not hasattr(network, "wide"):
        raise ValueError(f"wide_init {how!r} needs a WideDeepCellDrugModel, the module holds "
                         f"{type(network).__name__}")
    if how == "zero":
        return
    pairs = GDSCPairs.read(store)
    parts = pairs.parts(split)
    train, val = np.flatnonzero(parts == 0), np.flatnonzero(parts == 1)
    y_mean, y_std = (float(module.scaler.mean[0]), float(module.scaler.std[0]))
    bias = (DrugMean().fit(pairs, train).means - y_mean) / y_std
    weight = np.zeros(tuple(network.wide.weight.shape[:2]))
    cardinality = network.wide.categorical[0].shape[1]
    tissue = np.zeros((len(bias), cardinality))
    if how == "elastic_net":
        norm = module.spec.extra["normalisation"]
        norm_mean, norm_std = (np.asarray(norm[k], dtype=float) for k in ("mean", "std"))
        codes = _tissue_codes(store, pairs)
        net = PerDrugModels("per_drug_elastic_net", lambda: ValidatedElasticNet(seed))
        net.fit(pairs, train, val)
        for drug, model in net.models.items():
            weight[drug], tissue[drug], bias[drug] = linear_to_wide(
                model.coef_, model.intercept_, model.scaler, norm_mean, norm_std, codes,
                cardinality, y_mean, y_std)
    with torch.no_grad():
        network.wide.weight[:, :, 0] = torch.as_tensor(weight, dtype=torch.float32)
        network.wide.bias[:, 0] = torch.as_tensor(bias, dtype=torch.float32)
        network.wide.categorical[0][:, :, 0] = torch.as_tensor(tissue, dtype=torch.float32)
        for parameter in _output_layer(network):
            parameter.zero_()


def _tissue_codes(store: str, pairs: GDSCPairs) -> np.ndarray:
    """``(T,)`` the store's categorical code of each tissue name in sorted order (the
    columns of :meth:`GDSCPairs.cell_matrix`)."""
    with CohortStore(store) as cohort:
        code_of_cell = cohort.h5["tabular/categorical"][:, 0]
    names = np.unique(pairs.tissue)
    return np.array([code_of_cell[np.flatnonzero(pairs.tissue == name)[0]] for name in names])


def _output_layer(network) -> list[torch.nn.Parameter]:
    """The deep term's last linear layer (shared and per-drug parts)."""
    heads = network.heads
    if network.per_drug_heads:
        return [heads.shared.weight, heads.shared.bias, heads.weight, heads.bias]
    last = heads.heads[network.task][-1]
    return [last.weight, last.bias]
