"""Subject-level splits: disjoint parts, fractions, groups kept whole, k-fold coverage."""

from __future__ import annotations

import numpy as np
import pytest

from pgxdl.data.splits import (
    TEST,
    TRAIN,
    VAL,
    holdout_split,
    kfold_splits,
    standard_splits,
    stratify_labels,
)


def test_holdout_fractions_and_determinism():
    parts = holdout_split(1000, 0.15, 0.15, seed=3)
    counts = np.bincount(parts, minlength=3)
    assert counts.tolist() == [700, 150, 150]
    np.testing.assert_array_equal(parts, holdout_split(1000, 0.15, 0.15, seed=3))
    assert not np.array_equal(parts, holdout_split(1000, 0.15, 0.15, seed=4))


def test_stratified_keeps_label_shares():
    labels = np.repeat([0, 1], [900, 100])
    parts = holdout_split(1000, 0.2, 0.2, seed=0, stratify=labels)
    for part in (TRAIN, VAL, TEST):
        assert labels[parts == part].mean() == pytest.approx(0.1, abs=0.01)


def test_grouped_split_keeps_groups_whole():
    groups = np.repeat([f"site{i}" for i in range(10)], 50)
    parts = holdout_split(500, 0.2, 0.2, seed=1, groups=groups)
    for site in np.unique(groups):
        assert len(np.unique(parts[groups == site])) == 1
    assert set(np.unique(parts)) == {TRAIN, VAL, TEST}


def test_kfold_each_subject_tested_once():
    splits = kfold_splits(103, k=5, seed=0)
    tested = np.sum([s == TEST for s in splits], axis=0)
    assert tested.tolist() == [1] * 103
    for s in splits:
        assert (s == VAL).sum() > 0 and (s == TRAIN).sum() > 0


def test_leave_site_out():
    groups = np.repeat(["a", "b", "c", "d"], [10, 20, 30, 40])
    splits = kfold_splits(100, k=4, seed=0, groups=groups)
    for s in splits:
        assert len(np.unique(groups[s == TEST])) == 1
    with pytest.raises(ValueError, match="needs at least 5 groups"):
        kfold_splits(100, k=5, groups=groups)


def test_bad_fractions():
    with pytest.raises(ValueError, match="fractions"):
        holdout_split(10, 0.6, 0.5)


def test_stratify_labels_bins_and_nan():
    labels = stratify_labels(np.array([1.0, 2, 3, 4, np.nan]), n_bins=2)
    assert labels[-1] == -1 and labels[0] == 0 and labels[3] == 1


@pytest.mark.parametrize("n_groups", [3, 4, 5, 8])
def test_grouped_holdout_fills_every_part(n_groups):
    """Whatever the group sizes and seed, 3+ groups give non-empty train, val and test
    parts (a grouped hold-out over 3 sites once gave val=0)."""
    rng = np.random.default_rng(n_groups)
    for seed in range(20):
        sizes = rng.integers(1, 200, n_groups)
        groups = np.repeat(np.arange(n_groups), sizes)
        parts = holdout_split(len(groups), 0.15, 0.15, seed=seed, groups=groups)
        assert set(parts.tolist()) == {TRAIN, VAL, TEST}, (sizes, seed)
        for g in range(n_groups):
            assert len(set(parts[groups == g].tolist())) == 1


def test_grouped_holdout_two_groups_needs_explicit_no_val():
    groups = np.repeat(["a", "b"], [5, 5])
    with pytest.raises(ValueError, match="'val' would be empty.*val_fraction: 0"):
        holdout_split(10, 0.15, 0.15, groups=groups)
    parts = holdout_split(10, 0.0, 0.15, groups=groups)
    assert set(parts.tolist()) == {TRAIN, TEST}


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_cohort_is_an_error_or_no_split(n):
    with pytest.raises(ValueError, match=f"split 'default': {n} subject.*split: none"):
        standard_splits(np.arange(n, dtype=float), {}, {}, seed=0)
    notes = []
    assert standard_splits(np.arange(n, dtype=float), {}, "none", 0, notes=notes) == {}
    assert "split: none" in notes[0]


def test_three_people_default_split_without_kfold():
    notes = []
    splits = standard_splits(np.array([1.0, 2.0, 3.0]), {}, {}, seed=0, notes=notes)
    assert list(splits) == ["default"] and sorted(splits["default"].tolist()) == [0, 1, 2]
    assert "no k-fold splits" in notes[0]
    with pytest.raises(ValueError, match="k=5 folds need at least 5 subjects"):
        standard_splits(np.arange(4.0), {}, {"kfold": 5}, seed=0)


def test_stratified_holdout_with_single_member_classes():
    """Quantile bins of a 6-person target have one-member classes: the split falls back to
    random for them instead of raising scikit-learn's error."""
    labels = stratify_labels(np.array([1.0, 2, 3, 4, 5, 6]))
    assert np.bincount(labels).min() == 1
    parts = holdout_split(6, 0.15, 0.15, seed=0, stratify=labels)
    assert set(parts.tolist()) == {TRAIN, VAL, TEST}
