"""Sanity checks on known biology: does a model rank the expected mutation near the top
for its drug, pointing the right way?

The deep model is explained per drug over the cell lines measured for it, with Captum's
Integrated Gradients and with feature ablation (:func:`carrier_ablation`, Captum's
``FeatureAblation`` evaluated on carriers only) on the numeric cell features (genomic calls
and MSI), against an all-wild-type cell line (every call 0) of the same tissue. A feature's
score is its mean attribution over those cell lines (negative = more sensitive, lower
ln IC50); features are ranked by its magnitude. The per-drug elastic net is ranked the
same way by its standardised coefficients. A second ranking scores each call by its mean
attribution over its carriers only (the elastic net: its coefficient per call), among calls
with at least :data:`MIN_CARRIERS` carriers: the effect of a mutation where it occurs,
which does not shrink with the mutation's rarity (EGFR is mutated in 23 of 890 lines).
"""

from __future__ import annotations

import re

import numpy as np
import torch
from captum.attr import IntegratedGradients

from pgxdl.data.store import CohortStore
from pgxdl.training import DrugResponseModule

#: Calls carried by fewer cell lines of a drug are not ranked by their per-carrier effect.
MIN_CARRIERS = 5
#: Drug name -> (expected features, expected sign of their effect on ln IC50).
EXPECTED = {
    "Gefitinib": (("EGFR_mut",), -1), "Erlotinib": (("EGFR_mut",), -1),
    "Afatinib": (("EGFR_mut",), -1), "Lapatinib": (("EGFR_mut",), -1),
    "PLX-4720": (("BRAF_mut",), -1), "Dabrafenib": (("BRAF_mut",), -1),
    "SB590885": (("BRAF_mut",), -1),
    "Trametinib": (("BRAF_mut", "KRAS_mut", "NRAS_mut"), -1),
    "Selumetinib": (("BRAF_mut", "KRAS_mut", "NRAS_mut"), -1),
    "Refametinib": (("BRAF_mut", "KRAS_mut", "NRAS_mut"), -1),
    "Nutlin-3a (-)": (("TP53_mut",), 1),
}


def expected_drugs(drug_names: list[str]) -> dict[int, str]:
    """Drug index -> :data:`EXPECTED` key for every drug (each GDSC screen of it, e.g.
    ``Afatinib (1032)`` and ``Afatinib (1377)``) the store holds."""
    bases = {index: re.sub(r" \(\d+\)$", "", label) for index, label in enumerate(drug_names)}
    return {index: base for index, base in bases.items() if base in EXPECTED}


def feature_ranks(scores: np.ndarray, names: list[str], expected: tuple[str, ...], sign: int
                  ) -> dict:
    """Rank (1 = largest ``|score|``) and sign agreement of each expected feature."""
    order = np.argsort(-np.abs(scores), kind="stable")
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(1, len(order) + 1)
    out = {}
    for feature in expected:
        i = names.index(feature)
        out[feature] = {"rank": int(rank[i]), "score": float(scores[i]),
                        "direction_ok": bool(np.sign(scores[i]) == sign)}
    best = min(expected, key=lambda f: out[f]["rank"])
    return {"features": out, "best_rank": out[best]["rank"], "best_feature": best,
            "top5": [names[i] for i in order[:5]]}


class CellInputs:
    """The model inputs of every cell line of a store, normalised as a checkpoint expects:
    ``numeric (C, F)``, ``missing (C, F)``, ``categorical (C, K)`` and the all-wild-type
    baseline ``(C, F)``."""

    def __init__(self, store: str, module: DrugResponseModule):
        norm = module.spec.extra["normalisation"]
        mean, std = (np.asarray(norm[k], dtype=np.float32) for k in ("mean", "std"))
        with CohortStore(store) as cohort:
            raw = cohort.h5["tabular/numeric"][:].astype(np.float32)
            self.categorical = torch.from_numpy(cohort.h5["tabular/categorical"][:]).long()
            obs = cohort.observations()
        self.numeric = torch.from_numpy(np.nan_to_num((raw - mean) / std))
        self.missing = torch.from_numpy(np.isnan(raw).astype(np.float32))
        self.baseline = torch.from_numpy(np.broadcast_to(-mean / std, raw.shape).copy())
        self.cells_of_drug = {int(d): obs["subject_index"][obs["drug_index"] == d]
                              for d in np.unique(obs["drug_index"])}


