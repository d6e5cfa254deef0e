"""Command line: ``pgxdl explore --store s.h5 --out dir [options]``.

Clusters a cohort store's genotype dosages (and, with ``--ckpt``, a trained model's
learned embeddings) with every reducer x clusterer, then writes tables (CSV, JSON) and PNG
plots under ``--out``; see :mod:`pgxdl.explore.outputs` for the layout. Example::

    pgxdl explore --store runs/data/1kgp.h5 --methods pca umap \\
        --clusterers kmeans gmm hierarchical dbscan --label population --out runs/explore
"""

from __future__ import annotations

import argparse

from pgxdl.explore.analysis import ExploreSettings
from pgxdl.explore.clustering import CLUSTERERS
from pgxdl.explore.reduction import REDUCERS
from pgxdl.explore.store_exploration import comparison, explore_store

HELP = "embeddings, clusters and subgroups of a cohort"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", required=True, help="cohort store (.h5)")
    parser.add_argument("--ckpt", help="trained model checkpoint: also explore its embeddings")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--methods", nargs="+", choices=REDUCERS, default=["pca", "umap"])
    parser.add_argument("--clusterers", nargs="+", choices=CLUSTERERS,
                        default=["kmeans", "gmm", "hierarchical", "dbscan"])
    parser.add_argument("--label", help="group key to colour by and score against "
                                        "(e.g. population, site)")
    parser.add_argument("--split", default="default", help="stored split that --part refers to")
    parser.add_argument("--part", default="all", choices=["all", "train", "val", "test"],
                        help="explore only this part's subjects (test: held out from the model)")
    parser.add_argument("--drug", help="drug whose targets to analyse (multi-drug stores)")
    parser.add_argument("--k", type=int, help="fixed cluster count (default: chosen by "
                                              "silhouette / BIC)")
    parser.add_argument("--k-max", type=int, default=8, help="largest cluster count tried")
    parser.add_argument("--dbscan-min-samples", type=int,
                        help="DBSCAN core-point size (default max(5, 2 x dimensions))")
    parser.add_argument("--min-maf", type=float, default=0.01, help="minor-allele frequency "
                                                                    "filter of variants")
    parser.add_argument("--resamples", type=int, default=10,
                        help="subsamples for cluster stability (0: skip)")
    parser.add_argument("--band-task", help="regression task whose quantile bands clusters "
                                            "are scored against (e.g. dose)")
    parser.add_argument("--bands", type=int, default=3, help="number of quantile bands")
    parser.add_argument("--device", default="cpu", help="embedding device (cpu, cuda, auto)")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    settings = ExploreSettings(methods=tuple(args.methods), clusterers=tuple(args.clusterers),
                               k=args.k, k_max=args.k_max, n_resamples=args.resamples,
                               min_maf=args.min_maf, band_task=args.band_task,
                               n_bands=args.bands, dbscan_min_samples=args.dbscan_min_samples,
                               seed=args.seed)
    results = explore_store(args.store, settings, checkpoint=args.ckpt, label=args.label,
                            drug=args.drug, out=args.out, split=args.split, part=args.part,
                            device=args.device)
    print(comparison(results).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"wrote tables and plots under {args.out}")
    return 0
