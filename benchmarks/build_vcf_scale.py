"""Biobank-scale builds from a bgzipped, indexed VCF: throughput and peak memory.

    python benchmarks/build_vcf_scale.py [--sizes 10000 50000 --windows 4 --length 2000
        --sites 500 --memory-path-max 10000 --shards 0 --rounds 3
        --out benchmarks/results/build_vcf_scale.json]
    python benchmarks/build_vcf_scale.py --quick      # a few hundred people, for the tests

For each cohort size (untimed): simulated people (Balding-Nichols genotypes from
:mod:`pgxdl.builders.simulated_genotypes`, three populations) at ``windows x sites``
SNVs on a random reference, written as a bgzipped VCF with a tabix index (pysam), with an
EHR table and a ``vcf_ehr`` data config. Then, in the same run:

  bcftools query      ``bcftools query -f '[%GT\\t]\\n' -r <windows>`` over the same file to
                      /dev/null: htslib's raw decode, the anchor (skipped, with a note,
                      when bcftools is not installed: ``apt-get install bcftools``)
  build (streaming)   ``pgxdl build`` of the config (``build_store``) in a fresh process:
                      region queries, genotypes spilled to a memory map, personal windows
                      and carriers written in chunks of subjects
  build (N shards)    ``build_shards`` with ``--shards N`` processes (the peak RSS is the
                      parent's; each worker is a streaming build of S / N people)
  build (in memory)   the previous path (genotypes read into memory, then
                      ``PersonalWindowBuilder.stream``), only up to ``--memory-path-max``

Each build runs in its own subprocess, whose peak RSS (``VmHWM`` of /proc/self/status: a
child's ``ru_maxrss`` starts at its parent's peak) is reported with the peak of the same
interpreter after the imports alone. bcftools and the builds run in turn ``--rounds``
times per size, so a machine whose load drifts (shared cores) weighs on all of them; the
table gives median wall seconds (a build's without its imports) and median CPU seconds
(user + system, a build's with its imports and every thread: the build decodes in one
thread and recodes in another). Throughput: people/s and decoded genotypes/s
(people x sites / s), and its ratio to bcftools query, the median of the rounds' ratios
(target >= 0.5); peak RSS target < 2 GB at every size (the highest round's), and within
1.5x between the smallest and largest.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.builders.simulated_genotypes import (  # noqa: E402
    random_reference,
    sample_population_genotypes,
)
from pgxdl.genome.encoding import decode  # noqa: E402

POPULATIONS = ["AFR", "EUR", "EAS"]
SITE_BLOCK = 32  # sites drawn and written at a time while generating

# Runs in a fresh interpreter: build the store, print wall seconds and peak RSS (JSON).
_BUILD = """
import json, sys, time
from pgxdl.builders.store_build import build_store
from pgxdl.builders import vcf_ehr
def high_water_kb():  # VmHWM: this process's peak RSS (ru_maxrss survives exec from a parent)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
base_rss = high_water_kb()
config = json.loads(sys.argv[1])
if sys.argv[3] == "memory":  # the previous path: whole call set in memory
    from pgxdl.genome.personal.builder import PersonalWindowBuilder
    read = vcf_ehr.read_vcf_with_report
    vcf_ehr.read_vcf_with_report = lambda *a, **k: read(*a, **{**k, "spill": False})
    PersonalWindowBuilder.build_in_chunks = PersonalWindowBuilder.stream
start = time.perf_counter()
if sys.argv[3].startswith("shards:"):  # n shards, n processes; the index at sys.argv[2]
    from pathlib import Path
    from pgxdl.builders.vcf_ehr_shards import build_shards
    n = int(sys.argv[3].split(":")[1])
    out = Path(sys.argv[2])
    build_shards(config, out.parent / "shards", n, processes=n, name=out.stem)
    out.symlink_to(out.parent / "shards" / out.name)
else:
    build_store(config, sys.argv[2], echo=None, progress=False)
print(json.dumps({"seconds": time.perf_counter() - start, "base_rss_kb": base_rss,
                  "peak_rss_kb": high_water_kb()}))
