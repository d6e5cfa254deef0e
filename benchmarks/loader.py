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
from pgxdl.builders.vcf_ehr_shards import shard_ranges  # noqa: E402
from pgxdl.data.batch import codes_to_sequence  # noqa: E402
from pgxdl.data.cohort import Cohort, Observations, SequenceBlock  # noqa: E402
from pgxdl.data.datamodule import CohortDataModule  # noqa: E402
from pgxdl.data.shards import write_shard_index  # noqa: E402
from pgxdl.data.spec import TaskSpec  # noqa: E402
from pgxdl.data.splits import holdout_split  # noqa: E402
from pgxdl.data.store_writer import write_store  # noqa: E402
from pgxdl.genome.reference.windows import WindowSpec  # noqa: E402


def synthetic_store(path: Path, subjects: int, windows: int, length: int,
                    shards: int = 0) -> np.ndarray:
    """Write a store of random codes (and, with ``shards``, the same cohort as that many
    shards plus their index, ``<path stem>-shards/cohort.h5``); return the codes
    ``(S, W, 1, L)``."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 11, (subjects, windows, 1, length), dtype=np.uint8)
    values = rng.normal(size=subjects)
    split = holdout_split(subjects, 0.0, 0.01)
    specs = [WindowSpec(f"w{i}", f"G{i}", "chr1", i * length + 1, (i + 1) * length, "+")
             for i in range(windows)]
    salt = "loader-benchmark"
    write_store(path, _cohort(specs, codes, values, split, 0, subjects), salt, progress=False)
    if shards:
        folder = path.parent / f"{path.stem}-shards"
        folder.mkdir()
        paths = []
        for i, (start, stop) in enumerate(shard_ranges(subjects, shards)):
            info = {"build_id": "loader-benchmark", "index": i, "n_shards": shards,
                    "first_subject": start, "n_subjects": stop - start, "n_cohort": subjects}
            cohort = _cohort(specs, codes, values, split, start, stop, {"shard": info})
            paths.append(write_store(folder / f"cohort.shard-{i}-of-{shards}.h5", cohort,
                                     salt, progress=False))
        write_shard_index(folder / "cohort.h5", paths)
    return codes


def _cohort(specs, codes, values, split, start: int, stop: int,
            provenance: dict | None = None) -> Cohort:
    """Subjects ``start:stop`` of the synthetic cohort (no carriers, no tabular block)."""
    empty = {k: np.zeros(0, dtype=t) for k, t in
             [("subject_index", np.int32), ("window_index", np.int32), ("offset", np.int32),
              ("pos", np.int64), ("ids", object), ("ref", object), ("alt", object),
              ("allele_count", np.int8), ("hap_mask", np.uint8)]}
    return Cohort(
        subject_ids=[f"s{i}" for i in range(start, stop)],
        sequence=SequenceBlock(specs, codes[0, :, 0], codes[start:stop], 1, empty),
        tabular=None,
        observations=Observations.one_drug(values[start:stop], [TaskSpec("y", "regression")]),
        splits={"default": split[start:stop]},
        provenance=provenance or {},
    )


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
    parser.add_argument("--shards", type=int, default=0,
                        help="also read the cohort as this many shards through their index")
    parser.add_argument("--out", default="benchmarks/results/loader.json")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.h5"
        codes = synthetic_store(store, args.subjects, args.windows, args.length, args.shards)
        memory = torch.from_numpy(codes)

        def from_memory():
            while True:
                for index in torch.randperm(len(memory)).split(args.batch):
                    yield codes_to_sequence(memory[index])

        def from_store(path: Path):
            dm = CohortDataModule(str(path), batch_size=args.batch, num_workers=args.workers)
            loader = dm.train_dataloader()  # one loader for every epoch, as Lightning keeps it
            while True:
                for batch in loader:
                    yield codes_to_sequence(batch["codes"])

        sources = {"in-memory tensors": from_memory(), "cohort store": from_store(store)}
        if args.shards:
            sources[f"shard index ({args.shards} shards)"] = from_store(
                store.parent / "bench-shards" / "cohort.h5")
        # batches a store's workers prefetched while the other rounds ran: untimed
        prefetched = {name: 0 if name == "in-memory tensors" else 2 * args.workers
                      for name in sources}  # DataLoader's prefetch factor: 2 per worker
        for batches in sources.values():
            next(batches)  # warm-up: worker start, first reads, allocator
        rates = {name: [] for name in sources}
        for _ in range(args.rounds):
            for name, batches in sources.items():
                rates[name].append(samples_per_second(batches, args.batches, prefetched[name]))
    memory_rates = np.asarray(rates["in-memory tensors"])
    store_rates = np.asarray(rates["cohort store"])
    rows = [{"source": name, "samples_per_s": float(np.median(r)),
             "batches_per_s": float(np.median(r)) / args.batch,
             "ratio_to_memory": float(np.median(np.asarray(r) / memory_rates)),
             "ratio_to_store": float(np.median(np.asarray(r) / store_rates))}
            for name, r in rates.items()]
    report(f"loader: batch {args.batch}, {args.windows} windows x {args.length} bp, "
           f"{args.workers} workers, median of {args.rounds} rounds (target ratio >= 0.8)",
           rows, args.out,
           {"settings": vars(args), "ratio": rows[1]["ratio_to_memory"],
            "ratio_per_round": (store_rates / memory_rates).tolist(),
            "samples_per_s_per_round": rates})


if __name__ == "__main__":
    main()
