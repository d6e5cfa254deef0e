"""Subject-level splits: disjoint parts, fractions, groups kept whole, k-fold coverage."""

from __future__ import annotations

import numpy as np
import pytest

from pgxdl.data.splits import TEST, TRAIN, VAL, holdout_split, kfold_splits, stratify_labels


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
