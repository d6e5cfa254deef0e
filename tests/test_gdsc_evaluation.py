"""GDSC metrics, baselines, sanity checks and prediction for new cell lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gdsc_fixtures import synthetic_features, write_gdsc_files
from scipy.stats import pearsonr

from pgxdl.builders.gdsc import build
from pgxdl.data.store_writer import write_store
from pgxdl.gdsc import predict_cell_lines
from pgxdl.gdsc.baselines import (
    DrugCellAdditive,
    DrugMean,
    GlobalBoosting,
    PerDrugModels,
    SimilarDrugMean,
    ValidatedElasticNet,
    ValidatedForest,
)
from pgxdl.gdsc.metrics import paired_per_drug, per_drug_pearson, score_pairs
from pgxdl.gdsc.pairs import GDSCPairs
from pgxdl.gdsc.sanity import expected_drugs, feature_ranks, sanity_checks
from pgxdl.gdsc.table import GDSCFormatError
from pgxdl.gdsc.training import train_model

SMALL_MODEL = {
    "network": {"class_path": "pgxdl.models.CellDrugModel", "init_args": {
        "drug_encoder": {"class_path": "pgxdl.models.FingerprintEncoder",
                         "init_args": {"hidden": [32], "dropout": 0.0}},
        "cell_encoder": {"class_path": "pgxdl.models.CellMLPEncoder",
                         "init_args": {"hidden": [64], "dropout": 0.0}},
        "fusion": {"class_path": "pgxdl.models.ConcatFusion", "init_args": {"hidden": 64}}}},
    "optimizer": {"class_path": "torch.optim.Adam", "init_args": {"lr": 0.003}}}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = write_gdsc_files(tmp_path_factory.mktemp("gdsc"), n_cells=150)
    return write_store(tmp_path_factory.mktemp("store") / "gdsc.h5",
                       build({"data_dir": str(folder)}), salt="s", progress=False)


@pytest.fixture(scope="module")
def pairs(store):
    return GDSCPairs.read(store)


@pytest.fixture(scope="module")
def trained(store):
    return train_model(store, "cell_blind", SMALL_MODEL, max_epochs=25, patience=25,
                       batch_size=64)


def test_per_drug_pearson_matches_scipy_and_skips_small_drugs():
    rng = np.random.default_rng(0)
    drug = np.repeat([0, 1, 2], [30, 25, 10])
    target = rng.normal(size=65)
    pred = target + rng.normal(size=65)
    r = per_drug_pearson(target, pred, drug, min_cells=20)
    assert list(r.index) == [0, 1]
    assert r[1] == pytest.approx(pearsonr(target[drug == 1], pred[drug == 1])[0])
    scores = score_pairs(target, pred, drug, np.arange(65), np.repeat("t", 65), n_boot=50,
                         min_tissue_pairs=10)
    assert scores["per_drug_pearson"]["median"] == pytest.approx(np.median(r))
    g = scores["global"]["pearson"]
    assert g["value"] == pytest.approx(pearsonr(target, pred)[0])
    assert g["ci"][0] < g["value"] < g["ci"][1]
    assert scores["per_tissue"]["t"]["rmse"]["value"] == pytest.approx(
        np.sqrt(np.mean((target - pred) ** 2)))


def test_paired_per_drug_difference_over_common_drugs():
    model = {0: 0.5, 1: 0.2, 2: 0.9, 7: 0.4}
    reference = {0: 0.3, 1: 0.4, 2: 0.6, 5: 0.1}
    out = paired_per_drug(model, reference, n_boot=2000, seed=1)
    diff = np.array([0.2, -0.2, 0.3])  # drugs 0, 1, 2; 5 and 7 are not shared
    assert out["n_drugs"] == 3
    assert out["mean_diff"] == pytest.approx(diff.mean())
    assert out["median_diff"] == pytest.approx(0.2)
    assert out["share_better"] == pytest.approx(2 / 3)
    assert diff.min() - 1e-9 <= out["ci"][0] < diff.mean() < out["ci"][1] <= diff.max() + 1e-9
    assert paired_per_drug({1: 0.1}, {2: 0.1})["n_drugs"] == 0


def test_drug_mean_and_additive_baselines(pairs):
    rows = np.arange(len(pairs.ln_ic50))
    means = DrugMean().fit(pairs, rows).predict(pairs, rows)
    expected = pd.Series(pairs.ln_ic50).groupby(pairs.drug).transform("mean")
    np.testing.assert_allclose(means, expected)
    # an exactly additive table is recovered by the additive baseline (l2 -> 0)
    drug_effect, cell_effect = np.arange(8.0), np.linspace(-1, 1, len(pairs.tissue))
    additive = GDSCPairs(**{**pairs.__dict__,
                            "ln_ic50": drug_effect[pairs.drug] + cell_effect[pairs.cell]})
    fit = DrugCellAdditive(l2=1e-9, iterations=200).fit(additive, rows[::2])
    np.testing.assert_allclose(fit.predict(additive, rows), additive.ln_ic50, atol=1e-4)
    unseen = DrugCellAdditive().fit(pairs, rows[pairs.cell != 0]).predict(pairs, rows)
    assert np.isnan(unseen[pairs.cell == 0]).all() and np.isfinite(unseen[pairs.cell != 0]).all()


def test_per_drug_and_global_baselines_learn_the_planted_effects(pairs):
    parts = pairs.parts("cell_blind")
    train, val, test = (np.flatnonzero(parts == c) for c in (0, 1, 2))
    gefitinib = list(pairs.drug_ids).index(1010)
    for make in (ValidatedElasticNet, ValidatedForest):
        model = PerDrugModels("m", make).fit(pairs, train, val)
        rows = test[pairs.drug[test] == gefitinib]
        r = np.corrcoef(model.predict(pairs, rows), pairs.ln_ic50[rows])[0, 1]
        assert r > 0.6, make.__name__
    net = PerDrugModels("en", ValidatedElasticNet).fit(pairs, train, val)
    coef = net.models[gefitinib].coef_
    assert np.argmax(np.abs(coef)) == pairs.feature_names.index("EGFR_mut") and coef[0] < 0
    boost = GlobalBoosting(max_iter=50).fit(pairs, train)
    assert np.corrcoef(boost.predict(pairs, test), pairs.ln_ic50[test])[0, 1] > 0.5


def test_feature_ranks_and_expected_drug_names():
    ranks = feature_ranks(np.array([0.1, -2.0, 0.5, 3.0]), ["a", "b", "c", "d"], ("b",), -1)
    assert ranks["best_rank"] == 2 and ranks["features"]["b"]["direction_ok"]
    assert ranks["top5"][:2] == ["d", "b"]
    found = expected_drugs(["Gefitinib", "Afatinib (1032)", "Nutlin-3a (-)", "Aspirin"])
    assert found == {0: "Gefitinib", 1: "Afatinib", 2: "Nutlin-3a (-)"}


def test_sanity_checks_find_the_planted_mutations(trained, store, pairs):
    parts = pairs.parts("cell_blind")
    net = PerDrugModels("en", ValidatedElasticNet).fit(pairs, np.flatnonzero(parts == 0),
                                                       np.flatnonzero(parts == 1))
    results = sanity_checks(trained.module, str(store), net, ig_steps=8)
    assert set(results) == {"Gefitinib", "Erlotinib", "PLX-4720 (1036)", "PLX-4720 (1371)",
                            "Nutlin-3a (-)"}
    for drug, methods in results.items():
        assert set(methods) == {f"{m}{suffix}" for m in ("integrated_gradients",
                                                         "feature_ablation", "elastic_net")
                                for suffix in ("", "_per_carrier")}
        for method, r in methods.items():
            assert r["best_rank"] == 1, (drug, method, r["top5"])
            assert r["features"][r["best_feature"]]["direction_ok"], (drug, method)


def test_predict_cell_lines_matches_the_model_on_stored_cells(store, pairs, tmp_path):
    checkpoint = tmp_path / "model.ckpt"
    model = train_model(store, "cell_blind", SMALL_MODEL, max_epochs=1, batch_size=64,
                        checkpoint=checkpoint)
    new = synthetic_features(4, seed=7, first_id=5000)
    new.loc[3, "TISSUE_FACTOR"] = "never_seen"
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    table = predict_cell_lines(checkpoint, path)
    assert len(table) == 4 * 8 and list(table.columns) == [
        "COSMIC_ID", "drug_id", "drug_name", "predicted_ln_ic50"]
    assert table["COSMIC_ID"].tolist()[:8] == [5000] * 8
    assert sorted(set(table["drug_id"])) == [1, 5, 6, 7, 1010, 1036, 1047, 1371]
    assert np.isfinite(table["predicted_ln_ic50"]).all()
    # a stored test cell line (subjects are sorted by COSMIC id) gets the model's predictions
    cell = pairs.cell[model.test_rows[0]]
    stored = synthetic_features(150)
    stored.iloc[[cell]].to_csv(tmp_path / "one.csv", index=False)
    one = predict_cell_lines(checkpoint, tmp_path / "one.csv").set_index("drug_id")
    mine = pairs.cell[model.test_rows] == cell
    drug_ids = pairs.drug_ids[pairs.drug[model.test_rows[mine]]]
    np.testing.assert_allclose(one.loc[drug_ids, "predicted_ln_ic50"],
                               model.prediction[mine], rtol=1e-5, atol=1e-5)
    new.drop(columns=["EGFR_mut"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(GDSCFormatError, match="column\\(s\\) the model uses are missing"):
        predict_cell_lines(checkpoint, tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        predict_cell_lines(tmp_path / "none.ckpt", path)


def test_pgxdl_predict_cell_lines_writes_the_table(store, tmp_path):
    from pgxdl.cli import main

    checkpoint = tmp_path / "m.ckpt"
    train_model(store, "mixed", SMALL_MODEL, max_epochs=1, batch_size=256,
                checkpoint=checkpoint)
    synthetic_features(2, seed=3, first_id=77).to_csv(tmp_path / "cells.csv", index=False)
    assert main(["predict", "--ckpt", str(checkpoint), "--cell-lines",
                 str(tmp_path / "cells.csv"), "--out", str(tmp_path / "out.csv")]) == 0
    table = pd.read_csv(tmp_path / "out.csv")
    pd.testing.assert_frame_equal(table, predict_cell_lines(checkpoint, tmp_path / "cells.csv"),
                                  check_dtype=False)


def test_similar_drug_mean_borrows_from_the_same_compound(pairs):
    # PLX-4720 screened twice: with one screen unseen, it borrows the other's mean first
    first, second = (list(pairs.drug_ids).index(i) for i in (1036, 1371))
    rows = np.flatnonzero(pairs.drug != second)
    fit = SimilarDrugMean(k=1).fit(pairs, rows)
    assert fit.means[second] == pytest.approx(pairs.ln_ic50[pairs.drug == first].mean())


def test_carrier_ablation_equals_captum_feature_ablation():
    from captum.attr import FeatureAblation

    from pgxdl.gdsc.sanity import carrier_ablation
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    x = (torch.rand(10, 6) < 0.3).float()
    base = torch.zeros_like(x)
    expected = FeatureAblation(lambda v: net(v)[:, 0]).attribute(x, base)
    with torch.no_grad():
        mine = carrier_ablation(lambda v, rows: net(v)[:, 0], x, base, batch=4)
    torch.testing.assert_close(mine, expected)
