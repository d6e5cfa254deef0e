"""Clinical warfarin dosing protocols, the baselines the agents must beat.

Each protocol sees what a clinic sees: the patient's covariates (and genotype, if it uses
it) and the INR measured on the measurement days of the environment, nothing else.

- :class:`FixedDoseProtocol`: the same dose every day (5 mg, the usual empirical start).
- :class:`IWPCGuidedProtocol`: the IWPC pharmacogenetic algorithm (Klein et al., NEJM
  2009;360:753, appendix formula) gives the starting daily dose from age, height, weight,
  race, CYP2C9 and VKORC1; from day 3 on the INR titration nomogram below adjusts it.
  No loading dose: the IWPC dose estimates the maintenance dose.
- :class:`ClinicalLoadingProtocol`: genotype-free initiation of the EU-PACT control arm
  (Pirmohamed et al., NEJM 2013;369:2294): 10 mg on days 1 and 2 and 5 mg on day 3 for
  patients aged 75 or younger, 5 mg on days 1-3 if older; then 5 mg/day adjusted by the
  same nomogram. (From the trial's published description as we recall it; the day-4/5
  dosing table of the trial is replaced by the nomogram.)

Titration nomogram (:data:`STANDARD_NOMOGRAM`), a percent-of-weekly-dose adjustment of the
kind anticoagulation clinics use for maintenance (adjustments of 5-20 % of the weekly
dose and holding doses when the INR is high, as in the ACCP guidance, Ansell et al., Chest
2008;133:160S): INR < 1.5 +15 %; 1.5-2 +10 %; 2-3 no change; 3-4 -10 %;
4-5 hold one day then -15 %; > 5 hold two days then -20 %. During the first week an INR
below range raises the dose only from day 5 on (the INR lags the dose by days, so earlier
rises overshoot). The exact percentages are our choice inside the published ranges.
Doses are rounded to 0.5 mg (half tablets).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

DOSE_STEP_MG = 0.5


@dataclass(frozen=True)
class NomogramRule:
    """Below ``upper_inr``: multiply the dose by ``factor`` after ``hold_days`` without."""

    upper_inr: float
    factor: float
    hold_days: int = 0


STANDARD_NOMOGRAM = (
    NomogramRule(1.5, 1.15), NomogramRule(2.0, 1.10), NomogramRule(3.0, 1.0),
    NomogramRule(4.0, 0.90), NomogramRule(5.0, 0.85, 1), NomogramRule(np.inf, 0.80, 2),
)

#: IWPC pharmacogenetic algorithm coefficients (Klein et al. 2009), sqrt(weekly dose in mg).
IWPC_PG_COEFFICIENTS = {
    "intercept": 5.6044, "age_decades": -0.2614, "height_cm": 0.0087, "weight_kg": 0.0128,
    "vkorc1": {"G/G": 0.0, "G/A": -0.8677, "A/A": -1.6974, "unknown": -0.4854},
    "cyp2c9": {"*1/*1": 0.0, "*1/*2": -0.5211, "*1/*3": -0.9357, "*2/*2": -1.0616,
               "*2/*3": -1.9206, "*3/*3": -2.3312, "unknown": -0.2188},
    "race": {"White": 0.0, "Asian": -0.1092, "Black or African American": -0.2760,
             "Unknown": -0.1032},
    "enzyme_inducer": 1.1816, "amiodarone": -0.5503,
}


def round_dose(dose_mg: float) -> float:
    """Round to the nearest :data:`DOSE_STEP_MG`, never below 0."""
    return max(0.0, round(dose_mg / DOSE_STEP_MG) * DOSE_STEP_MG)


def iwpc_pharmacogenetic_daily_dose(patient: dict) -> float:
    """IWPC pharmacogenetic dose (mg/day) for a patient dict as :meth:`VirtualCohort.record` gives.

    ``age`` in years (the formula uses decades, ``floor(age / 10)``); optional keys
    ``enzyme_inducer`` and ``amiodarone`` (0/1) default to 0; a missing genotype is
    ``"unknown"``.
    """
    c = IWPC_PG_COEFFICIENTS
    vkorc1 = "G/A" if patient.get("vkorc1") == "A/G" else patient.get("vkorc1", "unknown")
    try:
        root = (c["intercept"] + c["age_decades"] * np.floor(patient["age"] / 10.0)
                + c["height_cm"] * patient["height_cm"] + c["weight_kg"] * patient["weight_kg"]
                + c["vkorc1"][vkorc1] + c["cyp2c9"][patient.get("cyp2c9", "unknown")]
                + c["race"][patient.get("race", "Unknown")]
                + c["enzyme_inducer"] * patient.get("enzyme_inducer", 0)
                + c["amiodarone"] * patient.get("amiodarone", 0))
    except KeyError as err:
        raise ValueError(f"IWPC formula: patient field or category {err} not known") from err
    return float(max(root, 0.0) ** 2 / 7.0)


class DosingProtocol(ABC):
    """A rule that picks each day's dose (mg) from the measured INRs so far."""

    name: str = "protocol"
    uses_genotype: bool = False

    @abstractmethod
    def reset(self, patient: dict) -> None:
        """Start a new patient (covariates as :meth:`VirtualCohort.record` gives)."""

    @abstractmethod
    def dose_mg(self, day: int, measured_inr: float | None) -> float:
        """The dose for ``day`` (0-based); ``measured_inr`` is that morning's INR, if measured."""


