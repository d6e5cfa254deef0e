"""The safety layer: hold rules, caps and change limits, around any decider."""

from __future__ import annotations

import numpy as np
import pytest

from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.evaluate import protocol_config
from pgxdl.rl.policies.clinical_protocols import FixedDoseProtocol
from pgxdl.rl.policies.safety import SafeDecider, SafetyRules
from pgxdl.rl.rollout import ProtocolDecider, rollout


class Scripted:
    """A decider that asks for a given dose sequence (one per call)."""

    def __init__(self, doses):
        self.queue, self.calls = list(doses), []

    def begin(self, records):
        pass

    def doses(self, obs, day, measured):
        self.calls.append(day)
        return np.array([self.queue.pop(0)])


def run(decider, days_and_inrs, n_days=20):
    given = []
    decider.begin([{}])
    measured = dict(days_and_inrs)
    for day in range(n_days):
        inr = measured.get(day)
        given.append(float(decider.doses(None, day, None if inr is None else np.array([inr]))[0]))
    return given


def test_hold_then_reduced_cap_until_next_inr():
    inner = Scripted([5.0, 5.0, 8.0, 8.0])
    given = run(SafeDecider(inner), [(0, 1.0), (3, 4.5), (5, 5.5), (7, 2.5)], n_days=9)
    assert inner.calls == [0, 3, 5, 7]  # asked only on INR mornings
    # day 3: INR 4.5 -> hold 1 day; day 4: at most 0.85 x 5; day 5: INR 5.5 -> hold 2 days
    assert given[:3] == [5.0, 5.0, 5.0] and given[3] == 0.0
    assert given[4] == pytest.approx(4.25)
    assert given[5:7] == [0.0, 0.0]
    # day 7: INR 2.5, no hold: cap lifted, but the change from 4.25 is limited to 25 %
    assert given[7] == pytest.approx(4.25 * 1.25) and given[8] == pytest.approx(4.25 * 1.25)


def test_no_increase_above_3_and_dose_cap():
    given = run(SafeDecider(Scripted([12.0, 6.0, 9.0])), [(0, 1.0), (1, 3.4), (3, 2.2)], 5)
    assert given[0] == 10.0          # capped at 10 mg
    assert given[1:3] == [6.0, 6.0]  # lower is allowed at INR 3.4
    assert given[3] == 9.0           # before day 7 changes are free; INR back in range


def test_rules_are_validated():
    with pytest.raises(ValueError, match="unknown safety setting"):
        SafetyRules.from_dict({"max_dose": 3})
    with pytest.raises(ValueError, match="after_hold_factor"):
        SafetyRules(after_hold_factor=0.0)


def test_safe_fixed_dose_spends_fewer_days_above_4():
    config = EnvConfig(population="european")
    patients = draw_patients(config, config_population(config), 60, np.random.default_rng(2))
    daily = protocol_config(config)
    raw = rollout(daily, ProtocolDecider(FixedDoseProtocol(10.0)), patients, seed=2)
    safe_decider = SafeDecider(ProtocolDecider(FixedDoseProtocol(10.0)))
    safe = rollout(daily, safe_decider, patients, seed=2)
    assert safe.true_inr.max() < raw.true_inr.max()
    assert (safe.true_inr > 4).mean() < 0.5 * (raw.true_inr > 4).mean()
    assert safe.doses.max() <= 10.0 and safe_decider.interventions.sum() > 0
