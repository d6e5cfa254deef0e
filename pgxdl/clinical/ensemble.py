"""One or more checkpoints averaged as an ensemble, fed inputs built for new people.

Every member must have been trained on data of the same shape, features, vocabularies and
windows (k-fold members may differ in normalisation: each normalises its own way). Member
outputs are combined on the trained scale:

- regression: the mean of member means; with heteroscedastic heads the predictive
  variance of the equal-weight mixture, ``mean(s_m^2 + mu_m^2) - mu^2``, gives a 95%
  interval ``mu +/- 1.96 sd``; point and end points then go to the task's units
  (:mod:`pgxdl.clinical.task_units`). ``ensemble_sd`` is the spread of the members' points
  in those units (0 for one member).
- binary: mean probability; multiclass: mean class probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pgxdl.clinical.serving_spec import ServingSpec
from pgxdl.clinical.task_units import output_scale
from pgxdl.data.batch import finalize_batch
from pgxdl.evaluation.compatibility import check_evaluation_data
from pgxdl.evaluation.predictions import LoadedModel, load_model

Z95 = 1.959963984540054


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
        """``predict_step`` outputs of every member (trained scale).

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
            out = member.module.predict_step(batch, 0)
            outputs.append({k: v.float().cpu().numpy() for k, v in out.items()})
        return outputs

    def combine(self, outputs: list[dict[str, np.ndarray]]) -> dict[str, dict[str, np.ndarray]]:
        """Per task, the combined prediction in the task's units (module doc).

        Returns ``{task: {"pred", "lower", "upper", "ensemble_sd", "members"}}`` for
        regression (``lower``/``upper`` only with a variance head; ``members (M, N)`` in
        units), ``{"prob", "pred", "members"}`` for binary and ``{"probs (N, K)", "pred"}``
        for multiclass.
        """
        combined = {}
        for task in self.serving.spec.tasks:
            stacked = np.stack([o[task.name] for o in outputs])  # (M, N) or (M, N, K)
            if task.kind == "regression":
                scale = output_scale(task)
                mean = stacked.mean(axis=0)
                members = np.stack([scale.to_units(m) for m in stacked])
                result = {"pred": scale.to_units(mean), "members": members,
                          "ensemble_sd": members.std(axis=0), "units": scale.units,
                          "name": scale.name}
                if all(f"{task.name}_std" in o for o in outputs):
                    stds = np.stack([o[f"{task.name}_std"] for o in outputs])
                    sd = np.sqrt(np.maximum((stds ** 2 + stacked ** 2).mean(axis=0)
                                            - mean ** 2, 0.0))
                    result["lower"] = scale.to_units(mean - Z95 * sd)
                    result["upper"] = scale.to_units(mean + Z95 * sd)
            elif task.kind == "binary":
                prob = stacked.mean(axis=0)
                result = {"prob": prob, "pred": (prob >= 0.5).astype(np.int64),
                          "members": stacked, "ensemble_sd": stacked.std(axis=0)}
            else:
                probs = stacked.mean(axis=0)
                result = {"probs": probs, "pred": probs.argmax(axis=1)}
            combined[task.name] = result
        return combined


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
