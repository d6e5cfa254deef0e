"""Learned embeddings of a cohort store from a trained pgxdl checkpoint.

The embedding is the network's fused representation before the task heads
(``network.embed(sequence, numeric, numeric_missing, categorical, drug)``, shape
``(N, D)``), computed in batches in eval mode, one row per observation of one drug.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.data.store import CohortStore
from pgxdl.explore.features import FeatureMatrix
from pgxdl.training.restore import checkpoint_datamodule, load_model


@torch.inference_mode()
def model_embeddings(checkpoint: str | Path, store: str | Path, drug: str | None = None,
                     split: str = "default", batch_size: int = 256, device: str = "cpu"
                     ) -> FeatureMatrix:
    """Fused embeddings ``(N, D)`` of every observation of ``drug`` in ``store``.

    Parameters
    ----------
    checkpoint : a :class:`~pgxdl.training.module.DrugResponseModule` checkpoint; the store
        must fit the data it was trained on (checked, with every mismatch named).
    store : cohort store to embed (all subjects, whatever their split part).
    drug : which drug's observations (default: the store's only drug).
    split : a stored split of ``store`` (used only to build the loader; all rows are read).
    batch_size, device : inference settings (``device`` ``auto`` picks CUDA when present).

    Returns
    -------
    FeatureMatrix with ``source="embedding"``, rows in observation order, ``subject_index``
    of each row and names ``emb0 .. emb{D-1}``.
    """
    with CohortStore(store) as cohort:
        names = cohort.drug_names
        obs = cohort.observations()
    if drug is None and len(names) != 1:
        raise ValueError(f"{store}: the store holds {len(names)} drugs; name one with drug=")
    if drug is not None and drug not in names:
        raise ValueError(f"{store}: no drug {drug!r}; stored drugs include {names[:5]}")
    wanted = names.index(drug) if drug is not None else 0
    model = load_model(checkpoint, device)
    data = checkpoint_datamodule(model, store, split, batch_size)
    network = model.module.network
    indices, chunks = [], []
    for batch in data.dataloader("all"):
        batch = finalize_batch({k: v.to(model.device) for k, v in batch.items()},
                               model.haplotypes)
        chunks.append(network.embed(*model_inputs(batch)).float().cpu().numpy())
        indices.append(batch["index"].cpu().numpy())
    index = np.concatenate(indices)
    values = np.concatenate(chunks)
    keep = obs["drug_index"][index] == wanted
    return FeatureMatrix(values[keep].astype(np.float32),
                         obs["subject_index"][index[keep]].astype(np.int64),
                         np.array([f"emb{i}" for i in range(values.shape[1])]), "embedding")
