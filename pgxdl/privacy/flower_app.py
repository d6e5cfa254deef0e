"""The federation as a Flower app: a ``ServerApp`` (FedAvg or FedProx, optionally wrapped in
Flower's fixed-clipping DP) and a ``ClientApp`` per IWPC site, on Flower's Message API.

The same two apps run under Flower's simulation engine (:func:`build_server_app` /
:func:`build_client_app` with the settings given in Python) and under its deployment
runtime (the module-level :data:`server_app` / :data:`client_app`, which read Flower's
run config and, at a SuperNode, its node config). Settings (TOML values, the run config):

``num-sites`` (int), ``num-server-rounds``, ``local-epochs``, ``batch-size``, ``seed``,
``strategy`` (``fedavg`` | ``fedprox``), ``proximal-mu``, ``dp`` (``none`` | ``client`` |
``server``), ``noise-multiplier``, ``clipping-norm``, ``model`` (the model config as JSON),
``out`` (where the ServerApp writes ``weights.npz`` and ``received.json``); for simulation
only, ``store`` and ``sites`` (comma-separated: node *i* holds ``sites[i]``). A SuperNode's
node config names its own ``store`` and ``site``.

The ServerApp never opens a store: its first weights come from one site (a ``query``
message), and every reply it receives is logged by shape (``received.json``) so a test can
check that nothing but parameter arrays and two scalars crossed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from flwr.clientapp.mod import fixedclipping_mod
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import (
    DifferentialPrivacyClientSideFixedClipping,
    DifferentialPrivacyServerSideFixedClipping,
    FedAvg,
    FedProx,
    Strategy,
)
from flwr.supercore.differential_privacy import KEY_CLIPPING_NORM

from pgxdl.io import atomic_path, write_json
from pgxdl.privacy.sites import SiteDataModule, train_local
from pgxdl.training import build_module

#: Defaults of every setting (the run config of a deployment overrides them).
DEFAULTS = {"num-sites": 2, "num-server-rounds": 3, "local-epochs": 1, "batch-size": 64,
            "seed": 0, "strategy": "fedavg", "proximal-mu": 0.1, "dp": "none",
            "noise-multiplier": 1.0, "clipping-norm": 1.0, "model": "{}", "out": "."}


# --------------------------------------------------------------------------- client side
def site_module(context: Context, settings: dict):
    """This node's site data (its own patients only) and pgxdl's module for it."""
    node = context.node_config
    if "site" in node:  # a SuperNode of the deployment runtime names its own data
        store, site = str(node["store"]), str(node["site"])
    elif "partition-id" in node and "sites" in settings:  # simulated: partition i of sites
        store = settings["store"]
        site = settings["sites"].split(",")[int(node["partition-id"])]
    else:
        raise ValueError(f"SuperNode node config {dict(node)} names no site: start it with "
                         f"--node-config 'store=\"cohort.h5\" site=\"7\"'")
    pl.seed_everything(int(settings["seed"]), verbose=False)
    data = SiteDataModule(store, [site], with_sequence=False,
                          batch_size=int(settings["batch-size"]), seed=int(settings["seed"]))
    return build_module(data.spec, json.loads(settings["model"])), data


def optional_clipping(msg: Message, context: Context, call_next):
    """Flower's ``fixedclipping_mod`` when the server asks for client-side clipping."""
    config = next(iter(msg.content.config_records.values()), {})
    if KEY_CLIPPING_NORM in config:
        return fixedclipping_mod(msg, context, call_next)
    return call_next(msg, context)


def build_client_app(settings: dict | None = None) -> ClientApp:
    """A site's ClientApp; ``settings`` None reads Flower's run config (deployment)."""
    app = ClientApp(mods=[optional_clipping])

    def resolved(context: Context) -> dict:
        torch.set_num_threads(1)
        return {**DEFAULTS, **(settings or dict(context.run_config))}

    @app.query()
    def initial_weights(msg: Message, context: Context) -> Message:
        module, _ = site_module(context, resolved(context))
        return Message(RecordDict({"arrays": ArrayRecord(module.state_dict())}), reply_to=msg)

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        config = resolved(context)
        module, data = site_module(context, config)
        module.load_state_dict(msg.content["arrays"].to_torch_state_dict())
        round_config = msg.content["config"]
        n = train_local(module, data, int(round_config.get("local-epochs", 1)),
                        float(round_config.get("proximal-mu", 0.0)))
        loss = float(module.trainer.callback_metrics.get("train/loss", float("nan")))
        return Message(RecordDict({
            "arrays": ArrayRecord(module.state_dict()),
            "metrics": MetricRecord({"train_loss": loss, "num-examples": n})}), reply_to=msg)

    return app


# --------------------------------------------------------------------------- server side
def update_norm(content: RecordDict, sent: list[np.ndarray]) -> float:
    """L2 norm, over all arrays, of a reply's weights minus the weights sent (the quantity
    Flower's fixed clipping bounds)."""
    (record,) = content.array_records.values()
    return float(np.sqrt(sum(float(np.sum((got.astype(np.float64) - ref) ** 2))
                             for got, ref in zip(record.to_numpy_ndarrays(), sent,
                                                 strict=True))))


