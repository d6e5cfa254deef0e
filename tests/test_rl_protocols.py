"""Clinical protocols: the IWPC formula by hand, loading doses, titration rules, behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from pgxdl.rl.environment.config import EnvConfig
from pgxdl.rl.environment.dosing_env import config_population, draw_patients
from pgxdl.rl.policies.clinical_protocols import (
    ClinicalLoadingProtocol,
    FixedDoseProtocol,
    IWPCGuidedProtocol,
    iwpc_pharmacogenetic_daily_dose,
)
from pgxdl.rl.rollout import ProtocolDecider, rollout

PATIENT = {"age": 65.0, "height_cm": 170.0, "weight_kg": 80.0, "race": "White",
           "cyp2c9": "*1/*3", "vkorc1": "G/A"}


def test_iwpc_dose_by_hand():
    # Klein et al. 2009: sqrt(weekly) = 5.6044 - 0.2614 decades + 0.0087 height
    # + 0.0128 weight - 0.8677 (VKORC1 A/G) - 0.9357 (CYP2C9 *1/*3).
    root = 5.6044 - 0.2614 * 6 + 0.0087 * 170 + 0.0128 * 80 - 0.8677 - 0.9357
    assert iwpc_pharmacogenetic_daily_dose(PATIENT) == pytest.approx(root**2 / 7)
    asian_amiodarone = {**PATIENT, "race": "Asian", "amiodarone": 1, "vkorc1": "A/G"}
    assert iwpc_pharmacogenetic_daily_dose(asian_amiodarone) == pytest.approx(
        (root - 0.1092 - 0.5503) ** 2 / 7)


def test_iwpc_dose_falls_with_sensitive_genotypes():
    base = iwpc_pharmacogenetic_daily_dose({**PATIENT, "cyp2c9": "*1/*1", "vkorc1": "G/G"})
    assert iwpc_pharmacogenetic_daily_dose({**PATIENT, "cyp2c9": "*3/*3"}) < base
    assert iwpc_pharmacogenetic_daily_dose({**PATIENT, "vkorc1": "A/A"}) < base
    with pytest.raises(ValueError, match="not known"):
        iwpc_pharmacogenetic_daily_dose({**PATIENT, "cyp2c9": "*1/*8"})


def test_clinical_loading_by_age_then_titration():
    young, old = ClinicalLoadingProtocol(), ClinicalLoadingProtocol()
    young.reset({**PATIENT, "age": 60.0})
    old.reset({**PATIENT, "age": 80.0})
    assert [young.dose_mg(d, None) for d in range(4)] == [10.0, 10.0, 5.0, 5.0]
    assert [old.dose_mg(d, None) for d in range(4)] == [5.0, 5.0, 5.0, 5.0]


def test_titration_nomogram():
    protocol = ClinicalLoadingProtocol()
    protocol.reset(PATIENT)
    for day in range(3):
        protocol.dose_mg(day, None)
    assert protocol.dose_mg(3, 1.2) == 5.0          # low INR before day 5: no increase yet
    assert protocol.dose_mg(5, 1.2) == 6.0          # +15 % = 5.75, given as 6 (0.5 mg steps)
    assert protocol.dose_mg(7, 2.5) == 6.0          # in range: unchanged
    assert protocol.dose_mg(14, 4.5) == 0.0         # 4-5: hold one day ...
    assert protocol.dose_mg(15, None) == 5.0        # ... then -15 % (5.75 * 0.85 = 4.89)
    assert protocol.dose_mg(21, 6.0) == 0.0         # > 5: hold two days, then -20 %
    assert protocol.dose_mg(22, None) == 0.0
    assert protocol.dose_mg(23, None) == 4.0


def test_fixed_dose_and_names():
    protocol = FixedDoseProtocol(3.0)
    protocol.reset(PATIENT)
    assert {protocol.dose_mg(d, 9.0) for d in range(10)} == {3.0}
    assert IWPCGuidedProtocol.uses_genotype and not ClinicalLoadingProtocol.uses_genotype


def test_genotype_guided_protocol_beats_a_fixed_dose():
    config = EnvConfig(population="european", episode_days=60)
    patients = draw_patients(config, config_population(config), 60, np.random.default_rng(0))
    pttr = {}
    for protocol in (FixedDoseProtocol(5.0), IWPCGuidedProtocol()):
        batch = rollout(config, ProtocolDecider(protocol), patients, seed=3)
        pttr[protocol.name] = batch.per_patient_metrics()["pttr"].mean()
    assert pttr["iwpc_pg_titration"] > pttr["fixed_5mg"] + 0.1
