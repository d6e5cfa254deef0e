"""Print a cohort store's summary: ``pgxdl inspect store.h5``."""

from __future__ import annotations

import argparse

import numpy as np

from pgxdl.data.splits import PART_NAMES
from pgxdl.data.store import CohortStore


def summarise(path: str) -> str:
    """A human-readable summary of the store at ``path`` (no subject identifiers)."""
    lines = []
    with CohortStore(path) as store:
        attrs = store.attrs
        lines.append(f"cohort store {path}")
        for key in ("schema_version", "pgxdl_version", "builder", "created_utc",
                    "reference_name", "reference_build", "command"):
            lines.append(f"  {key:16s} {attrs.get(key, '')}")
        lines.append(f"  subjects         {store.n_subjects}")
        if store.has_sequence:
            codes = store.h5["sequence/codes"]
            lines.append(f"  sequence codes   {codes.shape} (S, W, H, L) uint8, "
                         f"{codes.compression or 'uncompressed'}")
            for w in store.windows:
                lines.append(f"    window {w['name']:12s} {w['gene']:8s} {w['chrom']}:"
                             f"{w['start']}-{w['end']} ({w['strand']})")
            offsets = store.h5["variants/subject_offsets"][:]
            per_subject = np.diff(offsets)
            lines.append(f"  carried variants {offsets[-1]} (per subject: median "
                         f"{np.median(per_subject):.0f}, max {per_subject.max()})")
        for f in store.schema.features:
            extra = f" [{', '.join(f.categories)}]" if f.categories else f" {f.units}"
            lines.append(f"  feature          {f.name} ({f.kind}){extra}")
        obs = store.observations()
        labelled = (~np.isnan(obs["values"])).sum(axis=0)
        for t, task in enumerate(store.tasks):
            lines.append(f"  task             {task.name} ({task.kind}) {task.units} "
                         f"labelled {labelled[t]}/{len(obs['values'])}")
        lines.append(f"  drugs            {len(store.drug_names)}; observations "
                     f"{len(obs['values'])}")
        for key in store.group_keys:
            names, counts = np.unique(store.groups(key), return_counts=True)
            summary = ", ".join(f"{n}={c}" for n, c in zip(names[:8], counts[:8], strict=True))
            more = f" (+{len(names) - 8} more)" if len(names) > 8 else ""
            lines.append(f"  group {key:10s} {summary}{more}")
        for name in store.split_names:
            counts = np.bincount(store.split(name), minlength=3)
            lines.append(f"  split {name:10s} " + ", ".join(
                f"{p}={c}" for p, c in zip(PART_NAMES, counts, strict=True)))
        for name in store.observation_split_names:  # pair-level designs (GDSC mixed, ...)
            counts = np.bincount(store.observation_parts(name), minlength=3)
            lines.append(f"  split {name:10s} (pairs) " + ", ".join(
                f"{p}={c}" for p, c in zip(PART_NAMES, counts, strict=True)))
        if "truth" in store.h5:
            truth = store.truth()
            lines.append(f"  truth            {len(truth['pos'])} causal variants; "
                         f"noise_sd {truth['model'].get('noise_sd')}")
    return "\n".join(lines)


HELP = "print a cohort store's summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="cohort store (.h5)")


def run(args: argparse.Namespace) -> int:
    print(summarise(args.store))
    return 0
