"""Virtual-patient populations: built-in defaults, IWPC estimates, cohort sampling."""

from __future__ import annotations

import numpy as np
import pytest
from iwpc_fixtures import patient, write_iwpc_csv

from pgxdl.rl.simulator.iwpc_population import (
    iwpc_stable_doses,
    population_from_iwpc,
    resolve_population,
)
from pgxdl.rl.simulator.population import (
    AGE_BINS,
    DEFAULT_POPULATIONS,
    PopulationModel,
    hardy_weinberg_cyp2c9,
    sample_cohort,
    sample_virtual_patients,
)


def fake_rows():
    """12 White patients + 2 Asian; one rare CYP2C9 allele, one missing VKORC1."""
    cyp = ["*1/*1"] * 6 + ["*1/*2"] * 3 + ["*1/*3", "*3/*3", "*1/*5"]
    vkor = ["G/G"] * 4 + ["A/G"] * 5 + ["A/A"] * 2 + [""]
    rows = [patient(f"PA{i}", **{"Age": "60 - 69" if i < 9 else "70 - 79",
                                 "Height (cm)": str(170 + i), "Weight (kg)": str(70 + i),
                                 "CYP2C9 consensus": cyp[i], "VKORC1 -1639 consensus": vkor[i],
                                 "Therapeutic Dose of Warfarin": str(20 + 2 * i)})
            for i in range(12)]
    rows += [patient(f"PA9{i}", **{"Race (OMB)": "Asian", "Age": "50 - 59", "Height (cm)": "160",
                                   "Weight (kg)": "60", "VKORC1 -1639 consensus": "A/A"})
             for i in range(2)]
    return rows


def write_table(path, rows):
    return write_iwpc_csv(path, rows)


def test_hardy_weinberg_frequencies():
    freq = hardy_weinberg_cyp2c9(0.1, 0.05)
    np.testing.assert_allclose(freq.sum(), 1.0)
    np.testing.assert_allclose(freq[0], 0.85**2)
    np.testing.assert_allclose(freq[4], 2 * 0.1 * 0.05)


def test_sampled_cohort_follows_the_population():
    pop = DEFAULT_POPULATIONS["european"]
    cohort = sample_cohort(pop, 40000, np.random.default_rng(0))
    np.testing.assert_allclose(np.bincount(cohort.cyp2c9, minlength=6) / 40000, pop.cyp2c9_freq,
                               atol=0.01)
    np.testing.assert_allclose(np.bincount(cohort.vkorc1, minlength=3) / 40000, pop.vkorc1_freq,
                               atol=0.01)
    np.testing.assert_allclose(np.median(cohort.weight_kg), np.exp(pop.weight_log_mean), rtol=0.02)
    assert cohort.age.min() >= AGE_BINS[0][0] and cohort.age.max() <= AGE_BINS[-1][1]
    assert cohort.record(0)["cyp2c9"] in {"*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3"}


def test_virtual_patients_are_reproducible_and_sliceable():
    pop = DEFAULT_POPULATIONS["east_asian"]
    a = sample_virtual_patients(pop, 5, np.random.default_rng(7))
    b = sample_virtual_patients(pop, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(a.params.cl, b.params.cl)
    one = a.take(3)
    assert len(one) == 1 and one.params.ec50[0] == a.params.ec50[3]


def test_population_model_rejects_bad_frequencies():
    good = DEFAULT_POPULATIONS["african"]
    with pytest.raises(ValueError, match="cyp2c9_freq"):
        PopulationModel("bad", "White", np.ones(6), good.vkorc1_freq, good.age_probs, 4.3,
                        0.2, 170.0, 10.0)


def test_iwpc_estimate_counts_by_hand(tmp_path):
    path = write_table(tmp_path / "iwpc.csv", fake_rows())
    pop = population_from_iwpc(str(path), "iwpc_white")
    # 11 known CYP2C9 calls (the *1/*5 is left out): 6 *1/*1, 3 *1/*2, 1 *1/*3, 1 *3/*3.
    np.testing.assert_allclose(pop.cyp2c9_freq, np.array([6, 3, 1, 0, 0, 1]) / 11)
    np.testing.assert_allclose(pop.vkorc1_freq, np.array([4, 5, 2]) / 11)
    np.testing.assert_allclose(pop.age_probs[4:6], [9 / 12, 3 / 12])
    np.testing.assert_allclose(pop.height_mean, np.mean(170 + np.arange(12)))
    np.testing.assert_allclose(pop.weight_log_mean, np.mean(np.log(70 + np.arange(12))))
    assert pop.race == "White" and "12 patients" in pop.source


def test_iwpc_errors_name_file_line_and_column(tmp_path):
    rows = fake_rows()
    rows[4]["Age"] = "sixty"
    path = write_table(tmp_path / "bad_age.csv", rows)
    with pytest.raises(ValueError, match=r"bad_age.csv.*line 6.*Age"):
        population_from_iwpc(str(path), "iwpc_white")
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        population_from_iwpc(str(tmp_path / "absent.csv"), "iwpc_white")
    with pytest.raises(ValueError, match="fewer than 10"):
        population_from_iwpc(str(write_table(tmp_path / "ok.csv", fake_rows())), "iwpc_asian")


def test_iwpc_stable_doses_keep_known_genotypes_only(tmp_path):
    rows = fake_rows()
    rows[0]["Subject Reached Stable Dose of Warfarin"] = "0"
    doses = iwpc_stable_doses(write_table(tmp_path / "iwpc.csv", rows), "iwpc_white")
    # 12 White: patient 0 not stable, *1/*5 and the missing VKORC1 (same row 11) left out.
    assert len(doses) == 10 and "10 of 14" in doses.source
    np.testing.assert_array_equal(doses.dose_mg_week, 20 + 2 * np.arange(1, 11))
    np.testing.assert_array_equal(doses.cyp2c9, [0] * 5 + [1] * 3 + [2, 5])
    np.testing.assert_array_equal(doses.age_decade, [6.0] * 8 + [7.0] * 2)


def test_resolve_population_falls_back_without_data(tmp_path):
    assert resolve_population("iwpc_white", tmp_path / "absent.csv").name == "european"
    assert resolve_population("iwpc_asian", None).name == "east_asian"
    with pytest.raises(ValueError, match="unknown population"):
        resolve_population("martian")


@pytest.mark.realdata
def test_real_iwpc_frequencies_are_plausible(shared_data):
    path = str(shared_data / "iwpc" / "iwpc.csv")
    white = population_from_iwpc(path, "iwpc_white")
    asian = population_from_iwpc(path, "iwpc_asian")
    assert 0.55 < white.cyp2c9_freq[0] < 0.75
    assert asian.vkorc1_freq[2] > 0.7 > white.vkorc1_freq[2]
