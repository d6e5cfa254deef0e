"""Flower federation of IWPC sites: FedAvg equals the weighted mean of the same local
training step, and only weight arrays cross from the site processes to the server."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
import yaml
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.builders.store_build import build_store
from pgxdl.paths import REPO_ROOT
from pgxdl.privacy.federation import flower_available, run_federation
from pgxdl.privacy.sites import (
    SiteDataModule,
    get_weights,
    set_weights,
    store_sites,
    train_local,
)
from pgxdl.training import build_module

TABULAR = {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
    "sequence_encoder": None,
    "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                        "init_args": {"hidden": [8], "dropout": 0.0}}}}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("federated")
    table = write_iwpc_csv(folder / "iwpc.csv", synthetic_rows(160, seed=3))
    config = yaml.safe_load((REPO_ROOT / "configs/data/iwpc.yaml").read_text())
    config.update(table=str(table), reference=str(write_fake_reference(folder / "ref.fa")),
                  genotypes_in_tabular=True, protocol_seeds=[0])
    return str(build_store(config, folder / "iwpc.h5"))


def local_model(store: str, site: str, weights=None, model=TABULAR):
    """A client's module exactly as its process builds it (seed 0), optionally trained."""
    pl.seed_everything(0)
    data = SiteDataModule(store, [site], with_sequence=False, batch_size=64, seed=0)
    module = build_module(data.spec, model)
    if weights is not None:
        set_weights(module, weights)
        train_local(module, data, epochs=1)
    return module, data


def test_site_data_holds_only_its_sites_patients(store):
    sites = store_sites(store)["train"]
    one = SiteDataModule(store, [sites[0]], with_sequence=False)
    both = SiteDataModule(store, sites[:2], with_sequence=False)
    assert len(one.rows["train"]) < len(both.rows["train"])
    assert set(one.rows["train"]) <= set(both.rows["train"])
    with pytest.raises(ValueError, match="no site"):
        SiteDataModule(store, ["no-such-site"], with_sequence=False)


def test_fedprox_proximal_term_pulls_towards_the_global_weights(store):
    site = store_sites(store)["train"][0]
    start, data = local_model(store, site)
    initial = get_weights(start)

    sgd = {**TABULAR, "optimizer": {"class_path": "torch.optim.SGD",
                                    "init_args": {"lr": 0.1, "weight_decay": 0.0}}}

    def drift(mu: float) -> float:
        module, _ = local_model(store, site, model=sgd)
        train_local(module, data, epochs=5, proximal_mu=mu)
        return sum(float(((a - b) ** 2).sum()) for a, b in zip(get_weights(module), initial,
                                                                strict=True))

    assert drift(5.0) < 0.5 * drift(0.0)


@pytest.mark.slow
@pytest.mark.skipif(not flower_available(), reason="no Flower environment (docs/privacy.md)")
def test_fedavg_round_is_the_weighted_mean_and_only_weights_cross(store, tmp_path):
    sites = store_sites(store)["train"][:2]
    weights, received = run_federation(store, sites, TABULAR, tmp_path, rounds=1, epochs=1,
                                       timeout=600)
    initial = get_weights(local_model(store, sites[0])[0])
    trained = [local_model(store, site, initial) for site in sites]
    counts = [len(data.rows["train"]) for _, data in trained]
    expected = [sum(n * w for n, w in zip(counts, arrays, strict=True)) / sum(counts)
                for arrays in zip(*(get_weights(m) for m, _ in trained), strict=True)]
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    shapes = [[list(a.shape), str(a.dtype)] for a in initial]
    assert sorted(r["num_examples"] for r in received["received"]) == sorted(counts)
    for message in received["received"]:  # what the server got from each site
        assert message["arrays"] == shapes and message["metrics"] == ["train_loss"]
    assert store not in (tmp_path / "server.log").read_text()
