"""What the data says of a drug's marker: tissue-adjusted effect against two references."""

from __future__ import annotations

import numpy as np
import pytest
from gdsc_fixtures import write_gdsc_files
from scipy import stats

from pgxdl.builders.gdsc import build
from pgxdl.data.store_writer import write_store
from pgxdl.gdsc.marker_evidence import marker_effect, marker_evidence
from pgxdl.gdsc.pairs import GDSCPairs


def test_one_tissue_is_the_pooled_two_sample_t_test():
    rng = np.random.default_rng(0)
    carrier = (rng.random(80) < 0.2).astype(int)
    y = rng.normal(size=80) - 0.8 * carrier
    found = marker_effect(y, carrier, np.full(80, "lung"))
    test = stats.ttest_ind(y[carrier == 1], y[carrier == 0], equal_var=True)
    assert found["carriers"] == carrier.sum()
    assert found["effect"] == pytest.approx(found["difference"])
    assert found["effect"] == pytest.approx(y[carrier == 1].mean() - y[carrier == 0].mean())
    assert found["p"] == pytest.approx(test.pvalue)


def test_tissue_adjusted_effect_is_the_within_tissue_slope():
    """Frisch-Waugh: the coefficient equals the slope of within-tissue-demeaned y on the
    within-tissue-demeaned call; a tissue effect confounding the raw difference is removed."""
    rng = np.random.default_rng(1)
    tissue = rng.choice(["skin", "lung", "blood"], 300)
    carrier = (rng.random(300) < np.where(tissue == "skin", 0.6, 0.1)).astype(int)
    y = rng.normal(size=300) + 3.0 * (tissue == "skin") - 0.5 * carrier
    found = marker_effect(y, carrier, tissue)

    def demean(v):
        return v - np.array([v[tissue == t].mean() for t in tissue])

    c, r = demean(carrier.astype(float)), demean(y)
    assert found["effect"] == pytest.approx((c @ r) / (c @ c))
    assert found["difference"] > 0 > found["effect"]  # confounded raw, right sign adjusted
    assert found["p"] < 1e-3


def test_undefined_effects_and_bad_input():
    y, tissue = np.arange(6.0), np.array(list("aabbcc"))
    for carrier in (np.zeros(6), np.ones(6)):
        found = marker_effect(y, carrier, tissue)
        assert np.isnan(found["effect"]) and np.isnan(found["difference"])
    within = marker_effect(y, np.array([1, 1, 0, 0, 0, 0]), tissue)  # fills tissue a only
    assert np.isnan(within["effect"]) and within["difference"] == pytest.approx(-3.0)
    with pytest.raises(ValueError, match="differ in length"):
        marker_effect(y, np.zeros(5), tissue)


def test_store_evidence_finds_the_planted_markers(tmp_path):
    folder = write_gdsc_files(tmp_path / "gdsc", n_cells=150)
    store = write_store(tmp_path / "gdsc.h5", build({"data_dir": str(folder)}), salt="s",
                        progress=False)
    evidence = marker_evidence(GDSCPairs.read(store))
    assert {"Gefitinib", "Nutlin-3a (-)"} <= set(evidence)
    for drug, features in evidence.items():
        for feature, found in features.items():
            assert found["direction_ok"] and found["p"] < 0.01, (drug, feature, found)
