"""Validation protocols: patient-level k-fold CV and leave-site-out CV, repeated over seeds.

Both use the project's split scheme (:func:`pgxdl.data.splits.kfold_splits`), so the deep
models trained on stored splits see exactly the folds the baselines see. A split assigns
each patient to train, validation or test; the baselines, which need no validation data,
train on train + validation and are scored on test. Out-of-fold predictions of all folds of
one seed cover every patient once.

``cv``             ``k`` folds of patients (one row is one patient), shuffled by the seed;
``leave_site_out`` one fold per project site: each site is predicted by a model that never
                   saw it. The seed only reorders sites, so it changes the stochastic models'
                   random state, not the test sets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import RegressorMixin

from pgxdl.data.splits import TEST, kfold_splits

PROTOCOLS = ("cv", "leave_site_out")


@dataclass(frozen=True)
class Fold:
    """One train/test partition: ``train`` and ``test`` are index arrays into the cohort."""

    protocol: str
    seed: int
    fold: int
    train: np.ndarray
    test: np.ndarray


def protocol_parts(protocol: str, n_patients: int, seed: int, k: int = 5,
                   sites: np.ndarray | None = None) -> list[np.ndarray]:
    """The split assignments ``(N,)`` int8 (train 0, val 1, test 2) of one protocol repeat.

    Parameters
    ----------
    protocol : ``cv`` or ``leave_site_out``.
    n_patients : cohort size ``N``.
    seed : the repeat's seed.
    k : folds of ``cv`` (``leave_site_out`` has one fold per site).
    sites : ``(N,)`` project site of each patient (``leave_site_out`` only).

    Raises
    ------
    ValueError
        Unknown protocol, or ``leave_site_out`` without ``(N,)`` sites.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; known: {list(PROTOCOLS)}")
    if protocol == "cv":
        return kfold_splits(n_patients, k=k, seed=seed)
    if sites is None or len(sites) != n_patients:
        raise ValueError("leave_site_out needs the (N,) project site of every patient")
    groups = np.asarray(sites).astype(str)
    return kfold_splits(n_patients, k=len(np.unique(groups)), seed=seed, groups=groups)


def split_name(protocol: str, seed: int, fold: int) -> str:
    """Name of a protocol fold in a cohort store, e.g. ``cv_s0_3`` or ``site_out_s1_12``."""
    return f"{'site_out' if protocol == 'leave_site_out' else protocol}_s{seed}_{fold}"


def protocol_folds(protocol: str, n_patients: int, seeds: Sequence[int], k: int = 5,
                   sites: np.ndarray | None = None) -> Iterator[Fold]:
    """Yield the folds of ``protocol`` for each seed in turn (see :func:`protocol_parts`).

    Baselines train on the train and validation parts of each split.
    """
    for seed in seeds:
        for fold, parts in enumerate(protocol_parts(protocol, n_patients, seed, k, sites)):
            yield Fold(protocol, seed, fold, np.flatnonzero(parts != TEST),
                       np.flatnonzero(parts == TEST))


FoldPredictor = Callable[[Fold], np.ndarray]
"""Trains on ``fold.train``, returns the ``(len(fold.test),)`` predicted doses of ``fold.test``."""


def sklearn_fold_predictor(make: Callable[[int], RegressorMixin], features: pd.DataFrame,
                           dose: np.ndarray) -> FoldPredictor:
    """A :data:`FoldPredictor` fitting a fresh ``make(fold.seed)`` on the training rows.

    Parameters
    ----------
    make : ``seed -> unfitted scikit-learn regressor``.
    features : ``(N, F)`` model inputs.
    dose : ``(N,)`` weekly doses (mg/week).
    """
    dose = np.asarray(dose, dtype=float)

    def predict(fold: Fold) -> np.ndarray:
        model = make(fold.seed).fit(features.iloc[fold.train], dose[fold.train])
        return model.predict(features.iloc[fold.test])

    return predict


def out_of_fold_predictions(predictor: FoldPredictor, n_patients: int,
                            folds: Sequence[Fold]) -> dict[int, np.ndarray]:
    """Run ``predictor`` on every fold and gather each seed's out-of-fold predictions.

    Returns
    -------
    seed -> ``(N,)`` out-of-fold predicted doses.

    Raises
    ------
    ValueError
        When the folds of a seed leave some patient unpredicted or predict one twice.
    """
    predictions: dict[int, np.ndarray] = {}
    counts: dict[int, np.ndarray] = {}
    for fold in folds:
        if fold.seed not in predictions:
            predictions[fold.seed] = np.full(n_patients, np.nan)
            counts[fold.seed] = np.zeros(n_patients, dtype=np.int64)
        predictions[fold.seed][fold.test] = predictor(fold)
        counts[fold.seed][fold.test] += 1
    for seed, count in counts.items():
        if not np.all(count == 1):
            raise ValueError(f"the folds of seed {seed} predict {int(np.sum(count == 0))} "
                             f"patients never and {int(np.sum(count > 1))} more than once")
    return predictions
