"""IWPC formulas against doses worked out by hand from the NEJM 2009 appendix coefficients."""

from __future__ import annotations

import numpy as np
import pytest
from iwpc_fixtures import patient, write_iwpc_csv

from pgxdl.iwpc.features import derive_features
from pgxdl.iwpc.formulas import FixedDose, IWPCFormula, iwpc_dose
from pgxdl.iwpc.table import read_iwpc_table

PATIENTS = [
    # 60-69 y, 170 cm, 80 kg, VKORC1 A/G, CYP2C9 *1/*3, White, no inducer, no amiodarone
    patient("PA1", **{"VKORC1 -1639 consensus": "A/G", "CYP2C9 consensus": "*1/*3"}),
    # 40-49 y, 160 cm, 60 kg, A/A, *2/*3, Asian, amiodarone
    patient("PA2", **{"Age": "40 - 49", "Height (cm)": "160", "Weight (kg)": "60",
                      "VKORC1 -1639 consensus": "A/A", "CYP2C9 consensus": "*3/*2",
                      "Race (OMB)": "Asian", "Amiodarone (Cordarone)": "1"}),
    # 70-79 y, 180 cm, 100 kg, rs9923231 untyped and no linked SNP, CYP2C9 *1/*5 (no term:
    # unknown), race missing, on phenytoin (enzyme inducer)
    patient("PA3", **{"Age": "70 - 79", "Height (cm)": "180", "Weight (kg)": "100",
                      "VKORC1 -1639 consensus": "", "CYP2C9 consensus": "*1/*5",
                      "Race (OMB)": "Unknown", "Phenytoin (Dilantin)": "1"}),
    # 50-59 y, 175 cm, 90 kg, rs9923231 untyped (rs2359612 C/C imputes G/G, but not for
    # Black patients: unknown), CYP2C9 untyped, Black or African American, on rifampin
    patient("PA4", **{"Age": "50 - 59", "Height (cm)": "175", "Weight (kg)": "90",
                      "VKORC1 -1639 consensus": "", "VKORC1 2255 consensus": "C/C",
                      "CYP2C9 consensus": "", "Race (OMB)": "Black or African American",
                      "Rifampin or Rifampicin": "1"}),
]

PHARMACOGENETIC_BY_HAND = [
    (5.6044 - 0.2614 * 6 + 0.0087 * 170 + 0.0128 * 80 - 0.8677 - 0.9357) ** 2,
    (5.6044 - 0.2614 * 4 + 0.0087 * 160 + 0.0128 * 60 - 1.6974 - 1.9206 - 0.1092
     - 0.5503) ** 2,
    (5.6044 - 0.2614 * 7 + 0.0087 * 180 + 0.0128 * 100 - 0.4854 - 0.2188 - 0.1032
     + 1.1816) ** 2,
    (5.6044 - 0.2614 * 5 + 0.0087 * 175 + 0.0128 * 90 - 0.4854 - 0.2188 - 0.2760
     + 1.1816) ** 2,
]
CLINICAL_BY_HAND = [
    (4.0376 - 0.2546 * 6 + 0.0118 * 170 + 0.0134 * 80) ** 2,
    (4.0376 - 0.2546 * 4 + 0.0118 * 160 + 0.0134 * 60 - 0.6752 - 0.5695) ** 2,
    (4.0376 - 0.2546 * 7 + 0.0118 * 180 + 0.0134 * 100 + 0.0443 + 1.2799) ** 2,
    (4.0376 - 0.2546 * 5 + 0.0118 * 175 + 0.0134 * 90 + 0.4060 + 1.2799) ** 2,
]


@pytest.fixture
def features(tmp_path):
    table = read_iwpc_table(write_iwpc_csv(tmp_path / "four.csv", PATIENTS))
    return derive_features(table.frame)


def test_pharmacogenetic_formula_matches_hand_computation(features):
    np.testing.assert_allclose(iwpc_dose(features, "pharmacogenetic"), PHARMACOGENETIC_BY_HAND,
                               rtol=1e-12)
    np.testing.assert_allclose(IWPCFormula().fit(features).predict(features),
                               PHARMACOGENETIC_BY_HAND, rtol=1e-12)


def test_clinical_formula_matches_hand_computation(features):
    np.testing.assert_allclose(IWPCFormula("clinical").fit(features).predict(features),
                               CLINICAL_BY_HAND, rtol=1e-12)


def test_fixed_dose_is_35_mg_per_week(features):
    np.testing.assert_array_equal(FixedDose().fit(features).predict(features), [35.0] * 4)


def test_formula_refuses_missing_inputs_and_unknown_names(features):
    features.loc[1, "height_cm"] = np.nan
    with pytest.raises(ValueError, match=r"height_cm': 1"):
        iwpc_dose(features)
    with pytest.raises(KeyError, match="unknown IWPC formula 'bayesian'"):
        IWPCFormula("bayesian").fit(features)
