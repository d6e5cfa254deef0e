"""Flower federation of IWPC sites (ServerApp/ClientApp) under the simulation engine and
the deployment runtime: a round equals the patient-weighted mean of the same local
training step (clipped when DP asks), and only parameter arrays reach the server."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import pytorch_lightning as pl
import tomllib
import yaml
from flwr.app import Context, RecordDict
from flwr.serverapp.strategy import (
    DifferentialPrivacyClientSideFixedClipping,
    DifferentialPrivacyServerSideFixedClipping,
    FedAvg,
)
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.builders.store_build import build_store
from pgxdl.paths import REPO_ROOT
from pgxdl.privacy.federation import (
    FederationSettings,
    app_project,
    run_deployment,
    run_simulation,
)
from pgxdl.privacy.flower_app import DEFAULTS, make_strategy, site_module
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


def expected_round(store, sites, clipping_norm=None):
    """One FedAvg round computed without Flower: each site's local step from the same
    seeded start, optionally clipped to ``clipping_norm`` (L2 over all arrays, as
    Flower's fixed clipping), then the patient-weighted mean."""
    initial = get_weights(local_model(store, sites[0])[0])
    trained = [local_model(store, site, initial) for site in sites]
    counts = [len(data.rows["train"]) for _, data in trained]
    updates, norms = [], []
    for module, _ in trained:
        delta = [w - w0 for w, w0 in zip(get_weights(module), initial, strict=True)]
        norms.append(np.sqrt(sum(float((d.astype(np.float64) ** 2).sum()) for d in delta)))
        if clipping_norm is not None:
            delta = [d * min(1.0, clipping_norm / norms[-1]) for d in delta]
        updates.append(delta)
    mean = [sum(n * d for n, d in zip(counts, arrays, strict=True)) / sum(counts)
            for arrays in zip(*updates, strict=True)]
    expected = [w0 + d for w0, d in zip(initial, mean, strict=True)]
    return expected, counts, initial, norms


def assert_only_parameters_crossed(received, initial, counts, module):
    """Each reply the ServerApp got holds one array record whose arrays are exactly the
    model's state (names, shapes, dtypes) and one metric record of two scalars: no
    patient row, identifier or per-patient value."""
    state = [[name, list(value.shape), str(value.dtype).removeprefix("torch.")]
             for name, value in module.state_dict().items()]
    assert len(state) == len(initial)
    assert sorted(r["metrics"]["num-examples"] for r in received) == sorted(counts)
    for message in received:
        assert message["records"] == ["arrays", "metrics"]
        assert message["config_records"] == []
        assert message["arrays"] == state
        assert message["metric_keys"] == ["num-examples", "train_loss"]


def test_settings_choose_flowers_strategy_and_dp_wrapper():
    def strategy(**settings):
        return make_strategy({**DEFAULTS, "num-sites": 3, **settings})

    assert type(strategy()) is FedAvg and strategy().min_train_nodes == 3
    assert strategy(strategy="fedprox", **{"proximal-mu": 0.5}).proximal_mu == 0.5
    server = strategy(dp="server", **{"noise-multiplier": 0.7, "clipping-norm": 2.0})
    assert isinstance(server, DifferentialPrivacyServerSideFixedClipping)
    assert (server.noise_multiplier, server.clipping_norm, server.num_sampled_clients) == (
        0.7, 2.0, 3)
    assert isinstance(strategy(dp="client"), DifferentialPrivacyClientSideFixedClipping)
    with pytest.raises(ValueError, match="strategy 'fedsgd'"):
        strategy(strategy="fedsgd")
    with pytest.raises(ValueError, match="dp 'local'"):
        strategy(dp="local")


def test_a_node_that_names_no_site_is_refused(store):
    def node(config):
        return Context(run_id=1, node_id=1, node_config=config, state=RecordDict(),
                       run_config={})

    with pytest.raises(ValueError, match="names no site"):
        site_module(node({}), DEFAULTS)
    site = store_sites(store)["train"][1]
    settings = {**DEFAULTS, "model": json.dumps(TABULAR)}
    _, data = site_module(node({"store": store, "site": site}), settings)
    simulated = {**settings, "store": store, "sites": ",".join(store_sites(store)["train"])}
    _, same = site_module(node({"partition-id": 1}), simulated)
    assert data.sites == same.sites == [site]
    assert np.array_equal(data.rows["train"], same.rows["train"])


def test_run_config_carries_every_setting(tmp_path):
    settings = FederationSettings(TABULAR, rounds=4, strategy="fedprox", dp="server")
    config = settings.run_config(["1", "7"], tmp_path)
    assert set(config) == set(DEFAULTS)
    assert (config["num-server-rounds"], config["num-sites"], config["dp"]) == (4, 2, "server")
    assert json.loads(config["model"]) == TABULAR
    project = tomllib.loads((app_project(tmp_path / "app", config) / "pyproject.toml")
                            .read_text())
    assert project["tool"]["flwr"]["app"]["config"] == config


@pytest.mark.slow
def test_simulated_round_is_the_weighted_mean_and_only_weights_cross(store, tmp_path):
    sites = store_sites(store)["train"][:2]
    import flwr.simulation  # noqa: F401  (its import-time settings are Flower's, not the run's)

    environment = dict(os.environ)
    weights, log = run_simulation(store, sites, FederationSettings(TABULAR, rounds=1),
                                  tmp_path)
    assert dict(os.environ) == environment  # Ray's PYTHONPATH edit does not leak out
    expected, counts, initial, norms = expected_round(store, sites)
    np.testing.assert_allclose(sorted(r["update_norm"] for r in log["received"]),
                               sorted(norms), rtol=1e-4)
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert_only_parameters_crossed(log["received"], initial, counts,
                                   local_model(store, sites[0])[0])
    assert len(log["round_seconds"]) == 1 and log["dp"]["mode"] == "none"


@pytest.mark.slow
def test_deployment_runtime_with_client_clipping(store, tmp_path):
    """SuperLink, two SuperNodes and ``flwr run`` as separate processes; the sites clip
    their updates (Flower's ``fixedclipping_mod``; noise 0 so the result is exact)."""
    sites = store_sites(store)["train"][:2]
    settings = FederationSettings(TABULAR, rounds=1, dp="client", noise_multiplier=0.0,
                                  clipping_norm=1e-3)
    weights, log = run_deployment(store, sites, settings, tmp_path, timeout=600)
    expected, counts, initial, norms = expected_round(store, sites, clipping_norm=1e-3)
    assert min(norms) > 1e-3  # the clipping binds ...
    assert max(r["update_norm"] for r in log["received"]) <= 1e-3 * (1 + 1e-4)  # at the site
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    unclipped = expected_round(store, sites)[0]
    assert not np.allclose(np.concatenate([w.ravel() for w in unclipped]),
                           np.concatenate([w.ravel() for w in expected]))
    assert_only_parameters_crossed(log["received"], initial, counts,
                                   local_model(store, sites[0])[0])
    assert log["dp"] == {"mode": "client", "noise_multiplier": 0.0, "clipping_norm": 1e-3}
    for name in ("superlink", *(f"site_{site}" for site in sites)):
        assert (tmp_path / f"{name}.log").stat().st_size > 0  # each its own process
    assert store not in (tmp_path / "superlink.log").read_text()
