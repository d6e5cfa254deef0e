"""The ``attribute`` command: checkpoint + store -> variant, gene and feature scores, plots.

``pgxdl attribute --ckpt model.ckpt --store store.h5 --task dose --method ig
--part test --out runs/x/attributions`` (also ``python evaluate.py attribute ...``).
Writes the tables and figures listed in :mod:`pgxdl.interpret.outputs`; with ``--ism``
the revert-to-reference effect of every carried variant; with ``--introduce
chrom:pos:ref:alt`` the effect of giving each person that variant (``introduced.csv``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pgxdl.data.store import CohortStore
from pgxdl.interpret.aggregate import variant_label
from pgxdl.interpret.explain import explain_part
from pgxdl.interpret.ism import InSilicoMutagenesis, introduce_over_loader, parse_variant
from pgxdl.interpret.methods import METHODS
from pgxdl.interpret.outputs import read_bed_intervals, write_csv, write_plots, write_tables
from pgxdl.interpret.reference_inputs import BASELINE_KINDS
from pgxdl.interpret.units import network_in_units
from pgxdl.models.attribution import TaskOutput
from pgxdl.training.restore import checkpoint_datamodule, load_model

HELP = "attributions (Captum), in-silico mutagenesis, variant/feature scores and plots"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``attribute`` command's options."""
    parser.add_argument("--ckpt", required=True, help="checkpoint written by train.py")
    parser.add_argument("--store", required=True, help="cohort store to explain")
    parser.add_argument("--task", required=True, help="task to explain (e.g. dose)")
    parser.add_argument("--target-class", type=int, default=None,
                        help="class of a multiclass task (default: each predicted class)")
    parser.add_argument("--method", default="ig", choices=METHODS)
    parser.add_argument("--baselines", default="auto", choices=["auto", *BASELINE_KINDS],
                        help="auto: cohort for Shap methods, else the reference")
    parser.add_argument("--n-background", type=int, default=16,
                        help="training people in cohort baselines")
    parser.add_argument("--n-steps", type=int, default=50, help="integrated-gradients steps")
    parser.add_argument("--n-samples", type=int, default=16, help="GradientShap samples")
    parser.add_argument("--split", default=None,
                        help="stored split scheme (default: the one the model was trained on)")
    parser.add_argument("--part", default="test", choices=["train", "val", "test", "all"])
    parser.add_argument("--max-observations", type=int, default=None)
    parser.add_argument("--ism", action="store_true",
                        help="also score each carried variant by reverting it (ISM)")
    parser.add_argument("--introduce", action="append", default=[], metavar="CHROM:POS:REF:ALT",
                        help="effect of introducing this substitution in everyone")
    parser.add_argument("--zygosity", default="het", choices=["het", "hom"])
    parser.add_argument("--groups", nargs="*", default=None,
                        help="group keys for subgroup summaries (default: all stored keys)")
    parser.add_argument("--exons", help="BED file of exons to shade on the tracks")
    parser.add_argument("--n-patients", type=int, default=3, help="patients to plot")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    """Run the ``attribute`` command and print where the results are."""
    out = Path(args.out)
    introduce = [parse_variant(text) for text in args.introduce]
    model = load_model(args.ckpt, args.device)
    split = args.split or model.spec.extra.get("split", "default")
    data = checkpoint_datamodule(model, args.store, split, args.batch_size)
    with CohortStore(args.store) as store:
        groups = list(store.group_keys if args.groups is None else args.groups)
        windows = store.windows
        truth = store.truth() if "truth" in store.h5 else None
        mutagenesis = InSilicoMutagenesis(
            TaskOutput(network_in_units(model.module), args.task, args.target_class).eval(),
            store, model.haplotypes)
    for variant in introduce:  # check every variant before the long run
        mutagenesis.locate(*variant)
    explanation = explain_part(
        model.module, data, args.task, args.method, args.part, args.baselines,
        model.device, args.ism, args.max_observations, keep_maps=args.n_patients,
        target_class=args.target_class, n_steps=args.n_steps, n_samples=args.n_samples,
        n_background=args.n_background, seed=args.seed)
    files = write_tables(explanation, out, groups)
    if introduce:
        files.append(write_introduced(mutagenesis, data, args, introduce, out))
    if not args.no_plots:
        causal = None if truth is None else set(variant_label(
            truth["ids"], truth["chrom"], truth["pos"], truth["ref"], truth["alt"]))
        exons = read_bed_intervals(args.exons) if args.exons else None
        files += write_plots(explanation, windows, out, exons, args.n_patients,
                             highlight=causal)
    deltas = explanation.predictions["delta"].abs()
    print(f"{args.method} attributions of {args.task} for {explanation.n_observations} "
          f"observations ({args.part} part)")
    if deltas.notna().any():
        print(f"convergence delta: mean |delta| {deltas.mean():.3g}, max {deltas.max():.3g}")
    if len(explanation.variants):
        top = explanation.summary("variants").head(10)
        print(top[["variant", "gene", "n", "mean", "mean_abs"]].to_string(index=False))
    print(f"wrote {len(files)} files to {out}")
    return 0


def write_introduced(mutagenesis: InSilicoMutagenesis, data, args: argparse.Namespace,
                     variants: list[tuple[str, int, str, str]], out: Path) -> Path:
    """``introduced.csv``: ``observation``, ``effect``, ``variant``, ``zygosity`` rows."""
    frames = []
    for chrom, pos, ref, alt in variants:
        effects = introduce_over_loader(mutagenesis, data.dataloader(args.part), chrom, pos,
                                        ref, alt, args.zygosity, args.max_observations)
        frames.append(effects.assign(variant=f"{chrom}:{pos}:{ref}:{alt}",
                                     zygosity=args.zygosity))
    return write_csv(pd.concat(frames, ignore_index=True), out / "introduced.csv")

