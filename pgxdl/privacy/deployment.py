"""Flower's deployment runtime on 127.0.0.1: a SuperLink and SuperNodes as separate processes.

:class:`Deployment` picks free ports, starts ``flower-superlink --insecure`` and
``flower-supernode --insecure`` processes (each in its own process group, logging to
``<out>/<name>.log``), writes the ``flwr`` CLI's connection (``$FLWR_HOME/config.toml``,
connection ``pgxdl-local``) and, on exit, stops every process it started with its children
(the ServerApp and ClientApp processes the runtime spawned).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import tomli_w

#: Name of the ``flwr`` CLI connection to the local SuperLink.
CONNECTION = "pgxdl-local"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Deployment:
    """Processes of a local Flower deployment; use as a context manager.

    Parameters
    ----------
    out : folder for the logs and ``FLWR_HOME`` (``env["FLWR_HOME"]``).
    env : the processes' environment (PATH must find Flower's executables).
    """

    def __init__(self, out: Path, env: dict):
        self.out, self.env = Path(out), env
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.logs = []
        #: the SuperLink's one HTTP address (its Runtime, Control and Fleet APIs)
        self.address = f"127.0.0.1:{free_port()}"

    def __enter__(self) -> Deployment:
        home = Path(self.env["FLWR_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(tomli_w.dumps({"superlink": {
            "default": CONNECTION, CONNECTION: {"address": self.address, "insecure": True}}}))
        return self

    def __exit__(self, *exc) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = open(self.out / f"{name}.log", "w")
        self.logs.append(log)
        process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes.append((name, process))
        return process

    def start_superlink(self, timeout: float = 180) -> None:
        """Start the SuperLink; return once its HTTP APIs listen."""
        host, port = self.address.rsplit(":", 1)
        self.start("superlink", ["flower-superlink", "--insecure", "--host", host, "--port",
                                 port, "--disable-runtime-dependency-installation"])
        self.wait_for_port(self.address, timeout)

    def start_supernode(self, node_config: str, name: str) -> None:
        """Start a SuperNode with ``node_config`` (``key="value" ...``)."""
        self.start(name, ["flower-supernode", "--insecure", "--superlink", self.address,
                          "--port", str(free_port()), "--node-config", node_config])

    def check(self) -> None:
        """Raise if a process of the deployment died."""
        for name, process in self.processes:
            if process.poll() is not None:
                tail = (self.out / f"{name}.log").read_text()[-2000:]
                raise RuntimeError(f"Flower {name} exited with {process.returncode}; "
                                   f"{self.out / name}.log:\n{tail}")

    def wait_for_port(self, address: str, timeout: float) -> None:
        host, port = address.rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            with socket.socket() as probe:
                if probe.connect_ex((host, int(port))) == 0:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"Flower SuperLink did not listen on {address} in {timeout} s")

    def wait_for(self, path: Path, timeout: float) -> None:
        """Wait until the ServerApp has written ``path``."""
        deadline = time.monotonic() + timeout
        while not path.exists():
            self.check()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the federation wrote no {path.name} in {timeout} s "
                                   f"(logs in {self.out})")
            time.sleep(0.5)
