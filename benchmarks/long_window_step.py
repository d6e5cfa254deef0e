"""One CPU training step of the CNN encoder at whole-gene window lengths.

    python benchmarks/long_window_step.py [--length 50000 --windows 2 --batch 64
        --steps 4 --threads 2 --out benchmarks/results/long_window_step.json]

Times a forward and backward pass of ``CNNSequenceEncoder`` (width 32, one block, max
pooling; the encoder of ``benchmarks/attribution_recovery.py``) over a batch of
``(batch, windows, 4, length)`` one-hot windows, with and without ``subtract_reference``,
under glibc's default allocator and under ``MALLOC_MMAP_MAX_=0
MALLOC_TRIM_THRESHOLD_=<large>`` (freed memory stays in the process instead of being
returned to the system and faulted in again). Each of the four settings runs in its own
process (glibc reads these variables at start); the settings are run in turn
``--rounds`` times, and the table gives the median seconds per step, its CPU seconds
(user, system) and the ratio to the default allocator.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402

#: Environment that keeps freed memory in the process (no mmap, no trimming).
KEEP_FREED = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(10**11)}


def one_setting(length: int, windows: int, batch: int, steps: int, threads: int,
                subtract: bool) -> dict:
    """Median seconds per step (after one warm-up step) and CPU seconds of the steps."""
    import torch

    from pgxdl.data.spec import DataSpec, TaskSpec
    from pgxdl.models import CNNSequenceEncoder

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    spec = DataSpec(1, tuple(f"w{i}" for i in range(windows)), length, 4, (), (), (),
                    (TaskSpec("y", "regression"),))
    encoder = CNNSequenceEncoder(spec, widths=[32], depth=1, stem_kernel=9, stem_pool=4,
                                 pooling="max", dropout=0.0, subtract_reference=subtract)
    hot = torch.nn.functional.one_hot(torch.randint(0, 4, (batch + 1, windows, length)), 4)
    hot = hot.permute(0, 1, 3, 2).float().contiguous()  # (N + 1, W, 4, L)
    if subtract:
        encoder.set_reference(hot[-1])
    times = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(steps + 1):
        start = time.perf_counter()
        encoder(hot[:batch]).pooled.sum().backward()
        times.append(time.perf_counter() - start)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds_per_step": float(np.median(times[1:])),
            "user_seconds": after.ru_utime - before.ru_utime,
            "system_seconds": after.ru_stime - before.ru_stime}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length", type=int, default=50000)
    parser.add_argument("--windows", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/long_window_step.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one setting, JSON to stdout
    args = parser.parse_args(argv)
    shape = (args.length, args.windows, args.batch, args.steps, args.threads)
    if args.child:
        print(json.dumps(one_setting(*shape, subtract=args.child == "subtract")))
        return {}
    settings = [(allocator, encoder) for encoder in ("plain", "subtract")
                for allocator in ("default", "keep freed")]
    found: dict = {s: [] for s in settings}
    for _ in range(args.rounds):
        for allocator, encoder in settings:
            env = {**os.environ, **(KEEP_FREED if allocator == "keep freed" else {})}
            command = [sys.executable, __file__, "--child", encoder, "--length",
                       str(args.length), "--windows", str(args.windows), "--batch",
                       str(args.batch), "--steps", str(args.steps), "--threads",
                       str(args.threads)]
            out = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            found[(allocator, encoder)].append(json.loads(out.stdout.splitlines()[-1]))
    rows = []
    for (allocator, encoder), runs in found.items():
        median = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
        rows.append({"encoder": encoder, "allocator": allocator, **median})
    for row in rows:
        default = next(r for r in rows if r["encoder"] == row["encoder"]
                       and r["allocator"] == "default")
        row["ratio_to_default"] = row["seconds_per_step"] / default["seconds_per_step"]
    report(f"CNN encoder step, batch {args.batch} x {args.windows} windows x {args.length} "
           f"bp, {args.threads} threads, median of {args.rounds} round(s)", rows, args.out,
           {"settings": vars(args), "keep_freed_environment": KEEP_FREED})
    return {"rows": rows}


if __name__ == "__main__":
    main()
