"""``python -m pgxdl.explore``: files written, planted structure found, no identifiers."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from explore_fixtures import POPULATIONS, write_planted_store

from pgxdl.cli import main as pgxdl_main
from pgxdl.data.store import CohortStore, StoreError
from pgxdl.explore.genotypes import dosage_matrix

CLUSTERERS = ["kmeans", "gmm", "hierarchical", "dbscan"]


def main(argv: list[str]) -> int:
    """``pgxdl explore *argv``."""
    return pgxdl_main(["explore", *argv])


@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    store = write_planted_store(folder / "planted.h5", n=150)
    out = folder / "out"
    main(["--store", str(store), "--methods", "pca", "--clusterers", *CLUSTERERS,
          "--label", "population", "--resamples", "2", "--band-task", "dose",
          "--dbscan-min-samples", "7", "--out", str(out)])
    return store, out


def test_cli_writes_every_table_and_plot(explored):
    _, out = explored
    folder = out / "genotype"
    for name in ("summary.json", "methods.csv", "assignments.csv", "cluster_sizes.csv",
                 "characteristic_variants.csv", "target_tests.csv", "target_summary.csv"):
        assert (folder / name).stat().st_size > 0, name
    plots = {p.name for p in (folder / "plots").glob("*.png")}
    assert {"pca_by_population.png", "dendrogram_pca.png"} <= plots
    assert {f"pca_{c}.png" for c in CLUSTERERS} <= plots
    assert {f"targets_pca_{c}.png" for c in CLUSTERERS} <= plots
    for path in (folder / "plots").glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.rglob(".*.tmp"))
    assert pd.read_csv(out / "comparison.csv").shape[0] == len(CLUSTERERS)


def test_cli_tables_find_the_planted_structure(explored):
    store, out = explored
    folder = out / "genotype"
    methods = pd.read_csv(folder / "methods.csv").set_index("clusterer")
    assert methods.loc["kmeans", "n_clusters"] == len(POPULATIONS)
    assert methods.loc["kmeans", "ari"] > 0.95 and methods.loc["kmeans", "stability_ari"] > 0.9
    assert methods.loc["kmeans", "band_ari"] > 0.5  # dose was planted per population
    tests = pd.read_csv(folder / "target_tests.csv")
    dose = tests[(tests["clusterer"] == "kmeans") & (tests["task"] == "dose")]
    assert dose["p_value"].iloc[0] < 1e-10
    assignments = pd.read_csv(folder / "assignments.csv")
    with CohortStore(store) as cohort:
        assert len(assignments) == cohort.n_subjects
        planted = dosage_matrix(cohort).names[0]  # variant 0 was planted in population A
        population = cohort.groups("population")
    cluster_of_a = assignments.loc[population == "A", "pca_kmeans"].mode()[0]
    variants = pd.read_csv(folder / "characteristic_variants.csv")
    mine = variants[(variants["clusterer"] == "kmeans") & (variants["cluster"] == cluster_of_a)]
    assert planted in mine["variant"].tolist()
    summary = json.loads((folder / "summary.json").read_text())
    dbscan = next(m for m in summary["methods"] if m["clusterer"] == "dbscan")
    assert dbscan["min_samples"] == 7 and dbscan["eps"] > 0
    explained = summary["explained_variance_ratio"]["pca"]
    assert len(explained) == 10 and explained == sorted(explained, reverse=True)


def test_outputs_hold_no_subject_identifier(explored):
    _, out = explored
    for path in out.rglob("*"):
        if path.is_file():
            assert b"PERSON-" not in path.read_bytes(), path


def test_unknown_label_is_named(explored, tmp_path, capsys):
    store, _ = explored
    args = ["--store", str(store), "--methods", "pca", "--clusterers", "kmeans", "--label",
            "ancestry", "--out", str(tmp_path)]
    assert main(args) == 2
    assert "no group key 'ancestry'" in capsys.readouterr().err
    with pytest.raises(StoreError, match="no group key 'ancestry'"):
        pgxdl_main(["--debug", "explore", *args])
