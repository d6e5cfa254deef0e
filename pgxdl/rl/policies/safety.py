"""A clinic's guard rails around any dosing policy: dose cap, hold rules, limited changes.

:class:`SafeDecider` wraps any decider of :mod:`pgxdl.rl.rollout` (protocol or agent). It
runs with a decision every day (the hold rules need it): the wrapped policy is asked only
on mornings with a new INR (and day 0), as an agent trained with ``decide_on:
measurement_days`` would be, and its dose is kept until the next INR. Each day's dose is
then made safe by :class:`SafetyRules`, in this order:

1. an INR above ``hold_above_inr`` (4) holds the dose for ``hold_days`` days (1; 2 above
   ``long_hold_above_inr`` = 5), after which the dose may not exceed
   ``after_hold_factor`` (0.85) times the dose before the hold;
2. after an INR above ``no_increase_above_inr`` (3) the dose may not rise;
3. from ``free_change_until_day`` (day 7, after initiation) on, a decision (a new INR)
   may change the dose given before it by at most ``max_change_fraction`` (25 %, at least
   half a tablet), as maintenance changes of 5-20 % of the weekly dose are the clinic norm
   (Ansell et al., Chest 2008;133:160S);
4. no dose exceeds ``max_daily_dose_mg`` (10 mg; higher initiation doses are not
   recommended, ACCP 2008 guidance).

The percentages are our reading of the guidance, not a validated clinical rule set.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: The smallest dose change a clinic can make (half a tablet).
HALF_TABLET_MG = 0.5


@dataclass(frozen=True)
class SafetyRules:
    """Thresholds of the guard rails (see the module docstring)."""

    max_daily_dose_mg: float = 10.0
    hold_above_inr: float = 4.0
    long_hold_above_inr: float = 5.0
    hold_days: int = 1
    long_hold_days: int = 2
    after_hold_factor: float = 0.85
    no_increase_above_inr: float = 3.0
    max_change_fraction: float = 0.25
    free_change_until_day: int = 7

    def __post_init__(self) -> None:
        if not 0 < self.after_hold_factor <= 1 or not 0 <= self.max_change_fraction:
            raise ValueError("safety: after_hold_factor must be in (0, 1] and "
                             "max_change_fraction >= 0")
        if self.max_daily_dose_mg <= 0 or self.hold_above_inr > self.long_hold_above_inr:
            raise ValueError("safety: need max_daily_dose_mg > 0 and hold_above_inr <= "
                             "long_hold_above_inr")

    @classmethod
    def from_dict(cls, values: dict | None) -> SafetyRules:
        """From a YAML mapping; unknown keys are an error that names them."""
        values = dict(values or {})
        unknown = sorted(set(values) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown safety setting(s) {unknown}")
        return cls(**values)


class SafeDecider:
    """Any decider made safe by :class:`SafetyRules`; decide daily with it."""

    def __init__(self, inner, rules: SafetyRules | None = None) -> None:
        self.inner = inner
        self.rules = rules or SafetyRules()

    def begin(self, records: list[dict]) -> None:
        """New patients: nothing given, nothing held."""
        self.inner.begin(records)
        n = len(records)
        self._planned = np.zeros(n)
        self._last = np.full(n, np.nan)
        self._hold = np.zeros(n, dtype=np.int64)
        self._cap_after_hold = np.full(n, np.inf)
        self._high = np.zeros(n, dtype=bool)
        self._anchor = np.full(n, np.nan)
        self.interventions = np.zeros(n, dtype=np.int64)

    def doses(self, obs: np.ndarray, day: int, measured: np.ndarray | None) -> np.ndarray:
        """Today's safe dose (mg) of every patient, shape ``(N,)``."""
        r = self.rules
        if measured is not None or day == 0:
            self._planned = np.asarray(self.inner.doses(obs, day, measured), dtype=float)
            self._anchor = self._last.copy()  # the dose in force before this decision
        dose = self._planned.copy()
        if measured is not None:
            self._high = measured > r.no_increase_above_inr
            long_hold = measured > r.long_hold_above_inr
            start_hold = (measured > r.hold_above_inr) & (self._hold == 0)
            self._hold = np.where(start_hold, np.where(long_hold, r.long_hold_days,
                                                       r.hold_days), self._hold)
            before = np.where(np.isnan(self._last), dose, self._last)
            # the cap after a hold lasts until the next INR that starts no hold
            self._cap_after_hold = np.where(start_hold, r.after_hold_factor * before,
                                            np.where(self._hold > 0, self._cap_after_hold,
                                                     np.inf))
        previous = np.where(np.isnan(self._last), np.inf, self._last)
        dose = np.where(self._high, np.minimum(dose, previous), dose)
        if day >= r.free_change_until_day:
            last = np.where(np.isnan(self._anchor), dose, self._anchor)
            step = np.maximum(r.max_change_fraction * last, HALF_TABLET_MG)
            dose = np.clip(dose, last - step, last + step)
        dose = np.minimum(np.minimum(dose, self._cap_after_hold), r.max_daily_dose_mg)
        holding = self._hold > 0
        dose = np.where(holding, 0.0, dose)
        self._hold = np.maximum(self._hold - 1, 0)
        self.interventions += ~np.isclose(dose, self._planned)
        self._last = np.where(holding, self._last, dose)
        return dose
