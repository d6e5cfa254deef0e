"""Subject-level split assignments: random, stratified, grouped and k-fold.

Every scheme assigns each *subject* (never an observation) to ``TRAIN`` (0), ``VAL`` (1)
or ``TEST`` (2), so one person never lands in two parts of a split. A k-fold scheme
becomes ``k`` stored schemes named ``<name>_<i>``: fold ``i`` is the test part, fold
``i+1 (mod k)`` the validation part, the rest train.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, train_test_split

TRAIN, VAL, TEST = 0, 1, 2
PART_NAMES = ("train", "val", "test")


def holdout_split(
    n_subjects: int,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """One train/val/test assignment, shape ``(S,)`` int8.

    ``stratify`` (S,) keeps label proportions in each part; ``groups`` (S,) keeps every
    group (a site, a family) whole within one part, by assigning whole groups at random
    until each part's subject fraction is reached.
    """
    if not 0 <= val_fraction < 1 or not 0 < test_fraction < 1 or val_fraction + test_fraction >= 1:
        raise ValueError(f"split fractions val={val_fraction}, test={test_fraction} must be in "
                         "[0, 1) and sum to less than 1")
    rng = np.random.default_rng(seed)
    parts = np.full(n_subjects, TRAIN, dtype=np.int8)
    if groups is not None:
        names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        order = rng.permutation(len(names))
        cumulative = np.cumsum(counts[order]) / n_subjects
        group_part = np.full(len(names), TRAIN, dtype=np.int8)
        group_part[order[cumulative <= test_fraction + 1e-12]] = TEST
        if not (group_part == TEST).any():
            group_part[order[0]] = TEST
        rest = order[group_part[order] != TEST]
        cumulative = np.cumsum(counts[rest]) / n_subjects
        group_part[rest[cumulative <= val_fraction + 1e-12]] = VAL
        return group_part[inverse]
    index = np.arange(n_subjects)
    train_val, test = train_test_split(index, test_size=test_fraction, random_state=seed,
                                       stratify=stratify)
    parts[test] = TEST
    if val_fraction > 0:
        _, val = train_test_split(
            train_val, test_size=val_fraction / (1 - test_fraction), random_state=seed + 1,
            stratify=None if stratify is None else stratify[train_val])
        parts[val] = VAL
    return parts


def kfold_splits(
    n_subjects: int,
    k: int = 5,
    seed: int = 0,
    stratify: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> list[np.ndarray]:
    """``k`` assignments ``(S,)`` int8; fold ``i`` is test in the ``i``-th, fold ``i+1`` val.

    With ``groups``, folds are grouped (``GroupKFold`` over a seeded shuffle of the group
    labels), so leave-site-out validation is ``groups=site`` with ``k = number of sites``.
    """
    if k < 3:
        raise ValueError(f"k-fold needs k >= 3 (train, val and test folds), got k={k}")
    index = np.arange(n_subjects)
    if groups is not None:
        names, inverse = np.unique(groups, return_inverse=True)
        if len(names) < k:
            raise ValueError(f"grouped k-fold with k={k} needs at least {k} groups, "
                             f"got {len(names)}")
        shuffled = np.random.default_rng(seed).permutation(len(names))[inverse]
        folds = GroupKFold(n_splits=k).split(index, groups=shuffled)
    elif stratify is not None:
        folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(index, stratify)
    else:
        folds = KFold(n_splits=k, shuffle=True, random_state=seed).split(index)
    fold_of = np.empty(n_subjects, dtype=np.int64)
    for fold, (_, test) in enumerate(folds):
        fold_of[test] = fold
    splits = []
    for fold in range(k):
        parts = np.full(n_subjects, TRAIN, dtype=np.int8)
        parts[fold_of == fold] = TEST
        parts[fold_of == (fold + 1) % k] = VAL
        splits.append(parts)
    return splits


def stratify_labels(values: np.ndarray, n_bins: int = 5) -> np.ndarray:
    """Labels to stratify a continuous target by: quantile bins, NaN as its own bin."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    labels = np.full(len(values), -1)
    if finite.any():
        edges = np.unique(np.quantile(values[finite], np.linspace(0, 1, n_bins + 1)[1:-1]))
        labels[finite] = np.searchsorted(edges, values[finite], side="right")
    return labels


def standard_splits(first_target: np.ndarray, groups: dict[str, np.ndarray], settings: dict,
                    seed: int, grouped_default: bool = True) -> dict[str, np.ndarray]:
    """The standard split set of a builder.

    ``default``: a hold-out split, stratified on ``first_target`` ``(S,)`` or, with
    ``settings["group_by"]`` and ``grouped_default``, grouped by that key; ``kfold_i``:
    k-fold (``settings["kfold"]``, default 5); ``<group_by>_out_i``: leave-one-group-out,
    when the key has at least 3 groups.
    """
    n = len(first_target)
    group_by = settings.get("group_by")
    if group_by is not None and group_by not in groups:
        raise ValueError(f"split group_by {group_by!r} is not a group key ({sorted(groups)})")
    splits = {"default": holdout_split(
        n, settings.get("val_fraction", 0.15), settings.get("test_fraction", 0.15), seed,
        stratify=None if group_by and grouped_default else stratify_labels(first_target),
        groups=groups[group_by] if group_by and grouped_default else None)}
    for i, parts in enumerate(kfold_splits(n, settings.get("kfold", 5), seed)):
        splits[f"kfold_{i}"] = parts
    if group_by:
        n_groups = len(np.unique(groups[group_by]))
        if n_groups >= 3:
            for i, parts in enumerate(kfold_splits(n, n_groups, seed, groups=groups[group_by])):
                splits[f"{group_by}_out_{i}"] = parts
    return splits
