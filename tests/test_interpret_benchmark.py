"""benchmarks/attribution_recovery.py completes on tiny settings and writes its results."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from pgxdl.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))

from benchmarks.attribution_recovery import main, rank_scores  # noqa: E402


def test_rank_scores_against_sklearn_free_cases():
    perfect = pd.DataFrame({"variant": ["a", "b", "c", "d"], "mean_abs_all": [4, 3, 2, 1]})
    assert rank_scores(perfect, {"a", "b"}) == {"auroc": 1.0, "auprc": 1.0}
    reversed_ = perfect.assign(mean_abs_all=[1, 2, 3, 4])
    assert rank_scores(reversed_, {"a", "b"})["auroc"] == 0.0


@pytest.mark.slow
def test_tiny_benchmark_completes(tmp_path):
    out = tmp_path / "recovery"
    result = main(["--tiny", "--backgrounds", "random", "--seeds", "0", "--out", str(out)])
    methods = {row["method"] for row in result["rows"]}
    assert methods == {"ig", "deeplift", "deepliftshap", "gradientshap", "inputxgradient",
                       "saliency", "ablation", "ism"}
    assert all(0.0 <= row["auroc"] <= 1.0 for row in result["rows"])
    written = json.loads((out / "results_random.json").read_text())
    assert written["runs"][0]["n_causal_carried"] == 7
    assert -1.0 <= written["spearman_ig_ism_sites"]["random"] <= 1.0
    assert (out / "auroc_random.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_window_options_reach_the_cohort_and_methods_can_be_chosen(tmp_path):
    out = tmp_path / "long"
    result = main(["--tiny", "--backgrounds", "random", "--seeds", "0", "--window-length", "96",
                   "--windows", "2", "--sites-per-window", "6", "--methods", "saliency",
                   "--internal-batch-size", "2", "--subtract-reference", "--pooling", "mean",
                   "--ig-steps", "3", "--out", str(out)])
    assert {row["method"] for row in result["rows"]} == {"ig", "saliency", "ism"}
    settings = json.loads((out / "results_random.json").read_text())["settings"]
    assert settings["random"] == {"n_subjects": 160, "n_windows": 2, "window_length": 96,
                                  "sites_per_window": 6}
    assert settings["internal_batch_size"] == 2 and settings["accelerator"] == "cpu"
    assert settings["n_steps"] == 3
    encoder = settings["network"]["network"]["init_args"]["sequence_encoder"]["init_args"]
    assert encoder["subtract_reference"] is True and encoder["pooling"] == "mean"
    run = result["runs"][0]
    assert run["n_sites"] <= 12
    sites = pd.DataFrame(run["sites"])  # every site's score, its role and true effect
    assert (sites["role"] != "neutral").sum() == 7 and set(sites.columns) >= {"ig", "ism"}
    for method in ("ig", "saliency", "ism"):
        carried = sites.dropna(subset=[method])
        assert len(carried) == run["n_sites"]
        assert roc_auc_score(carried["role"] != "neutral", carried[method]) == pytest.approx(
            run["methods"][method]["auroc"])