class FixedDoseProtocol(DosingProtocol):
    """The same dose every day."""

    def __init__(self, dose: float = 5.0) -> None:
        self.dose = dose
        self.name = f"fixed_{dose:g}mg"

    def reset(self, patient: dict) -> None:
        """Nothing to remember."""

    def dose_mg(self, day: int, measured_inr: float | None) -> float:
        """Always :attr:`dose`."""
        return self.dose


class TitratedProtocol(DosingProtocol):
    """Initiation doses, then a maintenance dose adjusted by a nomogram at each INR.

    Subclasses say the initiation doses and the first maintenance dose.
    """

    def __init__(self, nomogram: tuple[NomogramRule, ...] = STANDARD_NOMOGRAM,
                 first_titration_day: int = 3, first_increase_day: int = 5) -> None:
        self.nomogram = nomogram
        self.first_titration_day = first_titration_day
        self.first_increase_day = first_increase_day

    @abstractmethod
    def initiation(self, patient: dict) -> tuple[list[float], float]:
        """Doses of the first days, and the maintenance dose that follows them."""

    def reset(self, patient: dict) -> None:
        """Plan the initiation for ``patient``."""
        self._loading, self._maintenance = self.initiation(patient)
        self._hold = 0

    def dose_mg(self, day: int, measured_inr: float | None) -> float:
        """Initiation dose, else the maintenance dose after titrating on a new INR."""
        if measured_inr is not None and day >= self.first_titration_day:
            self._titrate(day, measured_inr)
        if self._hold > 0:
            self._hold -= 1
            return 0.0
        if day < len(self._loading):
            return self._loading[day]
        return round_dose(self._maintenance)

    def _titrate(self, day: int, inr: float) -> None:
        rule = next(r for r in self.nomogram if inr < r.upper_inr)
        if rule.factor > 1.0 and day < self.first_increase_day:
            return
        self._maintenance *= rule.factor
        self._hold = rule.hold_days


class IWPCGuidedProtocol(TitratedProtocol):
    """IWPC pharmacogenetic starting dose, then the titration nomogram."""

    name = "iwpc_pg_titration"
    uses_genotype = True

    def initiation(self, patient: dict) -> tuple[list[float], float]:
        """No loading; maintenance from the IWPC pharmacogenetic formula."""
        return [], iwpc_pharmacogenetic_daily_dose(patient)


class ClinicalLoadingProtocol(TitratedProtocol):
    """EU-PACT control-arm initiation by age, then 5 mg/day titrated; no genotype."""

    name = "eupact_clinical_titration"

    def __init__(self, age_cutoff: float = 75.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.age_cutoff = age_cutoff

    def initiation(self, patient: dict) -> tuple[list[float], float]:
        """10, 10, 5 mg (age <= cutoff) or 5, 5, 5 mg, then 5 mg/day."""
        loading = [10.0, 10.0, 5.0] if patient["age"] <= self.age_cutoff else [5.0, 5.0, 5.0]
        return loading, 5.0


def default_protocols() -> list[DosingProtocol]:
    """The three baselines of the benchmark."""
    return [FixedDoseProtocol(5.0), IWPCGuidedProtocol(), ClinicalLoadingProtocol()]
