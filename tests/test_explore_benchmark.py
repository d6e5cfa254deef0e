"""benchmarks/subgroups_1kgp.py completes with --tiny on the real 1000 Genomes data."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from pgxdl.data.store import CohortStore
from pgxdl.paths import REPO_ROOT


def _benchmark_module():
    spec = importlib.util.spec_from_file_location(
        "subgroups_1kgp", REPO_ROOT / "benchmarks" / "subgroups_1kgp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.realdata
def test_tiny_benchmark_scores_every_method(shared_data, tmp_path, capsys):
    _benchmark_module().main(["--tiny", "--regions", "key2kb", "--cache", str(tmp_path),
                              "--out", str(tmp_path / "out")])
    written = json.loads((tmp_path / "out" / "subgroups_1kgp.json").read_text())
    rows = written["rows"]
    assert {(r["method"], r["clusterer"]) for r in rows} == {
        (m, c) for m in ("pca", "tsne") for c in ("kmeans", "gmm", "hierarchical", "dbscan")}
    assert all(r["n_clusters"] == 5 for r in rows if r["k_rule"] == "fixed")
    assert all(-1 <= r["ari"] <= 1 and 0 <= r["nmi"] <= 1 for r in rows)
    with CohortStore(tmp_path / "1kgp_key2kb_150.h5") as cohort:
        population = cohort.groups("population")
    info = written["regions"]["key2kb"]
    assert info["n_people"] == 150 and info["n_labelled"] == int(np.sum(population != "unknown"))
    figure = tmp_path / "out" / "pca_by_super_population_key2kb.png"
    assert figure.read_bytes()[:4] == b"\x89PNG"
    assert "Genotype clusters vs 1000 Genomes" in capsys.readouterr().out
