"""Build throughput: cohort-store bytes written per second vs plain numpy copies.

    python benchmarks/build_store.py [--subjects 20000 --windows 4 --length 2000
                                      --out benchmarks/results/build_store.json]

Stages timed in one run, all on the same sequence bytes (S x W x L uint8):
  numpy copy (memory)   ``codes.copy()``: the memory-bandwidth floor
  numpy copy (disk)     ``codes.tofile()``: the same bytes written to a new file
                        (every timed write is to a new file, deleted untimed after it,
                        so the page cache does not fill up between repeats)
  genome + write        personal windows from an in-memory call set, then write_store:
                        streamed (chunks of STREAM_CHUNK_BYTES, as the builders do)
                        and as one whole (S, W, H, L) array
  end to end            the whole simulated build (genotypes, EHR, outcomes, windows, store)
Each timed stage but the last is the best of REPEATS calls (the copies too: with fewer tries
their best is more often a slow one, which flatters the ratios).
The figure of merit is the ratio of each stage's bytes/s to the disk copy (target:
the streamed genome + write stage within 5x, i.e. ratio >= 0.2).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_time, report  # noqa: E402
from pgxdl.builders import simulated  # noqa: E402
from pgxdl.builders.store_build import build_store  # noqa: E402
from pgxdl.data.store_writer import write_store  # noqa: E402
from pgxdl.genome.personal.builder import PersonalWindowBuilder  # noqa: E402

REPEATS = 5


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=20000)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=30, help="variant sites per window")
    parser.add_argument("--out", default="benchmarks/results/build_store.json")
    args = parser.parse_args(argv)
    config = {"builder": "simulated", "n_subjects": args.subjects, "n_windows": args.windows,
              "window_length": args.length, "sites_per_window": args.sites, "seed": 0}
    n_bytes = args.subjects * args.windows * args.length
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        codes = np.random.default_rng(0).integers(0, 4, n_bytes, dtype=np.uint8)
        rows.append({"stage": "numpy copy (memory)", "seconds": best_time(codes.copy, REPEATS)})
        out = tmp / "out"  # every timed write makes a new file, deleted untimed after it

        def remove():
            out.unlink()

        rows.append({"stage": "numpy copy (disk)",
                     "seconds": best_time(lambda: codes.tofile(out), REPEATS, remove)})
        settings = {**simulated.DEFAULTS, **config}
        rng = np.random.default_rng(0)
        callset, reference, windows, _ = simulated._random_background(settings, rng, tmp)
        cohort = simulated.build(settings)

        builder = PersonalWindowBuilder(reference, windows, phased=False)
        for stage, build in (("genome + write (streamed)", builder.stream),
                             ("genome + write (whole array)", builder.build)):
            def genome_and_write(build=build):
                cohort.sequence.codes = build(callset).codes
                write_store(out, cohort, progress=False)

            rows.append({"stage": stage,
                         "seconds": best_time(genome_and_write, REPEATS, remove)})
        start = time.perf_counter()
        path = build_store(config, tmp / "full.h5")
        rows.append({"stage": "end to end", "seconds": time.perf_counter() - start,
                     "file_bytes": path.stat().st_size})
    disk = n_bytes / rows[1]["seconds"]
    for row in rows:
        row["MB_per_s"] = n_bytes / row["seconds"] / 1e6
        row["ratio_to_disk_copy"] = n_bytes / row["seconds"] / disk
    report(f"build: {args.subjects} subjects x {args.windows} windows x {args.length} bp "
           f"= {n_bytes / 1e6:.0f} MB of codes (target streamed genome + write ratio >= 0.2)",
           rows, args.out, {"settings": vars(args), "sequence_bytes": n_bytes})


if __name__ == "__main__":
    main()
