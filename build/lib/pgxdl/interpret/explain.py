"""Explain a model over one part of a cohort store: attributions, ISM and their tables.

:func:`explain_part` runs an attribution method (and optionally in-silico mutagenesis)
batch by batch, aggregates each batch at once (so memory holds tables, not maps) and
returns an :class:`Explanation`: per-observation tables of variant, gene and feature
scores, predictions, IG convergence deltas, the groups of each observation for subgroup
summaries, and the full nucleotide maps of the first few observations (for plots).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
from torch import nn

from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.interpret.aggregate import (
    VARIANT_KEY,
    VariantTable,
    cohort_summary,
    feature_attributions,
    gene_attributions,
    variant_attributions,
)
from pgxdl.interpret.batches import limit_batches
from pgxdl.interpret.ism import InSilicoMutagenesis
from pgxdl.interpret.methods import SHAP_METHODS, attribute_batch
from pgxdl.interpret.reference_inputs import Baselines, make_baselines
from pgxdl.interpret.units import network_in_units
from pgxdl.models.attribution import TaskOutput


@dataclass
class Explanation:
    """What :func:`explain_part` found; every table is keyed by ``observation``.

    variants : ``observation``, :data:`VARIANT_KEY`, ``allele_count``, ``attribution`` and,
        with ISM, ``ism``.
    genes : ``observation``, ``gene``, ``attribution``.
    features : ``observation``, ``feature``, ``kind``, ``attribution``.
    predictions : ``observation``, ``prediction``, ``target`` (NaN if missing), ``delta``
        (convergence delta, NaN for methods without one).
    groups : one column per store group key, indexed by observation.
    maps : ``{observation: (W, C, L)}`` nucleotide attributions of the first observations.
    """

    method: str
    task: str
    units: str
    variants: pd.DataFrame
    genes: pd.DataFrame
    features: pd.DataFrame
    predictions: pd.DataFrame
    groups: pd.DataFrame
    maps: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def n_observations(self) -> int:
        return len(self.predictions)

    def summary(self, level: str, group: str | None = None, value: str = "attribution"
                ) -> pd.DataFrame:
        """Cohort summary of ``level`` (``variants``, ``genes`` or ``features``).

        See :func:`pgxdl.interpret.aggregate.cohort_summary`; ``group`` names a store group
        key (e.g. ``population``) for per-subgroup rows; ``value`` may be ``ism``.
        """
        keys = {"variants": VARIANT_KEY, "genes": ["gene"], "features": ["feature", "kind"]}
        if level not in keys:
            raise ValueError(f"level must be one of {sorted(keys)}, got {level!r}")
        if group is None:
            return cohort_summary(getattr(self, level), keys[level], self.n_observations,
                                  value)
        if group not in self.groups:
            raise ValueError(f"no group key {group!r}; the store has {list(self.groups)}")
        labels = self.groups[group]
        return cohort_summary(getattr(self, level), keys[level], self.n_observations, value,
                              groups=labels, group_sizes=labels.value_counts())


def _no_cudnn(device: torch.device):
    """cuDNN RNNs cannot run backward in eval mode: disable cuDNN on CUDA devices."""
    if device.type == "cuda":
        return torch.backends.cudnn.flags(enabled=False)
    return contextlib.nullcontext()


def explain_part(network: nn.Module, datamodule: CohortDataModule, task: str,
                 method: str = "ig", part: str = "test", baselines: str | Baselines = "auto",
                 device: str | torch.device = "cpu", ism: bool = False,
                 max_observations: int | None = None, keep_maps: int = 8,
                 target_class: int | None = None, n_steps: int = 50, n_samples: int = 16,
                 n_background: int = 16, internal_batch_size: int | None = None,
                 seed: int = 0) -> Explanation:
    """Attribute ``task`` over ``part`` of the datamodule's store.

    Parameters
    ----------
    network : a trained :class:`~pgxdl.training.module.DrugResponseModule` (scores in
        the task's units, see :mod:`pgxdl.interpret.units`) or any pgxdl network
        (``forward(sequence, *others) -> {task: (N, out_dim)}``).
    datamodule : the store, split and normalisation the network expects.
    task, target_class : what to explain (see :class:`pgxdl.models.TaskOutput`).
    method : one of :data:`pgxdl.interpret.methods.METHODS`.
    baselines : ``reference``, ``cohort`` (reference + ``n_background`` training people),
        ``auto`` (cohort for Shap methods, else reference) or ready :class:`Baselines`.
    ism : also compute the revert-to-reference effect of every carried variant.
    max_observations : stop after this many observations (all when ``None``).
    keep_maps : keep the ``(W, C, L)`` maps of this many first observations.
    n_steps, n_samples, internal_batch_size, seed : see :func:`attribute_batch`.
    """
    device = torch.device(device)
    scalar = TaskOutput(network_in_units(network), task, target_class).to(device).eval()
    if isinstance(baselines, str):
        kind = baselines if baselines != "auto" else (
            "cohort" if method in SHAP_METHODS else "reference")
        baselines = make_baselines(datamodule, kind, n_background, seed)
    baselines = baselines.to(device)
    with CohortStore(datamodule.store) as store:
        with_sequence = store.has_sequence and datamodule.with_sequence
        table = VariantTable.from_store(store) if with_sequence else None
        genes = [w["gene"] for w in store.windows]
        observation_subject = store.observations()["subject_index"]
        group_values = {key: store.groups(key) for key in store.group_keys}
        mutagenesis = (InSilicoMutagenesis(scalar, store, datamodule.haplotypes)
                       if ism and with_sequence else None)
    units = next(t.units for t in datamodule.spec.tasks if t.name == task)
    column = [t.name for t in datamodule.spec.tasks].index(task)
    parts: dict[str, list[pd.DataFrame]] = {"variants": [], "genes": [], "features": [],
                                            "predictions": []}
    maps: dict[int, np.ndarray] = {}
    with _no_cudnn(device):
        for raw in limit_batches(datamodule.dataloader(part), max_observations):
            batch = finalize_batch({k: v.to(device) for k, v in raw.items()},
                                   datamodule.haplotypes)
            inputs = dict(zip(("sequence", "numeric", "numeric_missing", "categorical",
                               "drug"), model_inputs(batch), strict=True))
            index = raw["index"].numpy()
            with torch.no_grad():
                prediction = scalar(*model_inputs(batch)).float().cpu().numpy()
            result = attribute_batch(scalar, inputs, method, baselines, n_steps, n_samples,
                                     internal_batch_size, seed)
            sequence = result.sequence.float().cpu().numpy()
            if table is not None:
                variants = variant_attributions(sequence, observation_subject[index], index,
                                                table)
                if mutagenesis is not None:
                    variants["ism"] = mutagenesis.revert(raw)["ism"].to_numpy()
                parts["variants"].append(variants)
                parts["genes"].append(gene_attributions(sequence, index, genes))
            parts["features"].append(feature_attributions(
                result.numeric.cpu().numpy(), result.numeric_missing.cpu().numpy(),
                None if result.categorical is None else result.categorical.cpu().numpy(),
                index, datamodule.spec))
            target = np.where(raw["target_mask"][:, column].numpy(),
                              raw["target"][:, column].numpy(), np.nan)
            delta = (np.full(len(index), np.nan) if result.delta is None
                     else result.delta.float().cpu().numpy())
            parts["predictions"].append(pd.DataFrame({
                "observation": index, "prediction": prediction, "target": target,
                "delta": delta}))
            for i in range(min(len(index), keep_maps - len(maps))):
                maps[int(index[i])] = sequence[i]
    if not parts["predictions"]:
        raise ValueError(f"part {part!r} of {datamodule.store} has no observations to explain")
    tables = {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame()
              for k, v in parts.items()}
    observed = tables["predictions"]["observation"].to_numpy()
    groups = pd.DataFrame({k: v[observation_subject[observed]] for k, v in group_values.items()},
                          index=pd.Index(observed, name="observation"))
    return Explanation(method, task, units, tables["variants"], tables["genes"], tables["features"],
                       tables["predictions"], groups, maps)
