"""Run the IWPC-site federation (:mod:`pgxdl.privacy.flower_app`) under Flower's two runtimes.

* :func:`run_simulation`: Flower's simulation engine (Ray backend), one virtual SuperNode
  per site, one CPU each.
* :func:`run_deployment`: Flower's deployment runtime on 127.0.0.1: a ``flower-superlink``
  process, one ``flower-supernode`` process per site (its node config names its own store
  and site), and ``flwr run`` submitting the app; the SuperLink starts the ServerApp and
  each SuperNode its ClientApp as further processes.

Both return the final global weights and the ServerApp's receipt log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import tomli_w

from pgxdl.paths import REPO_ROOT
from pgxdl.privacy.deployment import Deployment


@dataclass
class FederationSettings:
    """What the federation trains, how (see :data:`pgxdl.privacy.flower_app.DEFAULTS`).

    ``dp``: ``"none"``, ``"client"`` (Flower's ``fixedclipping_mod`` at each site and
    ``DifferentialPrivacyClientSideFixedClipping`` at the server) or ``"server"``
    (``DifferentialPrivacyServerSideFixedClipping``); the Gaussian noise added to the mean
    update has standard deviation ``noise_multiplier * clipping_norm / sites``.
    """

    model: dict
    rounds: int = 3
    epochs: int = 1
    strategy: str = "fedavg"
    proximal_mu: float = 0.1
    batch_size: int = 64
    seed: int = 0
    dp: str = "none"
    noise_multiplier: float = 1.0
    clipping_norm: float = 1.0

    def run_config(self, sites: Sequence[str], out: Path) -> dict:
        """The settings as Flower's run config (TOML values, dashed keys)."""
        values = {key.replace("_", "-"): value for key, value in asdict(self).items()}
        values["num-server-rounds"] = values.pop("rounds")
        values["local-epochs"] = values.pop("epochs")
        return {**values, "model": json.dumps(self.model), "num-sites": len(sites),
                "out": str(Path(out).resolve())}


def read_result(out: Path) -> tuple[list[np.ndarray], dict]:
    """The ServerApp's final weights (``state_dict`` order) and its receipt log."""
    with np.load(out / "weights.npz") as stored:
        weights = [stored[f"arr_{i}"] for i in range(len(stored.files))]
    return weights, json.loads((out / "received.json").read_text())


def run_simulation(store: str, sites: Sequence[str], settings: FederationSettings, out: Path
                   ) -> tuple[list[np.ndarray], dict]:
    """Federate ``sites`` of ``store`` under Flower's simulation engine (Ray backend).

    Returns
    -------
    weights : the final global weights, in ``module.state_dict()`` order.
    received : the ServerApp's log (``received``: what each reply carried, per round;
        ``round_seconds``; ``train_loss``; ``dp``).
    """
    from flwr.simulation import run_simulation as flower_simulation

    from pgxdl.privacy.flower_app import build_client_app, build_server_app

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = {**settings.run_config(sites, out), "store": str(store),
              "sites": ",".join(map(str, sites))}
    # Flower's Ray backend rewrites os.environ (PYTHONPATH) in this process while running:
    # the caller's environment is restored afterwards, so later subprocesses see their own
    saved = dict(os.environ)
    # Ray's memory monitor kills actors when the *machine* is above 95 % memory, whoever
    # uses it; a site's ClientApp needs ~0.4 GB, so on a shared host it stays off unless set
    os.environ.setdefault("RAY_memory_monitor_refresh_ms", "0")
    try:
        flower_simulation(
            build_server_app(config), build_client_app(config), num_supernodes=len(sites),
            backend_config={"client_resources": {"num_cpus": 1, "num_gpus": 0.0},
                            "init_args": {"num_cpus": len(sites), "num_gpus": 0,
                                          "include_dashboard": False}})
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if not (out / "weights.npz").exists():
        raise RuntimeError(f"the simulated federation wrote no weights to {out} "
                           f"(see Flower's log above)")
    return read_result(out)


def app_project(folder: Path, run_config: dict) -> Path:
    """A Flower app project (``pyproject.toml`` only): its components are pgxdl's apps,
    imported from the environment; its run config the federation's settings."""
    folder.mkdir(parents=True, exist_ok=True)
    project = {
        "project": {"name": "pgxdl-federation", "version": "1.0.0", "license": "MIT",
                    "description": "IWPC sites train a pgxdl model with Flower"},
        "tool": {"flwr": {"app": {
            "publisher": "pgxdl",
            "components": {"serverapp": "pgxdl.privacy.flower_app:server_app",
                           "clientapp": "pgxdl.privacy.flower_app:client_app"},
            "config": run_config}}}}
    (folder / "pyproject.toml").write_text(tomli_w.dumps(project))
    return folder


def run_deployment(store: str, sites: Sequence[str], settings: FederationSettings, out: Path,
                   timeout: float = 900) -> tuple[list[np.ndarray], dict]:
    """Federate ``sites`` under Flower's deployment runtime: SuperLink, one SuperNode per
    site and ``flwr run``, each a separate process on 127.0.0.1 (logs in ``out``).

    Returns what :func:`run_simulation` returns.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "received.json").unlink(missing_ok=True)
    app = app_project(out / "app", settings.run_config(sites, out))
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
        "OMP_NUM_THREADS": "1", "FLWR_HOME": str(out / "flwr-home")}
    with Deployment(out, env) as deployment:
        deployment.start_superlink()
        for site in sites:
            deployment.start_supernode(f'store="{store}" site="{site}"', name=f"site_{site}")
        submit = subprocess.run(
            [str(bin_dir / "flwr"), "run", str(app), "pgxdl-local", "--format", "json"],
            env=env, capture_output=True, text=True, timeout=300)
        if submit.returncode != 0:
            raise RuntimeError(f"`flwr run` failed ({submit.returncode}): "
                               f"{submit.stderr[-2000:] or submit.stdout[-2000:]}")
        deployment.wait_for(out / "received.json", timeout)
    return read_result(out)
