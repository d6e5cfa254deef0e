"""The ``evaluate`` command: checkpoint + store -> metrics.json, predictions.csv, PNGs.

``pgxdl evaluate --ckpt model.ckpt --store store.h5 --split default --part test
--out runs/x/eval`` (also ``python evaluate.py [metrics] ...``). With ``--data-config``
a new store is first built from that data config into ``--store`` (default
``<out>/store.h5``), e.g. to evaluate on another site's data.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pgxdl.builders.store_build import build_store, load_config
from pgxdl.data.store import CohortStore
from pgxdl.evaluation.outputs import format_summary, noise_floor, write_predictions
from pgxdl.evaluation.plots import write_plots
from pgxdl.evaluation.predictions import predict_store, subject_clusters
from pgxdl.evaluation.scoring import MIN_GROUP_SIZE, score_table
from pgxdl.io import write_json
from pgxdl.tasks import task_kind
from pgxdl.training.restore import load_model

HELP = "metrics with bootstrap CIs, per subgroup, predictions and plots"


def evaluate_checkpoint(checkpoint: str | Path, store: str | Path, out: str | Path,
                        split: str = "default", part: str = "test",
                        groups: Sequence[str] | None = None, n_boot: int = 1000,
                        seed: int = 0, level: float = 0.95,
                        min_group_size: int = MIN_GROUP_SIZE, device: str = "cpu",
                        batch_size: int = 256, num_workers: int = 0,
                        plots: bool = True, stored_scale: bool = False) -> dict:
    """Evaluate ``checkpoint`` on ``part`` of ``split`` of ``store``; write results to ``out``.

    Parameters
    ----------
    groups : group keys to break metrics down by (``None``: every key the store has).
    n_boot, seed, level : bootstrap resamples, seed and confidence level.
    min_group_size : subgroups with fewer labelled observations are flagged ``small``.
    device : ``cpu``, ``cuda``, ``cuda:1`` or ``auto``.
    plots : also write the PNG figures.
    stored_scale : report a task stored on a transformed scale (e.g. ``sqrt_dose``) on
        that scale instead of in its original units (the default).

    Returns
    -------
    The metrics report (as written to ``metrics.json``) with ``files``: every path written.
    """
    out = Path(out)
    with CohortStore(store) as cohort:
        keys = list(cohort.group_keys if groups is None else groups)
        for key in keys:
            cohort.groups(key)  # a clear error for an unknown key, before any work
        fingerprint = cohort.fingerprint
    model = load_model(checkpoint, device)
    table = predict_store(model, store, split, part, keys, batch_size, num_workers)
    tasks = list(model.spec.tasks)
    if stored_scale:
        for i, task in enumerate(tasks):
            table, tasks[i] = task_kind(task).on_stored_scale(table)
    clusters = subject_clusters(store, table["index"].to_numpy())
    report = score_table(table, tasks, keys, n_boot, seed, level, min_group_size, clusters)
    report["resampling"] = "subjects" if clusters is not None else "observations"
    report["context"] = {"store": str(store), "split": split, "part": part,
                         "scale": "stored" if stored_scale else "reported",
                         "checkpoint": str(checkpoint), "n_observations": len(table),
                         "store_fingerprint": fingerprint,
                         "trained_on_fingerprint": model.spec.store_fingerprint}
    floor = noise_floor(store)
    if floor:
        report["noise_floor"] = floor
    files = [write_predictions(table, out / "predictions.csv")]
    if plots:
        files += write_plots(table, tasks, report, keys, out)
    report["files"] = [str(p) for p in files] + [str(out / "metrics.json")]
    write_json(out / "metrics.json", report)
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``metrics`` subcommand's options."""
    parser.add_argument("--ckpt", required=True, help="checkpoint written by train.py")
    parser.add_argument("--store", help="cohort store to evaluate on (with --data-config: "
                        "where to build it; default <out>/store.h5)")
    parser.add_argument("--data-config", help="data config YAML: build a new store first")
    parser.add_argument("--split", default="default", help="stored split scheme")
    parser.add_argument("--part", default="test", choices=["train", "val", "test", "all"],
                        help="part of the split to evaluate")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--groups", nargs="*", default=None,
                        help="group keys for subgroup metrics (default: all stored keys)")
    parser.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level")
    parser.add_argument("--min-group-size", type=int, default=MIN_GROUP_SIZE,
                        help="flag subgroups with fewer labelled observations")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG figures")
    parser.add_argument("--stored-scale", action="store_true",
                        help="report tasks stored on a transformed scale (e.g. sqrt_dose) on "
                             "that scale, not in their original units (default)")


def run(args: argparse.Namespace) -> int:
    """Run the ``metrics`` subcommand; print the summary and where the files are."""
    out = Path(args.out)
    store = Path(args.store) if args.store else None
    if args.data_config:
        store = store or out / "store.h5"
        if store.exists():
            raise FileExistsError(f"{store} exists; remove it, choose another --store, or "
                                  f"leave out --data-config to evaluate the existing store")
        build_store(load_config(args.data_config), store,
                    command=f"pgxdl evaluate --data-config {args.data_config}")
        print(f"built store {store}")
    if store is None:
        raise ValueError("give --store (a cohort store) or --data-config (to build one)")
    report = evaluate_checkpoint(args.ckpt, store, out, args.split, args.part, args.groups,
                                 args.n_boot, args.seed, args.level, args.min_group_size,
                                 args.device, args.batch_size, args.num_workers,
                                 not args.no_plots, args.stored_scale)
    print(format_summary(report))
    print(f"\nmetrics: {out / 'metrics.json'}\npredictions: {out / 'predictions.csv'}")
    figures = [f for f in report["files"] if f.endswith(".png")]
    if figures:
        print(f"figures ({len(figures)}): {out}/*.png")
    return 0
