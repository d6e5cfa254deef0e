"""CDS Hooks latency: p50/p95 and throughput of the warfarin hook, 1 and 8 clients.

The server is ``pgxdl serve`` (FastAPI under uvicorn, one worker) in its own process on
127.0.0.1 with the IWPC model (a CNN + FiLM model with a variance head, trained here for
``--epochs`` on the IWPC store built from ``$PGXDL_DATA``, unless ``--ckpt`` names one).
Requests are single-patient ``order-select`` hooks for synthetic patients
(:func:`pgxdl.clinical.synthetic.hook_request`), bounded: ``--requests`` per scenario
after 10 warm-up calls, timed by the client (connection kept alive per client). The
server's CPU time per request and the host's load average are reported beside the
wall-clock figures: on a shared machine the latency measures the queue for a core.

``python benchmarks/serve_latency.py [--ckpt iwpc.ckpt] [--requests 200]
[--out runs/benchmarks/serve_latency.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.clinical.synthetic import AS_OF, hook_request, write_synthetic_cohort  # noqa: E402
from pgxdl.paths import REPO_ROOT  # noqa: E402

SERVICE = "pgxdl-warfarin-order-select"
SERVER = """
import argparse, torch
torch.set_num_threads(1)
from pgxdl.commands import serve  # noqa: E402
serve.run(argparse.Namespace(ckpt={ckpt!r}, reference=None, host="127.0.0.1", port={port},
                             as_of={as_of!r}, log_level="warning"))
"""


def train_iwpc(folder: Path, epochs: int) -> Path:
    """Build the IWPC store and train the benchmark's model into ``folder``."""
    import pytorch_lightning as pl
    import yaml

    from pgxdl.builders.store_build import build_store, load_config
    from pgxdl.data.datamodule import CohortDataModule
    from pgxdl.training import build_module

    store = folder / "iwpc.h5"
    if not store.exists():
        build_store(load_config(REPO_ROOT / "configs" / "data" / "iwpc.yaml"), store)
    model = yaml.safe_load((REPO_ROOT / "configs" / "model" / "cnn_film.yaml").read_text())
    model["network"]["init_args"]["heteroscedastic"] = True
    model.pop("lr_scheduler"), model.pop("monitor")
    pl.seed_everything(0)
    data = CohortDataModule(str(store), batch_size=64)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, accelerator="cpu")
    trainer.fit(build_module(data.spec, model), datamodule=data)
    checkpoint = folder / "iwpc_film.ckpt"
    trainer.save_checkpoint(checkpoint)
    return checkpoint


def start_server(checkpoint: Path) -> tuple[subprocess.Popen, str]:
    """``pgxdl serve`` in a child process; returns it and its base URL once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = SERVER.format(ckpt=[str(checkpoint)], port=port, as_of=AS_OF)
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO_ROOT,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/cds-services", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start within 120 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scenario(url: str, requests: list[dict], clients: int, server: int) -> dict:
    """Send every request once, ``clients`` at a time: client-side latencies in ms,
    throughput, and the server's CPU time per request (which host load does not inflate,
    unlike wall-clock latency on a shared machine)."""
    chunks = [requests[k::clients] for k in range(clients)]

    def run(chunk: list[dict]) -> list[float]:
        times = []
        with httpx.Client(base_url=url, timeout=60) as client:
            for body in chunk:
                start = time.perf_counter()
                response = client.post(f"/cds-services/{SERVICE}", json=body)
                times.append(1000 * (time.perf_counter() - start))
                if response.status_code != 200 or not response.json()["cards"]:
                    raise RuntimeError(f"unexpected answer {response.status_code}")
        return times

    start, cpu = time.perf_counter(), cpu_seconds(server)
    with ThreadPoolExecutor(clients) as pool:
        latencies = np.concatenate(list(pool.map(run, chunks)))
    wall = time.perf_counter() - start
    cpu = cpu_seconds(server) - cpu
    return {"clients": clients, "requests": len(latencies),
            "p50_ms": round(float(np.percentile(latencies, 50)), 1),
            "p95_ms": round(float(np.percentile(latencies, 95)), 1),
            "max_ms": round(float(latencies.max()), 1),
            "throughput_per_s": round(len(latencies) / wall, 1),
            "server_cpu_ms_per_request": round(1000 * cpu / len(latencies), 1),
            "load_average_1min": round(os.getloadavg()[0], 1),
            "p95_under_100ms": bool(np.percentile(latencies, 95) < 100)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt", help="warfarin checkpoint (default: train the IWPC model)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--work", default="runs/benchmarks/serve_latency")
    parser.add_argument("--out", default="runs/benchmarks/serve_latency.json")
    args = parser.parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = Path(args.ckpt) if args.ckpt else train_iwpc(work, args.epochs)
    paths = write_synthetic_cohort(work / "patients", n=40, bundle_people=40)
    bundle = json.loads(paths["bundle"].read_text())
    patients = [e["resource"]["id"] for e in bundle["entry"]
                if e["resource"]["resourceType"] == "Patient"]
    requests = [hook_request(bundle, patients[k % len(patients)], "warfarin")
                for k in range(args.requests)]
    process, url = start_server(checkpoint)
    try:
        scenario(url, requests[:10], 1, process.pid)  # warm-up
        rows = [scenario(url, requests, clients, process.pid) for clients in (1, 8)]
    finally:
        process.terminate()
        process.wait(timeout=30)
    report(f"CDS Hooks {SERVICE}: {args.requests} single-patient requests per scenario "
           f"(model {checkpoint.name}, one uvicorn worker, 127.0.0.1)", rows, args.out,
           {"checkpoint": str(checkpoint), "target": "p95 < 100 ms single-patient hook"})


if __name__ == "__main__":
    main()
