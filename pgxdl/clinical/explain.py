"""What moved one person's prediction, in the task's units (e.g. mg/week).

- **Record fields**: Integrated Gradients (:func:`pgxdl.interpret.methods.attribute_batch`)
  of the regression output *in reported units* (the trained scale's inverse applied inside
  the attributed model, so IG's completeness holds in mg/week), from the training-mean
  baseline (normalised 0, not missing); numeric value and missing indicator are summed per
  feature. Categorical fields: the change when the field is set to unknown (ablation).
- **Variants**: in-silico mutagenesis: each carried variant of the model's windows is put
  back to the reference allele and the prediction recomputed; its effect is the
  difference.

Ensemble members are explained one by one and their effects averaged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from pgxdl.clinical.ensemble import Ensemble, member_batch
from pgxdl.clinical.model_inputs import genome_codes
from pgxdl.clinical.task_units import OutputScale, output_scale
from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.variants.callset import CallSet
from pgxdl.interpret.methods import attribute_batch
from pgxdl.interpret.reference_inputs import Baselines
from pgxdl.interpret.units import network_in_units
from pgxdl.models.attribution import TaskOutput


class ReportedUnits(nn.Module):
    """``forward(*inputs) -> (N,)`` one regression task in its reported units."""

    def __init__(self, module: nn.Module, task: str, scale: OutputScale):
        super().__init__()
        self.task_output = TaskOutput(network_in_units(module), task)
        self.scale = scale

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.scale.transform.inverse(self.task_output(*inputs))


def explain_person(ensemble: Ensemble, task: str, numeric: np.ndarray,
                   categorical: np.ndarray, drug: int, callset: CallSet | None = None,
                   reference: ReferenceGenome | None = None, n_steps: int = 32
                   ) -> list[dict]:
    """Effects on ``task`` of one person's record fields and carried variants.

    Parameters
    ----------
    numeric : ``(F_num,)`` raw numeric features; categorical : ``(F_cat,)`` codes.
    callset : the person's calls (one sample) inside the windows, for the variant effects.

    Returns
    -------
    ``[{"name", "kind" ("field" | "variant"), "value", "effect"}]`` sorted by ``|effect|``.
    """
    spec = ensemble.serving.spec
    scale = output_scale(next(t for t in spec.tasks if t.name == task))
    codes = (genome_codes(callset, ensemble.serving, reference)
             if callset is not None and ensemble.uses_genome else None)
    fields = np.zeros(len(spec.numeric_features) + len(spec.categorical_features))
    for member in ensemble.members:
        model = ReportedUnits(member.module, task, scale).eval()
        batch = _inputs(member, codes, numeric[None], categorical[None], drug)
        fields += _field_effects(model, batch, n_steps) / len(ensemble.members)
    vocabularies = spec.extra.get("vocabularies", {})
    values = [*numeric.tolist(),
              *(vocabularies.get(name, [])[code - 1] if code > 0 else "unknown"
                for name, code in zip(spec.categorical_features, categorical.tolist(),
                                      strict=True))]
    names = [*spec.numeric_features, *spec.categorical_features]
    effects = [{"name": n, "kind": "field", "value": v, "effect": float(e)}
               for n, v, e in zip(names, values, fields, strict=True)]
    if codes is not None:
        effects += _variant_effects(ensemble, task, scale, numeric, categorical, drug, callset,
                                    reference)
    return sorted(effects, key=lambda e: -abs(e["effect"]))


def _inputs(member, codes, numeric, categorical, drug) -> dict[str, torch.Tensor]:
    batch = member_batch(member, codes, numeric, categorical, np.full(len(numeric), drug))
    return finalize_batch(batch, member.haplotypes)


@torch.no_grad()
def _predict(model: nn.Module, batch: dict[str, torch.Tensor]) -> np.ndarray:
    return model(*model_inputs(batch)).cpu().numpy()


def _field_effects(model: nn.Module, batch: dict[str, torch.Tensor], n_steps: int
                   ) -> np.ndarray:
    inputs = {k: batch[k] for k in ("sequence", "numeric", "numeric_missing", "categorical",
                                    "drug")}
    baselines = Baselines(inputs["sequence"].clone(), torch.zeros_like(inputs["numeric"]),
                          torch.zeros_like(inputs["numeric_missing"]),
                          inputs["categorical"].clone())
    numeric = np.zeros(inputs["numeric"].shape[1])
    if numeric.size:
        result = attribute_batch(model, inputs, "ig", baselines, n_steps=n_steps)
        numeric = (result.numeric + result.numeric_missing)[0].cpu().numpy()
    base = _predict(model, batch)[0]
    categorical = []
    for f in range(inputs["categorical"].shape[1]):
        unknown = dict(batch)
        unknown["categorical"] = batch["categorical"].clone()
        unknown["categorical"][:, f] = 0
        categorical.append(base - _predict(model, unknown)[0])
    return np.concatenate([numeric, np.array(categorical)])


def _variant_effects(ensemble: Ensemble, task: str, scale: OutputScale, numeric: np.ndarray,
                     categorical: np.ndarray, drug: int, callset: CallSet,
                     reference: ReferenceGenome) -> list[dict]:
    carried = np.flatnonzero((callset.genotypes[0] == 1).any(axis=1))
    if not len(carried):
        return []
    copies = np.repeat(callset.genotypes, len(carried) + 1, axis=0)  # row 0: as carried
    for k, v in enumerate(carried):
        copies[k + 1, v] = np.where(copies[k + 1, v] == 1, 0, copies[k + 1, v])
    variants = CallSet(callset.chrom, callset.pos, callset.ids, callset.ref, callset.alt,
                       copies, np.repeat(callset.phased, len(carried) + 1, axis=0),
                       [f"copy{k}" for k in range(len(carried) + 1)], callset.source)
    codes = genome_codes(variants, ensemble.serving, reference)
    n = len(copies)
    outputs = ensemble.member_outputs(codes, np.repeat(numeric[None], n, axis=0),
                                      np.repeat(categorical[None], n, axis=0),
                                      np.full(n, drug))
    predictions = ensemble.combine(outputs)[task]["pred"]
    effects = []
    for k, v in enumerate(carried):
        name = callset.ids[v] if callset.ids[v] not in ("", ".") else \
            f"{callset.chrom[v]}:{callset.pos[v]}"
        count = int((callset.genotypes[0, v] == 1).sum())
        effects.append({"name": f"{name} {callset.ref[v]}>{callset.alt[v]}", "kind": "variant",
                        "value": f"{count} cop{'y' if count == 1 else 'ies'}",
                        "effect": float(predictions[0] - predictions[k + 1])})
    return effects
