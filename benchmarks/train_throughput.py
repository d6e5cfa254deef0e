"""Training throughput of the CNN and RNN models on a simulated cohort store.

For each model, precision and batch size: samples per second over timed training steps
(forward, masked multi-task loss, backward, AdamW step; metrics excluded) and the fraction
of step time spent waiting for data (loader, host-to-device copy, late one-hot); with both
precisions, ``vs_fp32`` is a row's samples/s over the fp32 row's. ``mean_batch`` is the
samples per timed step: each epoch ends with a short batch, so keep the batch well below
the training part (about 70% of the subjects), e.g. with ``--subjects``. Prints a table,
writes JSON.

``python benchmarks/train_throughput.py [--store PATH]``
``python benchmarks/train_throughput.py --device cuda --precision fp32 bf16 --batch-size 64 256``
``python benchmarks/train_throughput.py --tiny`` (a seconds-long check that it completes)

Without ``--store`` a simulated store is built in a temporary folder with
``configs/data/simulated.yaml`` (``--subjects``, default 2000; 4 windows x 1000 bp) or,
with ``--tiny``, a 60-subject, 64 bp one.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import sys
import tempfile
import time
from pathlib import Path

import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.builders.store_build import build_store, load_config  # noqa: E402
from pgxdl.data.batch import model_inputs  # noqa: E402
from pgxdl.data.datamodule import CohortDataModule  # noqa: E402
from pgxdl.paths import REPO_ROOT  # noqa: E402
from pgxdl.training import build_module  # noqa: E402

MODELS = {"cnn": "configs/model/cnn_gated.yaml", "rnn": "configs/model/rnn_lstm_concat.yaml"}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(model_name: str, data: CohortDataModule, device: torch.device, precision: str,
            steps: int, warmup: int) -> dict:
    """Time ``steps`` training steps after ``warmup`` untimed ones."""
    config = yaml.safe_load((REPO_ROOT / MODELS[model_name]).read_text())
    module = build_module(data.spec, config).to(device).train()
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3)
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16"
                else contextlib.nullcontext())
    wait = compute = 0.0
    samples = done = 0
    dataloader = data.train_dataloader()  # one loader: its workers persist across epochs
    while done < warmup + steps:
        loader = iter(dataloader)
        while done < warmup + steps:
            start = time.perf_counter()
            try:
                batch = next(loader)
            except StopIteration:
                break
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            batch = data.on_after_batch_transfer(batch, 0)
            sync(device)
            ready = time.perf_counter()
            with autocast:
                outputs = module(*model_inputs(batch))
                target = module.scaler.scale_target(batch["target"])
                loss, _ = module.loss({k: v.float() for k, v in outputs.items()}, target,
                                      batch["target_mask"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            sync(device)
            end = time.perf_counter()
            if done >= warmup:
                wait += ready - start
                compute += end - ready
                samples += batch["target"].shape[0]
            done += 1
    total = wait + compute
    return {"model": model_name, "parameters": sum(p.numel() for p in module.parameters()),
            "steps": steps, "samples": samples, "mean_batch": samples / steps,
            "samples_per_s": samples / total,
            "step_ms": 1000 * total / steps, "data_wait_fraction": wait / total}


def add_ratio_to_fp32(rows: list[dict]) -> None:
    """Give each row ``vs_fp32``: its samples/s over the fp32 row of its model and batch."""
    fp32 = {(r["model"], r["batch_size"]): r["samples_per_s"] for r in rows
            if r["precision"] == "fp32"}
    for row in rows:
        base = fp32.get((row["model"], row["batch_size"]))
        if base is not None:
            row["vs_fp32"] = row["samples_per_s"] / base


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; return ``{"setup": ..., "results": [one row per batch size,
    model and precision]}``."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="cohort store (default: build a simulated one)")
    parser.add_argument("--subjects", type=int, default=2000,
                        help="subjects of the simulated store built without --store")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--batch-size", type=int, nargs="+", default=[64])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", choices=["fp32", "bf16"], nargs="+", default=["fp32"])
    parser.add_argument("--tiny", action="store_true",
                        help="tiny store, 2 steps of batch 16 (overrides --steps, --warmup "
                             "and --batch-size): a smoke test")
    parser.add_argument("--out", type=Path,
                        default=REPO_ROOT / "benchmarks" / "results" / "train_throughput.json")
    args = parser.parse_args(argv)
    if args.tiny:
        args.steps, args.warmup, args.batch_size = 2, 1, [16]
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store
        if store is None:
            overrides = (["n_subjects=60", "window_length=64", "sites_per_window=4"] if args.tiny
                         else [f"n_subjects={args.subjects}"])
            config = load_config(REPO_ROOT / "configs" / "data" / "simulated.yaml", overrides)
            store = str(build_store(config, Path(tmp) / "simulated.h5"))
        device = torch.device(args.device)
        rows = []
        for batch_size in args.batch_size:
            data = CohortDataModule(store, batch_size=batch_size, num_workers=args.num_workers,
                                    pin_memory=device.type == "cuda")
            for model, precision in itertools.product(args.models, args.precision):
                torch.manual_seed(0)
                rows.append({"batch_size": batch_size, "precision": precision,
                             **measure(model, data, device, precision, args.steps,
                                       args.warmup)})
    add_ratio_to_fp32(rows)
    spec = data.spec
    setup = {"device": str(device), "precision": args.precision, "batch_size": args.batch_size,
             "n_windows": spec.n_windows, "window_length": spec.window_length,
             "channels": spec.channels, "num_workers": args.num_workers,
             "configs": {m: MODELS[m] for m in args.models},
             "store": args.store or "simulated (built)", "tiny": args.tiny}
    title = (f"training throughput: {setup['device']}, {spec.n_windows} windows x "
             f"{spec.window_length} bp, {args.num_workers} loader workers")
    report(title, rows, args.out, {"setup": setup})
    return {"setup": setup, "results": rows}


if __name__ == "__main__":
    main()
