"""Cached runs of the GDSC benchmark: one ``<name>__<split>`` entry per model and split.

Each entry keeps the test rows and predictions (``.npz``) with the epoch count (0 for a
baseline) and seconds; a deep model's best checkpoint is kept beside it (``.ckpt``), so
the benchmark table, the sanity checks and prediction for new cell lines reuse one
training instead of repeating it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pgxdl.gdsc.pairs import GDSCPairs
from pgxdl.gdsc.training import train_model
from pgxdl.io import atomic_path


def run_paths(cache: str | Path, name: str, split: str) -> tuple[Path, Path]:
    """``(.npz, .ckpt)`` paths of the run of ``name`` on ``split`` under ``cache``."""
    stem = Path(cache) / f"{name}__{split}"
    return stem.with_suffix(".npz"), stem.with_suffix(".ckpt")


def cached(cache: str | Path, name: str, split: str,
           compute: Callable[[], tuple[np.ndarray, np.ndarray, int]]) -> dict:
    """Load run ``name`` on ``split`` from ``cache``, or ``compute()`` -> ``(rows (P,),
    prediction (P,), epochs)`` and save it. Returns ``{"rows", "prediction", "epochs",
    "seconds", "checkpoint"}`` (``checkpoint`` is ``None`` unless a ``.ckpt`` exists)."""
    npz, ckpt = run_paths(cache, name, split)
    if not npz.is_file():
        start = time.perf_counter()
        rows, prediction, epochs = compute()
        with atomic_path(npz) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, rows=rows, prediction=prediction, epochs=epochs,
                     seconds=time.perf_counter() - start)
    with np.load(npz) as saved:
        return {"rows": saved["rows"], "prediction": saved["prediction"],
                "epochs": int(saved["epochs"]), "seconds": float(saved["seconds"]),
                "checkpoint": ckpt if ckpt.is_file() else None}


def deep_run(cache: str | Path, store: str | Path, name: str, split: str, model_config: dict,
             **train_args) -> dict:
    """:func:`cached` training of ``model_config`` (``train_args`` go to
    :func:`~pgxdl.gdsc.training.train_model`), keeping its best checkpoint."""
    _, ckpt = run_paths(cache, name, split)

    def compute():
        trained = train_model(store, split, model_config, checkpoint=ckpt, **train_args)
        return trained.test_rows, trained.prediction, trained.epochs
    return cached(cache, name, split, compute)


def baseline_run(cache: str | Path, pairs: GDSCPairs, baseline, split: str) -> dict:
    """:func:`cached` fit of ``baseline`` on ``split``'s train part (validation given),
    predicted on its test part."""
    def compute():
        parts = pairs.parts(split)
        train, val, test = (np.flatnonzero(parts == code) for code in (0, 1, 2))
        return test, baseline.fit(pairs, train, val).predict(pairs, test), 0
    return cached(cache, baseline.name, split, compute)
