"""Loader throughput: one-hot batches per second from a cohort store vs in-memory tensors.

    python benchmarks/loader.py [--subjects 4096 --windows 4 --length 2000 --batch 256
                                 --workers 2 --batches 20 --rounds 7
                                 --out benchmarks/results/loader.json]

Both paths produce the same one-hot batches ``(256, 4, 4, 2000)`` in the main process
(late one-hot); the store path reads uint8 codes from HDF5 in ``--workers`` DataLoader
workers. The two are timed in alternating rounds of ``--batches`` batches, so drift in
the machine's load hits both alike; the batches the store's workers prefetched during
the in-memory round (the loader's prefetch factor per worker) are consumed untimed, and
rates count samples (an epoch's short last batch counts for what it holds). The table
shows each source's median rate; the figure of merit is the median over rounds of the
ratio store / in-memory (target >= 0.8).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.data.batch import codes_to_sequence  # noqa: E402
from pgxdl.data.cohort import Cohort, Observations, SequenceBlock  # noqa: E402
from pgxdl.data.datamodule import CohortDataModule  # noqa: E402
from pgxdl.data.spec import TaskSpec  # noqa: E402
from pgxdl.data.splits import holdout_split  # noqa: E402
from pgxdl.data.store_writer import write_store  # noqa: E402
from pgxdl.genome.reference.windows import WindowSpec  # noqa: E402


def synthetic_store(path: Path, subjects: int, windows: int, length: int) -> np.ndarray:
    """Write a store of random codes; return the codes ``(S, W, 1, L)``."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 11, (subjects, windows, 1, length), dtype=np.uint8)
    specs = [WindowSpec(f"w{i}", f"G{i}", "chr1", i * length + 1, (i + 1) * length, "+")
             for i in range(windows)]
    empty = {k: np.zeros(0, dtype=t) for k, t in
             [("subject_index", np.int32), ("window_index", np.int32), ("offset", np.int32),
              ("pos", np.int64), ("ids", object), ("ref", object), ("alt", object),
              ("allele_count", np.int8), ("hap_mask", np.uint8)]}
    cohort = Cohort(
        subject_ids=[f"s{i}" for i in range(subjects)],
        sequence=SequenceBlock(specs, codes[0, :, 0], codes, 1, empty),
        tabular=None,
        observations=Observations.one_drug(rng.normal(size=subjects),
                                           [TaskSpec("y", "regression")]),
        splits={"default": holdout_split(subjects, 0.0, 0.01)},
    )
    write_store(path, cohort, progress=False)
    return codes


def samples_per_second(batches, n_batches: int, untimed: int = 0) -> float:
    """Samples per second over ``n_batches`` of an iterator, after ``untimed`` more.

    Samples, not batches, so a short last batch of an epoch counts for what it holds.
    """
    for _ in range(untimed):
        next(batches)
    samples = 0
    start = time.perf_counter()
    for _ in range(n_batches):
        sequence = next(batches)
        assert sequence.dtype == torch.float32
        samples += len(sequence)
    return samples / (time.perf_counter() - start)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=4096)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batches", type=int, default=20, help="batches per timed round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--out", default="benchmarks/results/loader.json")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.h5"
        codes = synthetic_store(store, args.subjects, args.windows, args.length)
        memory = torch.from_numpy(codes)

        def from_memory():
            while True:
                for index in torch.randperm(len(memory)).split(args.batch):
                    yield codes_to_sequence(memory[index])

        dm = CohortDataModule(str(store), batch_size=args.batch, num_workers=args.workers)
        loader = dm.train_dataloader()  # one loader for every epoch, as Lightning keeps it

        def from_store():
            while True:
                for batch in loader:
                    yield codes_to_sequence(batch["codes"])

        sources = {"in-memory tensors": from_memory(), "cohort store": from_store()}
        # batches the store's workers prefetched while the in-memory round ran: untimed
        prefetched = {"in-memory tensors": 0,
                      "cohort store": (loader.prefetch_factor or 0) * args.workers}
        for batches in sources.values():
            next(batches)  # warm-up: worker start, first reads, allocator
        rates = {name: [] for name in sources}
        for _ in range(args.rounds):
            for name, batches in sources.items():
                rates[name].append(samples_per_second(batches, args.batches, prefetched[name]))
    memory_rates = np.asarray(rates["in-memory tensors"])
    ratios = np.asarray(rates["cohort store"]) / memory_rates
    rows = [{"source": name, "samples_per_s": float(np.median(r)),
             "batches_per_s": float(np.median(r)) / args.batch,
             "ratio_to_memory": float(np.median(np.asarray(r) / memory_rates))}
            for name, r in rates.items()]
    report(f"loader: batch {args.batch}, {args.windows} windows x {args.length} bp, "
           f"{args.workers} workers, median of {args.rounds} rounds (target ratio >= 0.8)",
           rows, args.out,
           {"settings": vars(args), "ratio": float(np.median(ratios)),
            "ratio_per_round": ratios.tolist(), "samples_per_s_per_round": rates})


if __name__ == "__main__":
    main()
