"""``python -m pgxdl.interpret`` end to end on a tiny simulated store and checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from checkpoint_fixtures import train_tiny_checkpoint

from pgxdl.cli import main as pgxdl_main
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.evaluation.predictions import predict_store
from pgxdl.genome.encoding import decode
from pgxdl.interpret.explain import explain_part
from pgxdl.training.restore import load_model

SIMULATED = {"builder": "simulated", "n_subjects": 160, "n_windows": 2, "window_length": 48,
             "sites_per_window": 6}


def main(argv: list[str]) -> int:
    """``pgxdl attribute *argv``."""
    return pgxdl_main(["attribute", *argv])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``(store, checkpoint)``: a simulated store and a model trained on it for a few steps."""
    tiny = train_tiny_checkpoint(tmp_path_factory.mktemp("interpret_cli"), SIMULATED)
    return tiny.store, tiny.checkpoint


def reference_site(store) -> str:
    """A valid ``chrom:pos:ref:alt`` substitution inside the first window."""
    with CohortStore(store) as cohort:
        window = cohort.windows[0]
        base = decode(cohort.h5["windows/reference"][0, 10:11])
    alt = {"A": "C", "C": "G", "G": "T", "T": "A"}[base]
    return f"{window['chrom']}:{window['start'] + 10}:{base}:{alt}"


def test_cli_writes_tables_plots_and_no_identifiers(trained, tmp_path, capsys):
    store, checkpoint = trained
    out = tmp_path / "attr"
    site = reference_site(store)
    assert main(["--ckpt", str(checkpoint), "--store", str(store), "--task", "dose",
                 "--method", "ig", "--n-steps", "16", "--ism", "--introduce", site,
                 "--groups", "population", "--n-patients", "1", "--out", str(out)]) == 0
    assert "convergence delta" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"variants.csv", "features.csv", "genes.csv", "predictions.csv",
            "variant_summary.csv", "variant_ism_summary.csv", "feature_summary.csv",
            "variant_summary_by_population.csv", "introduced.csv", "summary.json"} <= names
    plots = sorted(p.name for p in (out / "plots").iterdir())
    assert "variant_ranking.png" in plots and "feature_ranking.png" in plots
    assert sum(p.startswith("patient_obs") for p in plots) == 1
    assert sum(p.startswith("track_obs") for p in plots) == 2  # one per window
    summary = json.loads((out / "summary.json").read_text())
    assert summary["method"] == "ig" and summary["units"] == "mg/week"
    assert summary["convergence_delta"]["max_abs"] < 0.5  # mg/week, with 16 steps
    variants = pd.read_csv(out / "variants.csv")
    assert {"attribution", "ism", "variant", "gene", "observation"} <= set(variants)
    introduced = pd.read_csv(out / "introduced.csv")
    assert (introduced["variant"] == site).all()
    # predictions are in the task's units: equal to evaluate.py's predictions
    evaluated = predict_store(load_model(checkpoint), store, part="test")
    predictions = pd.read_csv(out / "predictions.csv")
    np.testing.assert_allclose(predictions["prediction"],
                               evaluated.set_index("index").loc[
                                   predictions["observation"], "dose.pred"], rtol=1e-4)
    with CohortStore(store) as cohort:
        hashes = [h.decode() for h in cohort.h5["subjects/id_hash"][:]]
    written = "".join(p.read_text() for p in out.iterdir() if p.suffix in (".csv", ".json"))
    assert not any(h in written for h in hashes) and "SIM000" not in written


def test_scores_are_in_task_units(trained):
    store, checkpoint = trained
    module = load_model(checkpoint).module
    module.scaler.mean[0], module.scaler.std[0] = 35.0, 12.0  # as if trained on scaled doses
    data = CohortDataModule(str(store), batch_size=32)
    in_units = explain_part(module, data, "dose", "ig", max_observations=8, n_steps=16,
                            ism=True)
    raw = explain_part(module.network, data, "dose", "ig", max_observations=8, n_steps=16,
                       ism=True)
    for column in ("attribution", "ism"):
        np.testing.assert_allclose(in_units.variants[column], 12.0 * raw.variants[column],
                                   rtol=1e-4, atol=2e-5)  # float32 near 35
    np.testing.assert_allclose(in_units.predictions["prediction"],
                               35.0 + 12.0 * raw.predictions["prediction"], rtol=1e-5)


def test_cli_rejects_a_wrong_reference_allele_before_running(trained, tmp_path, capsys):
    store, checkpoint = trained
    chrom, pos, ref, alt = reference_site(store).split(":")
    wrong = f"{chrom}:{pos}:{alt}:{ref}"
    assert main(["--ckpt", str(checkpoint), "--store", str(store), "--task", "dose",
                 "--introduce", wrong, "--out", str(tmp_path / "x")]) == 2
    assert f"REF {alt} does not match the reference {ref}" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
