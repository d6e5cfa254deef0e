"""Learned embeddings from a tiny trained checkpoint: equal to a direct forward pass, and
explored beside the genotypes by ``explore_store`` and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from checkpoint_fixtures import train_tiny_checkpoint

from pgxdl.cli import main as pgxdl_main
from pgxdl.data.batch import finalize_batch, model_inputs
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.explore import ExploreSettings, explore_store
from pgxdl.explore.embeddings import model_embeddings

SIMULATED = {"builder": "simulated", "n_subjects": 120, "n_windows": 2, "window_length": 64,
             "sites_per_window": 10, "fst": 0.2}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``(store, checkpoint, module)``: a simulated store and a model trained on it for a few
    steps."""
    return train_tiny_checkpoint(tmp_path_factory.mktemp("embeddings"), SIMULATED,
                                 train_batches=2)


def test_embeddings_equal_the_fused_input_of_the_heads(trained):
    store, checkpoint, module = trained
    embedding = model_embeddings(checkpoint, store, batch_size=17)
    with CohortStore(store) as cohort:
        assert embedding.values.shape[0] == cohort.n_subjects
    np.testing.assert_array_equal(embedding.subject_index, np.arange(len(embedding.values)))
    data = CohortDataModule(str(store), batch_size=len(embedding.values))
    batch = finalize_batch(next(iter(data.dataloader("all"))))
    with torch.no_grad():
        direct = module.network.embed(*model_inputs(batch))
        outputs = module(*model_inputs(batch))
        from_heads = module.network.heads(torch.from_numpy(embedding.values))
    np.testing.assert_allclose(embedding.values, direct.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_heads["dose"].numpy(), outputs["dose"].numpy(), rtol=1e-5,
                               atol=1e-5)
    assert embedding.source == "embedding" and embedding.names[0] == "emb0"


def test_explore_store_clusters_genotypes_and_embeddings(trained, tmp_path):
    store, checkpoint, _ = trained
    settings = ExploreSettings(methods=("pca",), clusterers=("kmeans",), n_resamples=0,
                               band_task="dose")
    results = explore_store(store, settings, checkpoint=checkpoint, label="population",
                            out=tmp_path)
    assert set(results) == {"genotype", "embedding"}
    embedded = results["embedding"]
    assert embedded.genotypes is not None  # characteristic variants still name variants
    assert embedded.outcomes[0].variants is not None
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert table["source"].tolist() == ["genotype", "embedding"]
    assert table[["band_ari", "band_nmi", "ari"]].notna().all().all()
    assert (tmp_path / "embedding" / "plots" / "pca_kmeans.png").exists()


def test_cli_with_checkpoint_and_wrong_drug(trained, tmp_path):
    store, checkpoint, _ = trained
    pgxdl_main(["explore", "--store", str(store), "--ckpt", str(checkpoint), "--methods", "pca",
          "--clusterers", "gmm", "--k", "3", "--resamples", "0", "--out", str(tmp_path)])
    assert (tmp_path / "embedding" / "methods.csv").exists()
    with pytest.raises(ValueError, match="no drug 'aspirin'"):
        model_embeddings(checkpoint, store, drug="aspirin")


def test_part_restricts_both_sources_to_held_out_subjects(trained):
    store, checkpoint, _ = trained
    settings = ExploreSettings(methods=("pca",), clusterers=("kmeans",), k=2, n_resamples=0)
    results = explore_store(store, settings, checkpoint=checkpoint, part="test")
    with CohortStore(store) as cohort:
        held_out = np.flatnonzero(cohort.split("default") == 2)
    for result in results.values():
        np.testing.assert_array_equal(result.features.subject_index, held_out)
        assert len(result.targets) == len(held_out)
    with pytest.raises(ValueError, match="part must be 'all' or one of"):
        explore_store(store, settings, part="holdout")
