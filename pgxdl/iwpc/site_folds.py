"""Out-of-site folds: leave one site out, leave several sites out, and grouped inner folds.

Every fold keeps all patients of a site on one side, so a model is always scored at
hospitals it never saw. The inner folds (:func:`grouped_site_folds`) split the *training*
sites of an outer fold, for choosing features and recipes without looking at the test site.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def _site_labels(sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    sites = np.asarray(sites).astype(str)
    return sites, np.unique(sites)


def leave_sites_out(sites: np.ndarray, per_fold: int = 1, repeats: int = 1, seed: int = 0
                    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(repeat, train_rows, test_rows)``, each site in one test part per repeat.

    ``per_fold = 1`` is leave-one-site-out (one repeat is enough: it is deterministic);
    ``per_fold = k`` shuffles the sites (seeded) and deals them into
    ``round(n_sites / k)`` groups of ``k`` sites (sizes differing by at most one), each
    held out in turn, ``repeats`` times.

    Raises
    ------
    ValueError
        When fewer than ``per_fold + 1`` sites exist (no training site would be left).
    """
    sites, labels = _site_labels(sites)
    if per_fold < 1 or len(labels) <= per_fold:
        raise ValueError(f"cannot hold out {per_fold} of {len(labels)} sites and train on the "
                         "rest: use fewer per fold")
    rng = np.random.default_rng(seed)
    for repeat in range(repeats if per_fold > 1 else 1):
        order = rng.permutation(labels) if per_fold > 1 else labels
        for group in np.array_split(order, max(1, round(len(labels) / per_fold))):
            test = np.isin(sites, group)
            yield repeat, np.flatnonzero(~test), np.flatnonzero(test)


def grouped_site_folds(sites: np.ndarray, n_folds: int = 5, seed: int = 0
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train_rows, test_rows)`` of ``min(n_folds, n_sites)`` folds of whole sites.

    Sites are shuffled (seeded) and dealt to folds largest first, each to the fold with the
    fewest patients so far, so the folds are of similar size.

    Raises
    ------
    ValueError
        With fewer than two sites (no out-of-site validation is possible).
    """
    sites, labels = _site_labels(sites)
    if len(labels) < 2:
        raise ValueError(f"out-of-site validation needs at least 2 training sites, got "
                         f"{len(labels)}")
    n_folds = min(n_folds, len(labels))
    counts = {label: int(np.sum(sites == label)) for label in labels}
    order = sorted(np.random.default_rng(seed).permutation(labels), key=lambda s: -counts[s])
    fold_of, sizes = {}, np.zeros(n_folds, dtype=int)
    for label in order:
        fold = int(np.argmin(sizes))
        fold_of[label] = fold
        sizes[fold] += counts[label]
    assigned = np.array([fold_of[s] for s in sites])
    return [(np.flatnonzero(assigned != f), np.flatnonzero(assigned == f))
            for f in range(n_folds)]
