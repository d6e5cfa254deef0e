"""The IWPC attribution check runs end to end on a tiny synthetic IWPC store."""

from __future__ import annotations

import importlib.util
import json

import pytest
import yaml
from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

from pgxdl.builders.store_build import build_store
from pgxdl.paths import REPO_ROOT


def _benchmark():
    path = REPO_ROOT / "benchmarks" / "iwpc_attribution.py"
    spec = importlib.util.spec_from_file_location("iwpc_attribution", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_iwpc_attribution_ranks_every_carried_variant_by_both_methods(tmp_path):
    config = yaml.safe_load((REPO_ROOT / "configs/data/iwpc.yaml").read_text())
    rows = synthetic_rows(160, seed=5, n_sites=8)  # 8 sites: the grouped hold-out has a val part
    config.update(table=str(write_iwpc_csv(tmp_path / "iwpc.csv", rows)),
                  reference=str(write_fake_reference(tmp_path / "ref.fa")))
    store = build_store(config, tmp_path / "iwpc.h5")
    _benchmark().main(["--store", str(store), "--epochs", "1", "--out", str(tmp_path / "out")])
    result = json.loads((tmp_path / "out" / "iwpc_attribution.json").read_text())
    rows = result["rows"]
    assert {"rs9923231", "rs1799853", "rs1057910"} <= {row["variant"] for row in rows}
    for method in ("ig", "ism"):
        ranks = sorted(row[f"{method}_rank"] for row in rows if row[f"{method}_rank"])
        assert ranks == list(range(1, len(ranks) + 1))
        assert len(result["top3"][method]) == 3
    expected = {row["variant"] for row in rows if row["expected"]}
    assert expected == {"rs9923231", "rs1799853", "rs1057910"}
