"""Supervised dose models as the start of adaptive dosing: the predicted dose first, then
titration by the nomogram or an agent.

A *dose model* is any callable ``model(records) -> DosePrediction`` over patient records as
:meth:`~pgxdl.rl.simulator.population.VirtualCohort.record` gives them: a predicted weekly
dose and an interval per patient. :class:`RegressorDoseModel` adapts anything with
``predict(frame)`` over the IWPC feature frame (:mod:`pgxdl.iwpc.features` columns): the
IWPC formula (:class:`pgxdl.iwpc.formulas.IWPCFormula`) or a trained pgxdl dose model
(e.g. a :mod:`pgxdl.baselines.models` pipeline fitted on the IWPC table), with a
multiplicative interval ``[pred * exp(q_low), pred * exp(q_high)]`` whose log-ratio
quantiles come from held-out residuals (split conformal; :func:`log_ratio_quantiles`).

- :class:`ModelInitiatedProtocol`: the model's daily dose from day 0, then the standard
  nomogram; with ``bound_days`` > 0 the titrated dose is kept inside the model's interval
  for the first ``bound_days`` days (early INRs say little; the interval says what is
  plausible).
- :class:`HandoverDecider`: the model's dose until ``handover_day``, then a trained agent.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pgxdl.rl.policies.clinical_protocols import TitratedProtocol


@dataclass(frozen=True)
class DosePrediction:
    """Predicted weekly dose (mg) ``(N,)`` and interval bounds ``low``/``high`` ``(N,)``."""

    mg_week: np.ndarray
    low: np.ndarray
    high: np.ndarray


def records_to_features(records: list[dict]) -> pd.DataFrame:
    """The IWPC feature frame (formula columns) of virtual patient records, ``(N, 8)``."""
    return pd.DataFrame({
        "age_decade": [np.floor(r["age"] / 10.0) for r in records],
        "height_cm": [r["height_cm"] for r in records],
        "weight_kg": [r["weight_kg"] for r in records],
        "enzyme_inducer": [float(r.get("enzyme_inducer", 0)) for r in records],
        "amiodarone": [float(r.get("amiodarone", 0)) for r in records],
        "vkorc1": ["/".join(sorted(r.get("vkorc1", "unknown").split("/"))) if "/" in r.get(
            "vkorc1", "") else "unknown" for r in records],
        "cyp2c9": [r.get("cyp2c9", "unknown") for r in records],
        "race": [r.get("race", "Unknown") for r in records]})


def log_ratio_quantiles(observed: np.ndarray, predicted: np.ndarray,
                        coverage: float = 0.8) -> tuple[float, float]:
    """Quantiles of ``log(observed / predicted)`` leaving ``(1 - coverage) / 2`` each side."""
    ratio = np.log(np.asarray(observed, float) / np.asarray(predicted, float))
    tail = (1.0 - coverage) / 2.0
    low, high = np.quantile(ratio[np.isfinite(ratio)], [tail, 1.0 - tail])
    return float(low), float(high)


class RegressorDoseModel:
    """A dose model from a fitted regressor over IWPC features (mg/week) and interval quantiles.

    Parameters
    ----------
    regressor : anything with ``predict(frame) -> (N,)`` mg/week.
    log_interval : ``(q_low, q_high)`` of ``log(observed / predicted)``.
    name : label in reports.
    """

    def __init__(self, regressor, log_interval: tuple[float, float], name: str) -> None:
        if not log_interval[0] <= 0.0 <= log_interval[1]:
            raise ValueError(f"dose model {name!r}: log_interval must bracket 0, got "
                             f"{log_interval}")
        self.regressor, self.log_interval, self.name = regressor, log_interval, name

    def __call__(self, records: list[dict]) -> DosePrediction:
        """Predictions for ``N`` records."""
        dose = np.maximum(np.asarray(self.regressor.predict(records_to_features(records)),
                                     dtype=float), 1.0)
        return DosePrediction(dose, dose * np.exp(self.log_interval[0]),
                              dose * np.exp(self.log_interval[1]))


class ModelInitiatedProtocol(TitratedProtocol):
    """A dose model's prediction from day 0, then the nomogram (optionally bounded)."""

    uses_genotype = True

    def __init__(self, dose_model, bound_days: int = 0, name: str | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.dose_model, self.bound_days = dose_model, bound_days
        self.name = name or f"{getattr(dose_model, 'name', 'model')}_start" + (
            f"_bounded{bound_days}d" if bound_days else "")

    def __deepcopy__(self, memo: dict) -> ModelInitiatedProtocol:
        """Per-patient copies share the (read-only) dose model; ``reset`` replaces the state."""
        return copy.copy(self)

    def initiation(self, patient: dict) -> tuple[list[float], float]:
        """No loading; the predicted maintenance dose (mg/day)."""
        prediction = self.dose_model([patient])
        self._bounds = (prediction.low[0] / 7.0, prediction.high[0] / 7.0)
        return [], float(prediction.mg_week[0] / 7.0)

    def _titrate(self, day: int, inr: float) -> None:
        super()._titrate(day, inr)
        if day < self.bound_days:
            self._maintenance = float(np.clip(self._maintenance, *self._bounds))


class HandoverDecider:
    """The dose model's daily dose until ``handover_day``, then ``agent`` (a decider)."""

    def __init__(self, dose_model, agent, handover_day: int = 3) -> None:
        self.dose_model, self.agent, self.handover_day = dose_model, agent, handover_day

    def begin(self, records: list[dict]) -> None:
        """Predict every patient's start dose."""
        self._start = self.dose_model(records).mg_week / 7.0
        self.agent.begin(records)

    def doses(self, obs: np.ndarray, day: int, measured: np.ndarray | None) -> np.ndarray:
        """Model doses before the handover day, the agent's from then on."""
        if day < self.handover_day:
            return self._start.copy()
        return self.agent.doses(obs, day, measured)