"""


def write_cohort(folder: Path, n_people: int, n_windows: int, length: int, sites: int,
                 seed: int) -> dict:
    """Write reference, windows, bgzipped + indexed VCF and EHR of ``n_people``; returns the
    ``vcf_ehr`` config."""
    import pysam

    rng = np.random.default_rng(seed)
    reference = random_reference(n_windows, length, rng)
    fasta = folder / "reference.fa"
    fasta.write_text("".join(f">sim{w + 1}\n{decode(codes)}\n"
                             for w, codes in enumerate(reference)))
    windows = [{"name": f"window{w}", "gene": f"GENE{w + 1}", "chrom": f"sim{w + 1}",
                "start": 1, "end": length, "strand": "+"} for w in range(n_windows)]
    (folder / "windows.yaml").write_text(yaml.safe_dump({"windows": windows}))
    # sites and per-population frequencies from the simulator (a handful of people), then
    # the cohort's genotypes a block of sites at a time, so generation fits in memory too
    sim = sample_population_genotypes(reference, len(POPULATIONS), POPULATIONS, sites, 0.1,
                                      rng)
    population = np.arange(n_people) % len(POPULATIONS)
    rng.shuffle(population)
    samples = [f"P{i:07d}" for i in range(n_people)]
    genotype_text = np.frombuffer(b"0|0\t0|1\t1|0\t1|1\t", dtype="S4")
    vcf = folder / "cohort.vcf.gz"
    with pysam.BGZFile(str(vcf), "wb") as out:
        header = ["##fileformat=VCFv4.2",
                  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                  *(f"##contig=<ID=sim{w + 1},length={length}>" for w in range(n_windows)),
                  "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                             "FORMAT", *samples])]
        out.write(("\n".join(header) + "\n").encode())
        for start in range(0, len(sim.offset), SITE_BLOCK):
            block = slice(start, start + SITE_BLOCK)
            p = sim.frequencies[:, block][population]  # (S, b)
            alleles = rng.random((2, *p.shape)) < p  # (2, S, b)
            codes = (alleles[0] * 2 + alleles[1]).T  # (b, S)
            for k, site in enumerate(range(*block.indices(len(sim.offset)))):
                fixed = (f"sim{sim.window_index[site] + 1}\t{sim.offset[site] + 1}\t.\t"
                         f"{sim.ref[site]}\t{sim.alt[site]}\t.\tPASS\t.\tGT\t")
                line = bytearray(genotype_text[codes[k]].tobytes())
                line[-1:] = b"\n"
                out.write(fixed.encode() + bytes(line))
    pysam.tabix_index(str(vcf), preset="vcf", force=True)
    ehr = folder / "ehr.csv"
    pd.DataFrame({"subject": samples, "age": rng.integers(20, 90, n_people),
                  "dose": rng.normal(35, 10, n_people).round(1)}).to_csv(ehr, index=False)
    return {"builder": "vcf_ehr", "reference": str(fasta),
            "windows": str(folder / "windows.yaml"), "vcf": str(vcf), "ehr": str(ehr),
            "subject_column": "subject", "extra_vcf_samples": "error",
            "features": [{"name": "age", "kind": "numeric", "units": "years"}],
            "tasks": [{"name": "dose", "kind": "regression", "units": "mg/week"}],
            "split": {"val_fraction": 0.15, "test_fraction": 0.15}, "seed": 0}


def bcftools_seconds(vcf: Path, regions: str) -> dict | None:
    """Wall and CPU seconds of ``bcftools query`` decoding every genotype in ``regions``."""
    if shutil.which("bcftools") is None:
        return None
    start, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(["bcftools", "query", "-r", regions, "-f", "[%GT\t]\n", str(vcf)],
                   stdout=subprocess.DEVNULL, check=True)
    return {"seconds": time.perf_counter() - start, "cpu_seconds": _children_cpu() - cpu}


def run_build(config: dict, out: Path, path: str) -> dict:
    """Build in a fresh interpreter; its wall seconds (imports excluded), CPU seconds
    (imports included) and peak RSS."""
    root = Path(__file__).resolve().parent.parent
    cpu = _children_cpu()
    result = subprocess.run([sys.executable, "-c", _BUILD, json.dumps(config), str(out), path],
                            cwd=root, capture_output=True, text=True,
                            env={"PYTHONPATH": str(root), "OMP_NUM_THREADS": "1",
                                 "PATH": "/usr/bin:/bin"})
    if result.returncode:
        raise RuntimeError(f"build ({path}) failed:\n{result.stderr[-3000:]}")
    out.unlink()
    return {**json.loads(result.stdout.strip().splitlines()[-1]),
            "cpu_seconds": _children_cpu() - cpu}


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000])
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--length", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=500, help="variant sites per window")
    parser.add_argument("--memory-path-max", type=int, default=10000,
                        help="also time the in-memory path up to this many people")
    parser.add_argument("--shards", type=int, default=0,
                        help="also build as this many shards in as many processes")
    parser.add_argument("--rounds", type=int, default=3,
                        help="bcftools and builds alternate this many times; medians")
    parser.add_argument("--quick", action="store_true",
                        help="300 and 600 people, 40 sites, one round")
    parser.add_argument("--out", default="benchmarks/results/build_vcf_scale.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.sites, args.length, args.rounds = [300, 600], 40, 400, 1
    regions = ",".join(f"sim{w + 1}:1-{args.length}" for w in range(args.windows))
    n_sites = args.windows * args.sites
    rows, notes, rounds = [], [], []
    load_before = os.getloadavg()
    for n_people in args.sizes:
        with tempfile.TemporaryDirectory(prefix="pgxdl-vcf-scale-") as tmp:
            tmp = Path(tmp)
            config = write_cohort(tmp, n_people, args.windows, args.length, args.sites, 0)
            vcf_mb = Path(config["vcf"]).stat().st_size / 1e6
            paths = (["streaming"] + ([f"shards:{args.shards}"] if args.shards else [])
                     + (["memory"] if n_people <= args.memory_path_max else []))
            anchors, builds = [], {path: [] for path in paths}
            for _ in range(args.rounds):  # alternate, so drifting load hits every stage
                anchors.append(bcftools_seconds(Path(config["vcf"]), regions))
                for path in paths:
                    builds[path].append(run_build(config, tmp / "store.h5", path))
            if anchors[0] is not None:
                rows.append(_row("bcftools query", n_people, n_sites, vcf_mb, anchors))
            for path in paths:
                label = path.replace("shards:", "") + " shards" if ":" in path else path
                row = _row(f"build ({label})", n_people, n_sites, vcf_mb, builds[path])
                row["peak_rss_MB"] = max(r["peak_rss_kb"] for r in builds[path]) / 1024
                row["imports_rss_MB"] = builds[path][0]["base_rss_kb"] / 1024
                if anchors[0] is not None:
                    row["ratio_to_bcftools"] = float(np.median(
                        [a["seconds"] / b["seconds"] for a, b in zip(anchors, builds[path],
                                                                     strict=True)]))
                rows.append(row)
            rounds.append({"people": n_people, "bcftools": anchors, **builds})
    if shutil.which("bcftools") is None:
        notes.append("bcftools not installed: no ratio (apt-get install -y bcftools)")
    streaming = [r["peak_rss_MB"] for r in rows if r["stage"] == "build (streaming)"]
    extra = {"settings": vars(args), "notes": notes, "rounds": rounds,
             "load_average_before_after": [load_before, os.getloadavg()],
             "peak_rss_ratio_largest_to_smallest": streaming[-1] / streaming[0]}
    spread = extra["peak_rss_ratio_largest_to_smallest"]
    report(f"VCF builds: {args.windows} windows x {args.sites} sites ({n_sites} SNVs), "
           f"{args.length} bp windows; targets: ratio_to_bcftools >= 0.5, peak RSS < 2 GB "
           f"and within 1.5x across sizes (measured {spread:.2f}x)",
           rows, args.out, extra)
    for note in notes:
        print(note)


def _row(stage: str, n_people: int, n_sites: int, vcf_mb: float, runs: list[dict]) -> dict:
    """A table row: medians over the rounds' ``runs`` (each ``seconds``, ``cpu_seconds``)."""
    seconds = float(np.median([r["seconds"] for r in runs]))
    return {"stage": stage, "people": n_people, "vcf_MB": vcf_mb, "seconds": seconds,
            "cpu_seconds": float(np.median([r["cpu_seconds"] for r in runs])),
            "people_per_s": n_people / seconds, "genotypes_per_s": n_people * n_sites / seconds}


if __name__ == "__main__":
    main()
