"""The IWPC missing-value policy: appendix VKORC1 imputation and counted patient selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pgxdl.iwpc.policy import (
    SCOREABLE,
    VKORC1_IMPUTATION_RULES,
    impute_vkorc1,
    select_patients,
)
from pgxdl.iwpc.table import read_iwpc_table

# race, rs9923231, rs2359612 (2255), rs9934438 (1173), rs8050894 (1542) -> genotype, source
IMPUTATION_CASES = [
    ("White", "A/A", "C/C", "C/C", "G/G", "A/A", "genotyped"),  # measured value always wins
    ("White", None, "T/T", None, None, "A/A", "imputed_rs2359612"),
    ("Asian", None, "C/T", None, None, "A/G", "imputed_rs2359612"),
    ("White", None, "C/C", "T/T", None, "G/G", "imputed_rs2359612"),  # first rule wins
    ("Black or African American", None, "T/T", None, None, "unknown", "unknown"),
    ("Black or African American", None, "T/T", "C/T", None, "A/G", "imputed_rs9934438"),
    ("Unknown", None, None, "C/C", None, "G/G", "imputed_rs9934438"),
    ("Unknown", None, None, None, "C/C", "unknown", "unknown"),
    ("Asian", None, None, None, "C/C", "A/A", "imputed_rs8050894"),
    ("White", None, None, None, "C/G", "A/G", "imputed_rs8050894"),
    ("White", None, None, None, None, "unknown", "unknown"),
]


def test_vkorc1_imputation_follows_the_appendix_rules():
    frame = pd.DataFrame(
        [case[:5] for case in IMPUTATION_CASES],
        columns=["race", "vkorc1_rs9923231", "vkorc1_rs2359612", "vkorc1_rs9934438",
                 "vkorc1_rs8050894"],
        index=np.arange(10, 10 + len(IMPUTATION_CASES)))
    result = impute_vkorc1(frame)
    assert list(result.index) == list(frame.index)
    assert result["vkorc1"].tolist() == [case[5] for case in IMPUTATION_CASES]
    assert result["vkorc1_source"].tolist() == [case[6] for case in IMPUTATION_CASES]


def _frame(**columns):
    base = {"dose_mg_week": [35.0, np.nan, 0.0, 40.0, 28.0, 21.0, 14.0],
            "reached_stable_dose": [1.0, 1.0, 1.0, 0.0, np.nan, 1.0, 1.0],
            "age_decade": [6.0, 6.0, 6.0, np.nan, 5.0, np.nan, 7.0],
            "height_cm": [170.0, np.nan, 160.0, 150.0, 180.0, np.nan, 165.0],
            "weight_kg": [80.0, 70.0, 60.0, 50.0, 90.0, 60.0, np.nan]}
    base.update(columns)
    return pd.DataFrame(base)


def test_selection_counts_every_excluded_row_once_by_first_reason():
    kept, report = select_patients(_frame())
    np.testing.assert_array_equal(kept, [True, False, False, False, True, False, False])
    assert report.excluded == {"no_therapeutic_dose": 2, "stable_dose_not_reached": 1,
                               "age_missing": 1, "height_missing": 0, "weight_missing": 1}
    assert report.failing == {"no_therapeutic_dose": 2, "stable_dose_not_reached": 1,
                              "age_missing": 2, "height_missing": 2, "weight_missing": 1}
    assert report.n_kept + sum(report.excluded.values()) == report.n_rows == 7
    assert "kept 2 of 7" in report.summary()
    kept_dose_only, _ = select_patients(_frame(), require=["no_therapeutic_dose"])
    assert kept_dose_only.sum() == 5
    with pytest.raises(KeyError, match="unknown requirement.*'bmi'"):
        select_patients(_frame(), require=["bmi"])


@pytest.mark.realdata
def test_real_selection_agrees_with_an_independent_count(shared_data):
    table = read_iwpc_table(shared_data / "iwpc" / "iwpc.csv")
    kept, report = select_patients(table.frame, SCOREABLE)
    raw = pd.read_csv(shared_data / "iwpc" / "iwpc.csv", dtype=str, keep_default_na=False)
    raw.columns = [" ".join(name.split()) for name in raw.columns]
    dose = pd.to_numeric(raw["Therapeutic Dose of Warfarin"].replace("", np.nan))
    expected = ((dose > 0) & (raw["Subject Reached Stable Dose of Warfarin"] != "0.0")
                & (raw["Age"] != "") & (raw["Height (cm)"] != "") & (raw["Weight (kg)"] != ""))
    np.testing.assert_array_equal(kept, expected.to_numpy())
    assert report.n_kept + sum(report.excluded.values()) == 5505
    imputed = impute_vkorc1(table.frame)
    genotyped = raw["VKORC1 -1639 consensus"] != ""
    assert (imputed["vkorc1_source"] == "genotyped").sum() == genotyped.sum()
    assert set(imputed["vkorc1"]) == {"A/A", "A/G", "G/G", "unknown"}


@pytest.mark.realdata
def test_each_imputation_rule_agrees_with_measured_genotypes(shared_data):
    """Where rs9923231 was measured, each rule (with its race restriction) predicts it >98%."""
    frame = read_iwpc_table(shared_data / "iwpc" / "iwpc.csv").frame
    for rule in VKORC1_IMPUTATION_RULES:
        proxy = frame[rule.source].map(rule.mapping)
        applies = proxy.notna() & frame["vkorc1_rs9923231"].notna()
        if not rule.all_races:
            applies &= ~frame["race"].isin(["Black or African American", "Unknown"])
        agreement = (proxy[applies] == frame["vkorc1_rs9923231"][applies]).mean()
        assert applies.sum() > 1000 and agreement > 0.98, rule.source
