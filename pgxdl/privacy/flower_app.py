"""Flower server and site clients as separate processes (run with Flower's Python).

Flower (``flwr``) pins older protobuf/packaging/rich/fastapi than pgxdl's environment
holds, so it lives in its own virtual environment that also sees pgxdl's packages
(see ``docs/privacy.md``); :mod:`pgxdl.privacy.federation` starts these processes::

    python -m pgxdl.privacy.flower_app server --address 127.0.0.1:PORT --clients 2 \\
        --rounds 3 --strategy fedprox --proximal-mu 0.1 --out DIR
    python -m pgxdl.privacy.flower_app client --address 127.0.0.1:PORT --store S.h5 \\
        --site 7 --model '{"network": ...}' --epochs 1

The server never opens a store: its first weights come from a client, and it receives
only weight arrays, row counts and each client's training loss. It writes
``DIR/weights.npz`` (the final global weights) and ``DIR/received.json`` (the shape and
dtype of every array and the keys of every metric it received, for the audit that no row
crossed).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import flwr
import numpy as np
import pytorch_lightning as pl
import torch
from flwr.common import parameters_to_ndarrays
from flwr.compat.client.app import start_client
from flwr.compat.server.app import start_server
from flwr.server.strategy import FedAvg, FedProx

from pgxdl.io import atomic_path, write_json
from pgxdl.privacy.sites import SiteDataModule, get_weights, set_weights, train_local
from pgxdl.training import build_module


class SiteClient(flwr.client.NumPyClient):
    """One hospital: its own patients only, pgxdl's model and training step."""

    def __init__(self, store: str, site: str, model: dict, epochs: int, batch_size: int,
                 seed: int):
        pl.seed_everything(seed)
        self.data = SiteDataModule(store, [site], with_sequence=False, batch_size=batch_size,
                                   seed=seed)
        self.module = build_module(self.data.spec, model)
        self.epochs = epochs

    def get_parameters(self, config):
        return get_weights(self.module)

    def fit(self, parameters, config):
        set_weights(self.module, parameters)
        n = train_local(self.module, self.data, int(config.get("epochs", self.epochs)),
                        float(config.get("proximal_mu", 0.0)))
        loss = float(self.module.trainer.callback_metrics.get("train/loss", float("nan")))
        return get_weights(self.module), n, {"train_loss": loss}


def recording(strategy_class):
    """``strategy_class`` that also records what arrives and the global weights per round."""

    class Recording(strategy_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.received, self.weights, self.round_seconds = [], None, []
            self._started = time.perf_counter()

        def aggregate_fit(self, server_round, results, failures):
            for _, fit in results:
                arrays = parameters_to_ndarrays(fit.parameters)
                self.received.append({
                    "round": server_round, "num_examples": fit.num_examples,
                    "metrics": sorted(fit.metrics),
                    "arrays": [[list(a.shape), str(a.dtype)] for a in arrays]})
            aggregated, metrics = super().aggregate_fit(server_round, results, failures)
            if aggregated is not None:
                self.weights = parameters_to_ndarrays(aggregated)
            now = time.perf_counter()
            self.round_seconds.append(now - self._started)
            self._started = now
            return aggregated, metrics

    return Recording


def run_server(args: argparse.Namespace) -> None:
    common = {"fraction_fit": 1.0, "fraction_evaluate": 0.0, "min_fit_clients": args.clients,
              "min_available_clients": args.clients,
              "on_fit_config_fn": lambda server_round: {"epochs": args.epochs}}
    if args.strategy == "fedprox":
        strategy = recording(FedProx)(proximal_mu=args.proximal_mu, **common)
    else:
        strategy = recording(FedAvg)(**common)
    start_server(server_address=args.address, strategy=strategy,
                             config=flwr.server.ServerConfig(num_rounds=args.rounds))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "weights.npz") as path, open(path, "wb") as handle:
        np.savez(handle, *strategy.weights)
    write_json(out / "received.json", {"received": strategy.received,
                                       "round_seconds": strategy.round_seconds})


def run_client(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)
    client = SiteClient(args.store, args.site, json.loads(args.model), args.epochs,
                        args.batch_size, args.seed)
    start_client(server_address=args.address, client=client.to_client(),
                             insecure=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server")
    server.add_argument("--address", required=True)
    server.add_argument("--clients", type=int, required=True)
    server.add_argument("--rounds", type=int, default=3)
    server.add_argument("--epochs", type=int, default=1)
    server.add_argument("--strategy", choices=("fedavg", "fedprox"), default="fedavg")
    server.add_argument("--proximal-mu", type=float, default=0.1)
    server.add_argument("--out", required=True)
    client = sub.add_parser("client")
    client.add_argument("--address", required=True)
    client.add_argument("--store", required=True)
    client.add_argument("--site", required=True)
    client.add_argument("--model", required=True, help="model config as JSON")
    client.add_argument("--epochs", type=int, default=1)
    client.add_argument("--batch-size", type=int, default=64)
    client.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    (run_server if args.role == "server" else run_client)(args)


if __name__ == "__main__":
    main()