class Audited(Strategy):
    """A strategy that logs what each reply carries (record names, array names, shapes and
    dtypes, metric keys, row count, update norm) before the wrapped ``strategy``
    aggregates it, and the wall time of each training round."""

    def __init__(self, strategy: Strategy):
        self.strategy = strategy
        self.received: list[dict] = []
        self.round_seconds: list[float] = []
        self._started, self._sent = 0.0, []

    def configure_train(self, server_round, arrays, config, grid) -> Iterable[Message]:
        self._started = time.perf_counter()
        self._sent = arrays.to_numpy_ndarrays()
        return self.strategy.configure_train(server_round, arrays, config, grid)

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        for reply in replies:
            if reply.has_error():
                continue
            content = reply.content
            self.received.append({
                "round": server_round, "records": sorted(content.keys()),
                "config_records": sorted(content.config_records),
                "arrays": [[name, list(array.shape), array.dtype]
                           for record in content.array_records.values()
                           for name, array in record.items()],
                "metrics": {key: value for record in content.metric_records.values()
                            for key, value in record.items() if key == "num-examples"},
                "metric_keys": sorted(key for record in content.metric_records.values()
                                      for key in record),
                "update_norm": update_norm(content, self._sent)})
        result = self.strategy.aggregate_train(server_round, replies)
        self.round_seconds.append(time.perf_counter() - self._started)
        return result

    def configure_evaluate(self, server_round, arrays, config, grid) -> Iterable[Message]:
        return self.strategy.configure_evaluate(server_round, arrays, config, grid)

    def aggregate_evaluate(self, server_round, replies):
        return self.strategy.aggregate_evaluate(server_round, replies)

    def summary(self) -> None:
        self.strategy.summary()


def make_strategy(settings: dict) -> Strategy:
    """FedAvg or FedProx over every site each round (patient-weighted mean), optionally
    wrapped in Flower's client- or server-side fixed-clipping DP."""
    n = int(settings["num-sites"])
    common = {"fraction_train": 1.0, "fraction_evaluate": 0.0, "min_train_nodes": n,
              "min_available_nodes": n}
    strategy = {"fedavg": lambda: FedAvg(**common),
                "fedprox": lambda: FedProx(proximal_mu=float(settings["proximal-mu"]),
                                           **common)}.get(settings["strategy"])
    if strategy is None:
        raise ValueError(f"run config: strategy {settings['strategy']!r} is not one of "
                         f"'fedavg', 'fedprox'")
    wrappers = {"client": DifferentialPrivacyClientSideFixedClipping,
                "server": DifferentialPrivacyServerSideFixedClipping}
    if settings["dp"] == "none":
        return strategy()
    if settings["dp"] not in wrappers:
        raise ValueError(f"run config: dp {settings['dp']!r} is not one of 'none', "
                         f"'client', 'server'")
    return wrappers[settings["dp"]](strategy(), float(settings["noise-multiplier"]),
                                    float(settings["clipping-norm"]), n)


def initial_arrays(grid: Grid, n: int, timeout: float = 600) -> ArrayRecord:
    """Wait for ``n`` nodes, then ask the first for its seeded initial weights."""
    deadline = time.monotonic() + timeout
    while len(nodes := sorted(grid.get_node_ids())) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(nodes)} of {n} sites connected in {timeout} s")
        time.sleep(0.5)
    query = Message(RecordDict({"config": ConfigRecord({})}), dst_node_id=nodes[0],
                    message_type="query")
    (reply,) = grid.send_and_receive([query], timeout=timeout)
    if reply.has_error():
        raise RuntimeError(f"site node {nodes[0]} failed to build the model: "
                           f"{reply.error.reason}")
    return reply.content["arrays"]


def serve(grid: Grid, settings: dict) -> None:
    """Run the federation and write ``weights.npz`` and ``received.json`` to ``out``."""
    settings = {**DEFAULTS, **settings}
    audited = Audited(make_strategy(settings))
    config = {"local-epochs": int(settings["local-epochs"])}
    result = audited.start(grid, initial_arrays(grid, int(settings["num-sites"])),
                           num_rounds=int(settings["num-server-rounds"]),
                           train_config=ConfigRecord(config))
    out = Path(settings["out"])
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "weights.npz") as path, open(path, "wb") as handle:
        np.savez(handle, *result.arrays.to_numpy_ndarrays())
    private = settings["dp"] != "none"
    write_json(out / "received.json", {
        "received": audited.received, "round_seconds": audited.round_seconds,
        "train_loss": {str(k): dict(v) for k, v in result.train_metrics_clientapp.items()},
        "dp": {"mode": settings["dp"],
               "noise_multiplier": float(settings["noise-multiplier"]) if private else None,
               "clipping_norm": float(settings["clipping-norm"]) if private else None}})


def build_server_app(settings: dict | None = None) -> ServerApp:
    """The ServerApp; ``settings`` None reads Flower's run config (deployment)."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        serve(grid, settings or dict(context.run_config))

    return app


#: The apps the deployment runtime loads (``pgxdl.privacy.flower_app:server_app``).
server_app = build_server_app()
client_app = build_client_app()