def attribute_drug(module: DrugResponseModule, inputs: CellInputs, drug: int,
                   ig_steps: int = 32) -> dict[str, np.ndarray]:
    """Per feature ``(F,)`` for ``drug``: mean IG and feature-ablation attribution over the
    drug's cell lines (global importance, which grows with the call's frequency), the same
    averaged over the carriers of the call only (``*_per_carrier``: the effect of the
    mutation where it occurs, 0 for calls with fewer than :data:`MIN_CARRIERS` carriers),
    and ``carriers``, the count of each call."""
    cells = torch.from_numpy(inputs.cells_of_drug[drug])
    n = len(cells)
    task = module.spec.tasks[0].name
    extra = (torch.zeros((n, 0, 4, 0)), inputs.missing[cells], inputs.categorical[cells],
             torch.full((n,), drug, dtype=torch.long))

    def forward(numeric, sequence, missing, categorical, drugs):
        return module(sequence, numeric, missing, categorical, drugs)[task][:, 0]

    x, base = inputs.numeric[cells], inputs.baseline[cells]
    module.eval()
    ig = IntegratedGradients(forward).attribute(x, base, additional_forward_args=extra,
                                                n_steps=ig_steps, internal_batch_size=4096)
    with torch.no_grad():
        ablation = carrier_ablation(lambda v, rows: forward(v, *(a[rows] for a in extra)),
                                    x, base)
    carriers = (x != base).sum(0).numpy()
    enough = carriers >= MIN_CARRIERS
    scores = {"integrated_gradients": ig.detach().numpy(), "feature_ablation": ablation.numpy()}
    out = {name: values.mean(0) for name, values in scores.items()}
    out.update({f"{name}_per_carrier": np.where(enough, values.sum(0) / np.maximum(carriers, 1),
                                                0.0) for name, values in scores.items()})
    out["carriers"] = carriers
    return out


def carrier_ablation(forward, x: torch.Tensor, baseline: torch.Tensor,
                     batch: int = 8192) -> torch.Tensor:
    """Feature ablation ``(C, F)``: ``forward(x) - forward(x with feature f at baseline)``.

    Captum's ``FeatureAblation`` with one feature per group gives the same numbers; this
    evaluates only the (cell, feature) pairs whose value differs from the baseline (the
    carriers of a binary call, a few percent), where Captum evaluates every cell per feature.
    ``forward(values (R, F), rows (R,))`` scores rows of ``x``'s cells.
    """
    attribution = torch.zeros_like(x)
    cell, feature = torch.nonzero(x != baseline, as_tuple=True)
    full = forward(x, torch.arange(len(x)))
    for start in range(0, len(cell), batch):
        c, f = cell[start:start + batch], feature[start:start + batch]
        ablated = x[c].clone()
        ablated[torch.arange(len(c)), f] = baseline[c, f]
        attribution[c, f] = full[c] - forward(ablated, c)
    return attribution


def sanity_checks(module: DrugResponseModule, store: str, elastic_net=None,
                  ig_steps: int = 32) -> dict:
    """Ranks of the expected features for every :data:`EXPECTED` drug in the store.

    ``elastic_net``: a fitted :class:`~pgxdl.gdsc.baselines.PerDrugModels` of
    :class:`~pgxdl.gdsc.baselines.ValidatedElasticNet` (its first ``F`` coefficients are the
    numeric features), ranked beside the deep model. Returns ``{drug label: {method:
    feature_ranks(...)}}``.
    """
    inputs = CellInputs(store, module)
    names = list(module.spec.numeric_features)
    with CohortStore(store) as cohort:
        labels = cohort.drug_names
    results = {}
    for drug, key in expected_drugs(labels).items():
        expected, sign = EXPECTED[key]
        scores = attribute_drug(module, inputs, drug, ig_steps)
        carriers = scores.pop("carriers")
        if elastic_net is not None and drug in elastic_net.models:
            net = elastic_net.models[drug]
            scores["elastic_net"] = net.coef_[:len(names)]
            per_call = net.coef_[:len(names)] / net.scaler.scale_[:len(names)]
            scores["elastic_net_per_carrier"] = np.where(carriers >= MIN_CARRIERS, per_call, 0.0)
        results[labels[drug]] = {method: feature_ranks(values, names, expected, sign)
                                 for method, values in scores.items()}
    return results
