"""Subgroup analysis: planted characteristic variant, Welch/BH by hand, target tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explore_fixtures import DOSE_BY_POPULATION, POPULATIONS, TASKS, planted_cohort
from scipy import stats

from pgxdl.data.spec import TaskSpec
from pgxdl.explore.analysis import ExploreSettings, explore
from pgxdl.explore.features import FeatureMatrix
from pgxdl.explore.subgroups import (
    band_separation,
    characteristic_variants,
    cluster_sizes,
    target_summary,
    target_tests,
)


@pytest.fixture(scope="module")
def planted():
    """Dosages ``(300, V)``, population index per row, targets and the planted variant."""
    cohort = planted_cohort(n=300, fst=0.05)  # mild drift: the planted variant stands out
    v = cohort.sequence.variants
    site = v["window_index"].astype(np.int64) * 1000 + v["offset"]
    sites, column = np.unique(site, return_inverse=True)
    dosage = np.zeros((300, len(sites)), np.float32)
    dosage[v["subject_index"], column] = v["allele_count"]
    names = np.array([f"site{s}" for s in sites])
    population = np.searchsorted(POPULATIONS, cohort.groups["population"])
    targets = pd.DataFrame(cohort.observations.values, columns=[t.name for t in TASKS])
    planted_name = names[0]  # variant 0: window 0, smallest offset
    return FeatureMatrix(dosage, np.arange(300), names, "genotype"), population, targets, \
        planted_name


def test_planted_characteristic_variant_is_the_top_hit_of_its_cluster(planted):
    genotypes, population, _, planted_name = planted
    hits = characteristic_variants(genotypes, population, alpha=0.05, top=None)
    first = hits[hits["cluster"] == 0]
    assert first.iloc[0]["variant"] == planted_name
    assert first.iloc[0]["alt_freq_cluster"] > 0.8 and first.iloc[0]["alt_freq_rest"] < 0.1
    assert (hits["q_value"] <= 0.05).all()
    top2 = characteristic_variants(genotypes, population, top=2)
    assert top2.groupby("cluster").size().max() <= 2


def test_welch_p_values_and_bh_q_values_match_a_hand_computation(planted):
    genotypes, population, _, _ = planted
    everything = characteristic_variants(genotypes, population, alpha=1.0, top=None)
    x = genotypes.values.astype(np.float64)
    p_hand = []
    for c in range(3):
        a, b = x[population == c], x[population != c]
        va, vb = a.var(axis=0, ddof=1) / len(a), b.var(axis=0, ddof=1) / len(b)
        t = (a.mean(axis=0) - b.mean(axis=0)) / np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
        p = np.where(np.isfinite(t), 2 * stats.t.sf(np.abs(t), df), 1.0)
        p_hand.append(pd.DataFrame({"cluster": c, "variant": genotypes.names, "p": p}))
    hand = pd.concat(p_hand, ignore_index=True)
    ranked = np.sort(hand["p"].to_numpy())
    m = len(ranked)
    q_sorted = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    hand["q"] = np.minimum(q_sorted, 1)[np.argsort(np.argsort(hand["p"], kind="stable"),
                                                   kind="stable")]
    merged = everything.merge(hand, on=["cluster", "variant"])
    assert len(merged) == len(hand) == len(everything)
    np.testing.assert_allclose(merged["p_value"], merged["p"], rtol=1e-8)
    np.testing.assert_allclose(merged["q_value"], merged["q"], rtol=1e-8)


def test_random_labels_have_no_characteristic_variant(planted):
    genotypes, _, _, _ = planted
    shuffled = np.random.default_rng(5).integers(0, 3, len(genotypes.values))
    assert characteristic_variants(genotypes, shuffled).empty


def test_planted_dose_differs_and_event_does_not(planted):
    _, population, targets, _ = planted
    tests = target_tests(targets, TASKS, population).set_index("task")
    assert tests.loc["dose", "test"] == "kruskal" and tests.loc["dose", "p_value"] < 1e-20
    assert tests.loc["event", "test"] == "chi2" and tests.loc["event", "p_value"] > 0.01
    groups = [targets["dose"].to_numpy()[population == c] for c in range(3)]
    assert tests.loc["dose", "statistic"] == pytest.approx(stats.kruskal(*groups).statistic)


def test_noise_and_missing_targets_are_left_out_of_the_tests():
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1])
    targets = pd.DataFrame({"y": [1.0, 2, 3, 10, 11, np.nan, 50, 60],
                            "c": [0.0, 0, 1, 1, 1, 1, 0, 0]})
    tasks = [TaskSpec("y", "regression"), TaskSpec("c", "binary")]
    tests = target_tests(targets, tasks, labels).set_index("task")
    assert tests.loc["y", "n"] == 5 and tests.loc["c", "n"] == 6
    expected = stats.kruskal([1.0, 2, 3], [10.0, 11])
    assert tests.loc["y", "p_value"] == pytest.approx(expected.pvalue)
    chi2 = stats.chi2_contingency([[2, 1], [0, 3]])
    assert tests.loc["c", "p_value"] == pytest.approx(chi2.pvalue)


def test_target_summary_matches_numpy_per_cluster(planted):
    _, population, targets, _ = planted
    summary = target_summary(targets, TASKS, population)
    means = summary[(summary["task"] == "dose") & (summary["measure"] == "mean")]
    for c, name in enumerate(POPULATIONS):
        mine = targets["dose"].to_numpy()[population == c]
        row = means[means["cluster"] == c].iloc[0]
        assert row["value"] == pytest.approx(mine.mean())
        assert row["n"] == len(mine)
        assert abs(row["value"] - DOSE_BY_POPULATION[name]) < 2
    fractions = summary[(summary["task"] == "event") & (summary["cluster"] == 1)]
    assert fractions["value"].sum() == pytest.approx(1.0)


def test_band_separation_and_cluster_sizes():
    target = np.arange(90, dtype=float)
    bands = np.repeat([0, 1, 2], 30)
    assert band_separation(bands, target, 3)["ari"] == pytest.approx(1.0)
    assert band_separation(np.tile([0, 1, 2], 30), target, 3)["ari"] < 0.05
    sizes = cluster_sizes(np.array([2, 2, -1, 0, 0, 0]))
    assert sizes["cluster"].tolist() == [-1, 0, 2] and sizes["size"].tolist() == [1, 3, 2]
    assert sizes["fraction"].sum() == pytest.approx(1.0)


def test_explore_names_a_bad_band_task_and_label(planted):
    genotypes, population, targets, _ = planted
    settings = ExploreSettings(methods=("pca",), clusterers=("kmeans",), band_task="event")
    with pytest.raises(ValueError, match="band_task 'event' is not a continuous target"):
        explore(genotypes, settings, targets=targets, tasks=TASKS)
    with pytest.raises(ValueError, match="label has 3 rows"):
        explore(genotypes, ExploreSettings(methods=("pca",)), label=population[:3])
