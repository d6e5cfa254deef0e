"""Do genotype clusters of four pharmacogenes recover the 1000 Genomes super-populations?

    python benchmarks/subgroups_1kgp.py [--regions key2kb whole] [--methods pca tsne umap]
                                        [--out benchmarks/results/subgroups] [--tiny]

For each region set, builds (once, cached under ``runs/data``) the 1000 Genomes cohort
store of configs/data/1kgp.yaml (all 3,202 people; VKORC1, CYP2C9, CYP2C19, CYP2D6) and
reads the allele dosages of its variants with MAF >= 1 %. Region sets:

  key2kb  the store's own windows: 2 kb around each key pharmacogenetic variant (6 x 2 kb)
  whole   the whole reference records of the four genes, tiled into equal windows (~65 kb)

Every person is clustered by every reducer (PCA on 10 components, t-SNE, UMAP) x clusterer
(k-means, GMM, Ward, DBSCAN), with the cluster count chosen by the data (silhouette / BIC /
density) and, for the k-based methods, fixed at the true five. Agreement with the five
super-populations (adjusted Rand index, normalised mutual information) is scored on the
people the panel labels; the rest (relatives added later) are clustered but not scored.
As a ceiling, a supervised classifier (multinomial logistic regression, 5-fold
cross-validated) predicts the super-population from the same dosages: how much ancestry the
variants carry at all, found or not by the unsupervised methods.
Writes ``subgroups_1kgp.json`` and ``pca_by_super_population_<regions>.png`` under --out.
``--tiny`` runs 150 people, PCA and t-SNE only, for the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import report  # noqa: E402
from pgxdl.builders.store_build import build_store, load_config  # noqa: E402
from pgxdl.data.store import CohortStore  # noqa: E402
from pgxdl.explore import agreement, cluster, dosage_matrix, reduce, stability  # noqa: E402
from pgxdl.explore.analysis import UNLABELLED  # noqa: E402
from pgxdl.explore.plots import plot_embedding  # noqa: E402
from pgxdl.genome.reference.windows import load_windows  # noqa: E402

CONFIG = ROOT / "configs/data/1kgp.yaml"
WHOLE_RECORDS = ROOT / "configs/data/windows/grch38_pgx.yaml"
CLUSTERERS = ("kmeans", "gmm", "hierarchical", "dbscan")
N_SUPER_POPULATIONS = 5


def whole_region_windows(path: Path) -> Path:
    """Tile every window of ``path`` into equal windows (the shortest window's length).

    Tiles are spread evenly from each window's start to its end, so they stay inside the
    reference record and overlap slightly; the YAML is written beside the cached store.
    """
    windows = load_windows(WHOLE_RECORDS)
    length = min(w.length for w in windows)
    tiles = []
    for w in windows:
        count = -(-w.length // length)
        starts = np.linspace(w.start, w.end - length + 1, count).round().astype(int)
        tiles += [{"name": f"{w.name}_{i}", "gene": w.gene, "chrom": w.chrom,
                   "start": int(s), "end": int(s) + length - 1, "strand": w.strand}
                  for i, s in enumerate(starts)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"build": "GRCh38", "windows": tiles}, sort_keys=False))
    return path


def cached_store(regions: str, n_subjects: int | None, cache: Path) -> Path:
    """The 1000 Genomes store for ``regions`` (built once into ``cache``)."""
    suffix = "all" if n_subjects is None else str(n_subjects)
    path = cache / f"1kgp_{regions}_{suffix}.h5"
    if path.exists():
        return path
    config = load_config(CONFIG)
    config["n_subjects"] = n_subjects
    if regions == "whole":
        config["windows"] = str(whole_region_windows(cache / "1kgp_whole_windows.yaml"))
    else:
        config["windows"] = str(ROOT / config["windows"])
    return build_store(config, path, command=f"benchmarks/subgroups_1kgp.py ({regions})")


def score_regions(regions: str, store: Path, methods: list[str], resamples: int,
                  out: Path, seed: int) -> tuple[list[dict], dict]:
    """ARI/NMI with super-population for every reducer x clusterer on one region set."""
    with CohortStore(store) as cohort:
        genotypes = dosage_matrix(cohort, min_maf=0.01)
        population = cohort.groups("population")
    known = ~np.isin(population, UNLABELLED)
    rows, info = [], {"n_people": len(population), "n_labelled": int(known.sum()),
                      "n_variants": int(genotypes.values.shape[1]),
                      "supervised_reference": supervised_reference(
                          genotypes.values[known], population[known], seed)}
    for method in methods:
        start = time.perf_counter()
        reduction = reduce(genotypes.values, method, seed=seed)
        seconds = time.perf_counter() - start
        if method == "pca":
            info["pca_explained_variance_ratio"] = reduction.explained_variance_ratio.tolist()
            figure = plot_embedding(
                reduction.coords[known], population[known],
                out / f"pca_by_super_population_{regions}.png",
                f"1000 Genomes, {genotypes.values.shape[1]} variants of 4 pharmacogenes "
                f"({regions})", _pc_axes(reduction.explained_variance_ratio), "super-population")
            info["pca_figure"] = str(figure.relative_to(ROOT) if figure.is_relative_to(ROOT)
                                     else figure)
        for clusterer in CLUSTERERS:
            for k_rule in (("chosen", None), ("fixed", N_SUPER_POPULATIONS)):
                if clusterer == "dbscan" and k_rule[1] is not None:
                    continue
                clustering = cluster(reduction.coords, clusterer, k=k_rule[1], seed=seed)
                scores = agreement(clustering.labels, population, known)
                stable = (stability(reduction.coords, clustering, resamples, seed=seed).mean_ari
                          if resamples and clustering.n_clusters >= 2 else float("nan"))
                rows.append({"regions": regions, "method": method, "clusterer": clusterer,
                             "k_rule": k_rule[0], "n_clusters": clustering.n_clusters,
                             "ari": round(scores["ari"], 4), "nmi": round(scores["nmi"], 4),
                             "stability_ari": round(stable, 4),
                             "noise_fraction": round(float(np.mean(clustering.labels == -1)),
                                                     4),
                             "reduce_seconds": round(seconds, 1)})
    return rows, info


def supervised_reference(dosage: np.ndarray, population: np.ndarray, seed: int) -> dict:
    """Cross-validated logistic regression of ``population (N,)`` on ``dosage (N, V)``.

    Returns accuracy, balanced accuracy and the ARI / NMI of the out-of-fold predictions.
    """
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    predicted = cross_val_predict(model, dosage, population, cv=folds)
    scores = agreement(predicted, population)
    return {"accuracy": round(float(accuracy_score(population, predicted)), 4),
            "balanced_accuracy": round(float(balanced_accuracy_score(population, predicted)),
                                       4),
            "ari": round(scores["ari"], 4), "nmi": round(scores["nmi"], 4),
            "majority_class_accuracy": round(float(np.mean(
                population == max(set(population), key=list(population).count))), 4)}


def _pc_axes(explained: np.ndarray) -> tuple[str, str]:
    return f"PC1 ({100 * explained[0]:.1f}%)", f"PC2 ({100 * explained[1]:.1f}%)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regions", nargs="+", choices=["key2kb", "whole"],
                        default=["key2kb", "whole"])
    parser.add_argument("--methods", nargs="+", choices=["pca", "tsne", "umap"],
                        default=["pca", "tsne", "umap"])
    parser.add_argument("--resamples", type=int, default=10,
                        help="subsamples for cluster stability (0: skip)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/subgroups"))
    parser.add_argument("--cache", default=str(ROOT / "runs/data"),
                        help="folder of the cached 1000 Genomes stores")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true",
                        help="150 people, PCA and t-SNE, 2 resamples (for tests)")
    args = parser.parse_args(argv)
    n_subjects = 150 if args.tiny else None
    methods = [m for m in args.methods if m != "umap"] if args.tiny else args.methods
    resamples = min(args.resamples, 2) if args.tiny else args.resamples
    out = Path(args.out)
    rows, info = [], {}
    for regions in args.regions:
        store = cached_store(regions, n_subjects, Path(args.cache))
        found, info[regions] = score_regions(regions, store, methods, resamples, out, args.seed)
        rows += found
    report("Genotype clusters vs 1000 Genomes super-populations (ARI, NMI)", rows,
           out / "subgroups_1kgp.json",
           {"regions": info, "tiny": args.tiny, "seed": args.seed,
            "command": "python benchmarks/subgroups_1kgp.py " + " ".join(argv or sys.argv[1:])})


if __name__ == "__main__":
    main()
