"""Explore a cohort store in one call: genotype clusters and, with a checkpoint, embeddings.

``explore_store(store, settings, checkpoint=..., label="population", out=dir)`` clusters
the genotype dosages (and the model's learned embeddings), characterises the clusters,
tests the targets across them, and writes everything under ``out``. With
``ExploreSettings(band_task="dose")`` the :func:`comparison` table says whether clusters of
embeddings separate dose bands better than clusters of raw genotypes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.data.splits import PART_NAMES
from pgxdl.data.store import CohortStore
from pgxdl.explore.analysis import Exploration, ExploreSettings, explore
from pgxdl.explore.features import FeatureMatrix, subject_targets
from pgxdl.explore.genotypes import dosage_matrix
from pgxdl.explore.outputs import write_exploration
from pgxdl.io import atomic_write_text


def explore_store(store: str | Path, settings: ExploreSettings | None = None,
                  checkpoint: str | Path | None = None, label: str | None = None,
                  drug: str | None = None, out: str | Path | None = None,
                  split: str = "default", part: str = "all", device: str = "cpu",
                  batch_size: int = 256) -> dict[str, Exploration]:
    """Explore ``store``'s genotypes (and a checkpoint's embeddings); returns per source.

    Parameters
    ----------
    store : cohort store path.
    settings : reducers, clusterers and test settings (default :class:`ExploreSettings`).
    checkpoint : a trained model; adds the ``embedding`` source.
    label : a stored group key (``population``, ``site``) to colour plots and score
        clusters against (ARI, NMI).
    drug : whose targets to analyse (default: the store's only drug).
    out : folder for tables and plots (nothing is written when ``None``).
    split, part : explore only the ``train``, ``val`` or ``test`` subjects of a stored split
        (``part="all"``: everyone). Use the checkpoint's held-out part to compare
        embeddings with genotypes fairly: embeddings of training subjects fit their targets.
    device, batch_size : embedding inference settings.
    """
    settings = settings or ExploreSettings()
    if part not in ("all", *PART_NAMES):
        raise ValueError(f"part must be 'all' or one of {PART_NAMES}, got {part!r}")
    with CohortStore(store) as cohort:
        if label is not None:
            groups = cohort.groups(label)
        chosen = (np.arange(cohort.n_subjects) if part == "all"
                  else np.flatnonzero(cohort.split(split) == PART_NAMES.index(part)))
        genotypes = dosage_matrix(cohort, settings.min_maf) if "variants" in cohort.h5 else None
        all_targets, tasks = subject_targets(cohort, np.arange(cohort.n_subjects), drug)
    if genotypes is None and checkpoint is None:
        raise ValueError(f"{store}: no carried-variant table and no checkpoint: nothing to "
                         "explore (give --ckpt to explore learned embeddings)")
    sources: dict[str, FeatureMatrix] = {}
    if genotypes is not None:
        sources["genotype"] = genotypes
    if checkpoint is not None:
        from pgxdl.explore.embeddings import model_embeddings  # torch model stack: late import

        sources["embedding"] = model_embeddings(checkpoint, store, drug, batch_size=batch_size,
                                                device=device)
    results = {}
    for name, features in sources.items():
        features = features.rows_of(np.intersect1d(features.subject_index, chosen))
        results[name] = explore(
            features, settings,
            genotypes=genotypes.rows_of(features.subject_index) if genotypes else None,
            targets=all_targets.iloc[features.subject_index].reset_index(drop=True),
            tasks=tasks,
            label=groups[features.subject_index] if label is not None else None)
        if out is not None:
            write_exploration(results[name], out, settings, label or "label")
    if out is not None:
        atomic_write_text(Path(out) / "comparison.csv", comparison(results).to_csv(index=False))
    return results


def comparison(results: dict[str, Exploration]) -> pd.DataFrame:
    """All sources' reducer x clusterer tables stacked (see :meth:`Exploration.table`)."""
    return pd.concat([r.table() for r in results.values()], ignore_index=True)
