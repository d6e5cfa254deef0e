"""Subject-level split assignments: random, stratified, grouped and k-fold.

Every scheme assigns each *subject* (never an observation) to ``TRAIN`` (0), ``VAL`` (1)
or ``TEST`` (2), so one person never lands in two parts of a split. A k-fold scheme
becomes ``k`` stored schemes named ``<name>_<i>``: fold ``i`` is the test part, fold
``i+1 (mod k)`` the validation part, the rest train.

No part of a split is ever empty by accident: a cohort or a group count too small for the
parts asked for is a ``ValueError`` naming the split and the part, with the fix. Empty on
purpose: ``val_fraction: 0`` (no validation part), or ``split: none`` (a cohort built only
to predict, no split at all).
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
    n_parts = 3 if val_fraction > 0 else 2
    if groups is not None:
        return _grouped_holdout(groups, val_fraction, test_fraction, seed, n_parts)
    if n_subjects < n_parts:
        raise ValueError(
            f"split 'default': {n_subjects} subject(s) cannot fill the {n_parts} parts "
            f"{list(PART_NAMES[:n_parts]) if n_parts == 3 else ['train', 'test']}; add "
            f"subjects, or build with 'split: none' for a cohort built only to predict")
    parts = np.full(n_subjects, TRAIN, dtype=np.int8)
    index = np.arange(n_subjects)
    train_val, test = _split_off(index, test_fraction, seed, stratify)
    parts[test] = TEST
    if val_fraction > 0:
        _, val = _split_off(train_val, val_fraction / (1 - test_fraction), seed + 1,
                            None if stratify is None else stratify[train_val])
        parts[val] = VAL
    return parts


def _split_off(index: np.ndarray, fraction: float, seed: int, stratify: np.ndarray | None):
    """``train_test_split`` of ``index``, stratified when every class can be split (each
    has two members and both parts can hold every class), else at random."""
    if stratify is not None:
        _, counts = np.unique(stratify, return_counts=True)
        n_test = int(np.ceil(fraction * len(index)))
        if counts.min() < 2 or min(n_test, len(index) - n_test) < len(counts):
            stratify = None
    return train_test_split(index, test_size=fraction, random_state=seed, stratify=stratify)


def _grouped_holdout(groups: np.ndarray, val_fraction: float, test_fraction: float, seed: int,
                     n_parts: int) -> np.ndarray:
    """Whole groups drawn at random to each part until its subject fraction is reached; each
    part asked for gets at least one group."""
    names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    if len(names) < n_parts:
        fix = "set split.val_fraction: 0 (no validation part), " if n_parts == 3 else ""
        empty = "val" if n_parts == 3 and len(names) == 2 else "train"
        raise ValueError(
            f"split 'default' (grouped): {len(names)} group(s) cannot fill the {n_parts} parts "
            f"{list(PART_NAMES[:n_parts]) if n_parts == 3 else ['train', 'test']} (part "
            f"{empty!r} would be empty); {fix}use more groups, or drop split.group_by for a "
            f"split by subject")
    n_subjects = len(groups)
    order = np.random.default_rng(seed).permutation(len(names))
    group_part = np.full(len(names), TRAIN, dtype=np.int8)
    n_test = max(1, int(np.sum(np.cumsum(counts[order]) / n_subjects <= test_fraction + 1e-12)))
    n_test = min(n_test, len(names) - (n_parts - 1))
    group_part[order[:n_test]] = TEST
    if n_parts == 3:
        rest = order[n_test:]
        n_val = max(1, int(np.sum(np.cumsum(counts[rest]) / n_subjects
                                  <= val_fraction + 1e-12)))
        group_part[rest[:min(n_val, len(rest) - 1)]] = VAL
    return group_part[inverse]


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
    if n_subjects < k:
        raise ValueError(f"split kfold: k={k} folds need at least {k} subjects, the cohort has "
                         f"{n_subjects}; set split.kfold to a number from 3 to {n_subjects} "
                         f"or 0 for no k-fold splits" if n_subjects >= 3 else
                         f"split kfold: k={k} folds need at least {k} subjects, the cohort has "
                         f"{n_subjects}; set split.kfold: 0 (no k-fold splits)")
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


def standard_splits(first_target: np.ndarray, groups: dict[str, np.ndarray],
                    settings: dict | str | bool | None, seed: int, grouped_default: bool = True,
                    notes: list[str] | None = None) -> dict[str, np.ndarray]:
    """The standard split set of a builder.

    ``default``: a hold-out split, stratified on ``first_target`` ``(S,)`` or, with
    ``settings["group_by"]`` and ``grouped_default``, grouped by that key; ``kfold_i``:
    k-fold (``settings["kfold"]``, default 5; ``0`` for none); ``<group_by>_out_i``:
    leave-one-group-out, when the key has at least 3 groups. ``settings`` ``"none"`` (or
    ``False``) builds no split (a cohort only to predict). Splits that were not asked for
    explicitly and cannot be made (the default 5 folds of a 4-person cohort) are left out,
    and ``notes`` (when given) gets a line saying so; everything else that cannot be made
    is a ``ValueError``.
    """
    notes = [] if notes is None else notes
    if settings in ("none", False):
        notes.append("no splits (split: none): a cohort built only to predict")
        return {}
    settings = settings or {}
    n = len(first_target)
    group_by = settings.get("group_by")
    if group_by is not None and group_by not in groups:
        raise ValueError(f"split group_by {group_by!r} is not a group key ({sorted(groups)}); "
                         f"list it under 'groups'")
    splits = {"default": holdout_split(
        n, settings.get("val_fraction", 0.15), settings.get("test_fraction", 0.15), seed,
        stratify=None if group_by and grouped_default else stratify_labels(first_target),
        groups=groups[group_by] if group_by and grouped_default else None)}
    k = settings.get("kfold", 5)
    if k and n < k and "kfold" not in settings:
        notes.append(f"no k-fold splits: the default kfold={k} needs {k} subjects, the cohort "
                     f"has {n} (set split.kfold to ask for fewer folds)")
    elif k:
        for i, parts in enumerate(kfold_splits(n, k, seed)):
            splits[f"kfold_{i}"] = parts
    if group_by:
        n_groups = len(np.unique(groups[group_by]))
        if n_groups >= 3:
            for i, parts in enumerate(kfold_splits(n, n_groups, seed, groups=groups[group_by])):
                splits[f"{group_by}_out_{i}"] = parts
        else:
            notes.append(f"no {group_by}_out splits: leave-one-group-out needs 3 groups, "
                         f"{group_by} has {n_groups}")
    allow_empty_val = settings.get("val_fraction", 0.15) == 0
    for name, parts in splits.items():
        check_parts(name, parts, allow_empty=("val",) if allow_empty_val else ())
    return splits


def check_parts(name: str, parts: np.ndarray, allow_empty: tuple[str, ...] = ()) -> None:
    """Raise ``ValueError`` naming split ``name`` and the part when a part of ``parts`` (S,)
    is empty and not in ``allow_empty``."""
    for code, part in enumerate(PART_NAMES):
        if part not in allow_empty and not np.any(np.asarray(parts) == code):
            raise ValueError(f"split {name!r}: the {part} part is empty ({len(parts)} "
                             f"subjects); use more subjects or groups, other split fractions, "
                             f"or split: none for a cohort built only to predict")
