"""Shared helpers of the benchmark scripts: timing, training runs, a table, JSON output."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from pgxdl.io import write_json
from pgxdl.paths import REPO_ROOT


def best_time(run: Callable[[], object], repeats: int = 3,
              after: Callable[[], object] | None = None) -> float:
    """Best wall-clock seconds of ``repeats`` calls of ``run`` (after none warm-up);
    ``after`` runs untimed after each call (to delete what it wrote, say)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        if after is not None:
            after()
    return min(times)


def train_run(config: str, store: Path, run: Path, epochs: int, seed: int,
              *extra: str) -> str:
    """``train.py fit`` of experiment ``config`` on ``store`` into ``run`` (no progress bar);
    ``extra`` are more CLI arguments. Returns the best checkpoint's path."""
    subprocess.run([sys.executable, "train.py", "fit", "--config", config,
                    "--data.init_args.store", str(store), "--seed_everything", str(seed),
                    "--trainer.max_epochs", str(epochs), "--trainer.enable_progress_bar",
                    "false", *extra, "--run_dir", str(run)], cwd=REPO_ROOT, check=True)
    return json.loads((run / "metrics_fit.json").read_text())["best_checkpoint"]


def machine() -> dict:
    """What the figures were measured on."""
    return {"python": platform.python_version(), "torch": torch.__version__,
            "cpu": platform.processor() or platform.machine(),
            "threads": torch.get_num_threads(),
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def report(title: str, rows: list[dict], out: str | Path, extra: dict | None = None) -> Path:
    """Print ``rows`` as an aligned table and write them with ``extra`` to ``out`` (JSON)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print(title)
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    out = write_json(out, {"title": title, "rows": rows, "machine": machine(),
                           **(extra or {})})
    print(f"wrote {out}")
    return out


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
