"""One or more checkpoints averaged as an ensemble, fed inputs built for new people.

Every member must have been trained on data of the same shape, features, vocabularies and
windows (k-fold members may differ in normalisation: each normalises its own way). Member
outputs are combined on the trained (stored) scale:

- regression: the mean of member means; with heteroscedastic heads the predictive
  variance of the equal-weight mixture, ``mean(s_m^2 + mu_m^2) - mu^2``, gives the central
  :data:`~pgxdl.tasks.metrics.INTERVAL_LEVEL` interval ``mu +/- z sd`` (the level and
  the ``pred``/``std``/``low``/``high`` vocabulary of :mod:`pgxdl.tasks`, so one member
  reproduces ``pgxdl evaluate``); point and end points then go through the inverse of the
  task's transform (:mod:`pgxdl.clinical.task_units`), ``std`` by the delta method.
  ``ensemble_sd`` is the spread of the members' points in reported units (0 for one).
- binary: mean probability; multiclass: mean class probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.stats import norm

from pgxdl.clinical.serving_spec import ServingSpec
from pgxdl.clinical.task_units import output_scale
from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.tasks.metrics import INTERVAL_LEVEL
from pgxdl.training.restore import LoadedModel, check_evaluation_data, load_model

#: Central interval level and its normal quantile (as :mod:`pgxdl.tasks` reports).
LEVEL = INTERVAL_LEVEL
Z = float(norm.ppf(0.5 + INTERVAL_LEVEL / 2))


@dataclass
class Ensemble:
    """Loaded members (eval mode) and the serving spec of the first."""

    members: list[LoadedModel]
    serving: ServingSpec
    paths: list[Path]

    @classmethod
    def load(cls, checkpoints: list[str | Path], device: str = "cpu") -> Ensemble:
        """Load every checkpoint; raise ``ValueError`` naming a member that does not fit."""
        if not checkpoints:
            raise ValueError("no checkpoint given; pass --ckpt PATH (repeat for an ensemble)")
        members = [load_model(path, device) for path in checkpoints]
        for path, member in zip(checkpoints[1:], members[1:], strict=True):
            check_evaluation_data(members[0].spec, member.spec,
                                  f"ensemble member {path} (vs {checkpoints[0]})")
        return cls(members, ServingSpec.from_spec(members[0].spec), [Path(p) for p in
                                                                     checkpoints])

    @property
    def uses_genome(self) -> bool:
        return any(member.uses_sequence for member in self.members)

    @torch.inference_mode()
    def member_outputs(self, codes: np.ndarray | None, numeric: np.ndarray,
                       categorical: np.ndarray, drug: np.ndarray) -> list[dict[str, np.ndarray]]:
        """Raw outputs of every member on the trained scale: ``{task: (N, width)}``
        (regression: mean and, with a variance head, log-variance; classification: logits).

        Parameters
        ----------
        codes : ``(N, W, H, L)`` uint8 window codes, or ``None`` for tabular-only models.
        numeric : ``(N, F_num)`` raw numeric features, NaN = missing.
        categorical : ``(N, F_cat)`` int64 codes; drug : ``(N,)`` int64 drug index.
        """
        outputs = []
        for member in self.members:
            batch = member_batch(member, codes, numeric, categorical, drug)
            batch = finalize_batch(batch, member.haplotypes)
            module = member.module
            raw = module.scaler.unscale_outputs(module(*model_inputs(batch)))
            outputs.append({k: v.float().cpu().numpy() for k, v in raw.items()})
        return outputs

    def combine(self, outputs: list[dict[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
        """Per task, the combined prediction in the task's units (module doc).

        Returns ``{task: {"pred", "std", "low", "high", "ensemble_sd", "units",
        "members"}}`` for regression (``std``/``low``/``high`` only with a variance head;
        ``members (M, N)`` in units), ``{"pred", "prob", "ensemble_sd", "members"}`` for
        binary and ``{"pred", "probs" (N, K)}`` for multiclass.
        """
        combined = {}
        for task in self.serving.spec.tasks:
            raw = np.stack([o[task.name] for o in outputs])  # (M, N, width)
            if task.kind == "regression":
                combined[task.name] = _regression(raw, output_scale(task))
            elif task.kind == "binary":
                members = 1 / (1 + np.exp(-raw[..., 0]))
                prob = members.mean(axis=0)
                combined[task.name] = {"pred": (prob >= 0.5).astype(np.int64), "prob": prob,
                                       "members": members,
                                       "ensemble_sd": members.std(axis=0)}
            else:
                shifted = np.exp(raw - raw.max(axis=2, keepdims=True))
                probs = (shifted / shifted.sum(axis=2, keepdims=True)).mean(axis=0)
                combined[task.name] = {"pred": probs.argmax(axis=1), "probs": probs}
        return combined


def _regression(raw: np.ndarray, scale) -> dict[str, np.ndarray]:
    """Mixture of member regressions ``raw (M, N, 1 | 2)`` in reported units."""
    means = raw[..., 0]
    mean = means.mean(axis=0)
    members = np.stack([scale.to_units(m) for m in means])
    result = {"pred": scale.to_units(mean), "members": members,
              "ensemble_sd": members.std(axis=0), "units": scale.units}
    if raw.shape[2] == 2:
        variances = np.exp(raw[..., 1])
        sd = np.sqrt(np.maximum((variances + means ** 2).mean(axis=0) - mean ** 2, 0.0))
        result["std"] = scale.slope(mean) * sd
        result["low"] = scale.to_units(mean - Z * sd)
        result["high"] = scale.to_units(mean + Z * sd)
    return result


def member_batch(member: LoadedModel, codes: np.ndarray | None, numeric: np.ndarray,
                 categorical: np.ndarray, drug: np.ndarray) -> dict[str, torch.Tensor]:
    """The batch dict of :mod:`pgxdl.data.spec` for one member (its own normalisation)."""
    n, device = len(drug), member.device
    missing = np.isnan(numeric)
    norm = member.spec.extra.get("normalisation") or {}
    scaled = numeric.astype(np.float32)
    if norm and numeric.shape[1]:
        scaled = (scaled - np.asarray(norm["mean"], np.float32)) / np.asarray(norm["std"],
                                                                              np.float32)
    n_tasks = len(member.spec.tasks)
    batch = {"numeric": np.nan_to_num(scaled, nan=0.0).astype(np.float32),
             "numeric_missing": missing.astype(np.float32),
             "categorical": categorical.astype(np.int64), "drug": drug.astype(np.int64),
             "target": np.zeros((n, n_tasks), np.float32),
             "target_mask": np.zeros((n, n_tasks), bool), "index": np.arange(n)}
    if codes is not None and member.uses_sequence:
        batch["codes"] = codes
    return {k: torch.from_numpy(np.ascontiguousarray(v)).to(device) for k, v in batch.items()}
