"""Run a Flower federation of IWPC sites: one server and one client process per site.

Each process is Flower's own Python (:data:`FLOWER_PYTHON`) running
:mod:`pgxdl.privacy.flower_app` on 127.0.0.1; this module, importable without Flower,
only starts them, waits, and reads the server's final weights and receipt log.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pgxdl.paths import REPO_ROOT

#: Python of the environment holding ``flwr`` (env ``PGXDL_FLOWER_PYTHON`` overrides).
FLOWER_PYTHON = Path(os.environ.get("PGXDL_FLOWER_PYTHON",
                                    REPO_ROOT / ".venv-flower" / "bin" / "python"))


def flower_available() -> bool:
    """Whether :data:`FLOWER_PYTHON` exists and imports ``flwr``."""
    if not FLOWER_PYTHON.exists():
        return False
    probe = subprocess.run([str(FLOWER_PYTHON), "-c", "import flwr"], capture_output=True)
    return probe.returncode == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(address: str, server: subprocess.Popen, timeout: float) -> None:
    """Return once the server accepts connections on ``address``."""
    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"Flower server exited with {server.returncode} at start")
        with socket.socket() as probe:
            if probe.connect_ex((host, int(port))) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"Flower server did not listen on {address} within {timeout} s")


def supervise(server: subprocess.Popen, clients: list[subprocess.Popen], timeout: float
              ) -> int:
    """Wait for the server; a client that fails first stops the federation."""
    deadline = time.monotonic() + timeout
    while server.poll() is None:
        failed = [c.returncode for c in clients if c.poll() not in (None, 0)]
        if failed:
            raise RuntimeError(f"a Flower client exited with {failed[0]} (see its log)")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the federation did not finish within {timeout} s")
        time.sleep(0.2)
    for client in clients:
        client.wait(timeout=60)
    return server.returncode


def run_federation(store: str, sites: Sequence[str], model: dict, out: Path, rounds: int = 3,
                   epochs: int = 1, strategy: str = "fedavg", proximal_mu: float = 0.1,
                   batch_size: int = 64, seed: int = 0, timeout: float = 900
                   ) -> tuple[list[np.ndarray], dict]:
    """Train ``model`` over ``sites`` (one client each) with FedAvg or FedProx.

    Returns
    -------
    weights : the final global weights, in :func:`pgxdl.privacy.sites.get_weights` order.
    received : the server's log (``received``: per client and round the array shapes and
        dtypes, row count and metric keys; ``round_seconds``: wall time of each round).
    """
    if not flower_available():
        raise FileNotFoundError(
            f"no Flower environment at {FLOWER_PYTHON}: create it with `python -m venv "
            f".venv-flower && .venv-flower/bin/pip install flwr` and a .pth file naming "
            f"pgxdl's site-packages (docs/privacy.md), or set PGXDL_FLOWER_PYTHON")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    address = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    app = [str(FLOWER_PYTHON), "-m", "pgxdl.privacy.flower_app"]
    logs = [open(out / f"{name}.log", "w") for name in ("server", *map(str, sites))]
    server = subprocess.Popen(
        [*app, "server", "--address", address, "--clients", str(len(sites)), "--rounds",
         str(rounds), "--epochs", str(epochs), "--strategy", strategy, "--proximal-mu",
         str(proximal_mu), "--out", str(out)], env=env, stdout=logs[0], stderr=logs[0])
    try:
        wait_for_port(address, server, timeout=120)
        clients = [subprocess.Popen(
            [*app, "client", "--address", address, "--store", str(store), "--site",
             str(site), "--model", json.dumps(model), "--epochs", str(epochs),
             "--batch-size", str(batch_size), "--seed", str(seed)],
            env=env, stdout=log, stderr=log) for site, log in zip(sites, logs[1:], strict=True)]
        code = supervise(server, clients, timeout)
    finally:
        for process in (server, *locals().get("clients", [])):
            if process.poll() is None:
                process.kill()
                process.wait()
        for log in logs:
            log.close()
    if code != 0:
        tail = (out / "server.log").read_text()[-2000:]
        raise RuntimeError(f"Flower server exited with {code}; {out / 'server.log'}:\n{tail}")
    with np.load(out / "weights.npz") as stored:
        weights = [stored[f"arr_{i}"] for i in range(len(stored.files))]
    return weights, json.loads((out / "received.json").read_text())


