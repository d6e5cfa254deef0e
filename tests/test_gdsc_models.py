"""GDSC networks: drug encoders, cell encoders, per-drug heads, every config trains."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gdsc_fixtures import write_gdsc_store

from pgxdl.data.store import CohortStore
from pgxdl.models import (
    CellCNNEncoder,
    CellMLPEncoder,
    FingerprintEncoder,
    SmilesCNNEncoder,
    SmilesRNNEncoder,
)
from pgxdl.models.cell_drug import PerDrugHeads
from pgxdl.models.cell_encoders import CellFeatures
from pgxdl.models.smiles import encode_smiles, tokenize, vocabulary
from pgxdl.paths import REPO_ROOT
from pgxdl.training.lightning_cli import PgxdlCLI

GDSC_MODELS = sorted((REPO_ROOT / "configs" / "model").glob("gdsc_*.yaml"))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_gdsc_store(tmp_path_factory.mktemp("gdsc"))


@pytest.fixture(scope="module")
def spec(store):
    with CohortStore(store) as cohort:
        return cohort.spec("mixed")


def test_smiles_tokens_rebuild_the_smiles_and_keep_multi_letter_atoms():
    smiles = "C[C@H](Cl)c1ccc(Br)cc1%10[nH+]"
    tokens = tokenize(smiles)
    assert "".join(tokens) == smiles
    assert {"[C@H]", "Cl", "Br", "%10", "[nH+]"} <= set(tokens)
    with pytest.raises(ValueError, match="outside the SMILES alphabet"):
        tokenize("C&C")
    codes = encode_smiles(["CCO", "CO"], vocabulary(["CCO", "CO"]), 4)
    assert codes.tolist() == [[1, 1, 2, 0], [1, 2, 0, 0]]


@pytest.mark.parametrize("factory", [FingerprintEncoder, SmilesCNNEncoder, SmilesRNNEncoder])
def test_drug_encoders_encode_each_drug_the_same_in_any_batch(spec, factory):
    torch.manual_seed(0)
    encoder = factory(spec).eval()
    drugs = torch.tensor([3, 0, 3, 5, 0])
    features = encoder(drugs)
    assert features.pooled.shape == (5, encoder.out_dim)
    assert features.tokens.shape[0] == 5 and features.tokens.shape[2] == encoder.token_dim
    alone = encoder(torch.tensor([3]))
    torch.testing.assert_close(features.pooled[0], alone.pooled[0])
    torch.testing.assert_close(features.pooled[2], alone.pooled[0])
    assert not torch.allclose(features.pooled[0], features.pooled[1])


def test_fingerprint_encoder_reads_the_stored_fingerprints(store, spec):
    with CohortStore(store) as cohort:
        stored = cohort.drug_table()["features"]
    np.testing.assert_array_equal(FingerprintEncoder(spec).fingerprints.numpy(), stored)


def test_drug_encoder_without_drug_table_says_what_is_missing(spec):
    import dataclasses
    bare = dataclasses.replace(spec, extra={k: v for k, v in spec.extra.items()
                                            if k != "drug_inputs"})
    with pytest.raises(ValueError, match="needs drug smiles.*builder: gdsc"):
        SmilesCNNEncoder(bare)


def test_cell_features_undo_the_standardisation(store, spec):
    with CohortStore(store) as cohort:
        raw = cohort.h5["tabular/numeric"][:]
    norm = spec.extra["normalisation"]
    scaled = torch.from_numpy(((raw - norm["mean"]) / np.asarray(norm["std"])).astype("f4"))
    values, embedded = CellFeatures(spec)(scaled, torch.ones((len(raw), 1), dtype=torch.long))
    torch.testing.assert_close(values, torch.from_numpy(raw.astype("f4")), atol=1e-5, rtol=0)
    assert embedded.shape[0] == len(raw)


@pytest.mark.parametrize("factory", [CellMLPEncoder, CellCNNEncoder])
def test_cell_encoders_shapes_and_width_checks(spec, factory):
    encoder = factory(spec)
    n = 6
    out = encoder(torch.zeros(n, spec.n_numeric), torch.zeros(n, spec.n_numeric),
                  torch.ones(n, 1, dtype=torch.long), torch.zeros(n, dtype=torch.long))
    assert out.shape == (n, encoder.out_dim)
    with pytest.raises(ValueError, match="the model expects"):
        encoder(torch.zeros(n, 3), torch.zeros(n, 3), torch.ones(n, 1, dtype=torch.long),
                torch.zeros(n, dtype=torch.long))


def test_per_drug_heads_start_as_the_shared_head_and_differ_per_drug(spec):
    heads = PerDrugHeads(spec.tasks, 4, n_drugs=3)
    h = torch.randn(5, 4)
    drugs = torch.tensor([0, 1, 2, 1, 0])
    torch.testing.assert_close(heads(h, drugs)["ln_ic50"], heads.shared(h))
    with torch.no_grad():
        heads.bias[1] = 2.0
    shifted = heads(h, drugs)["ln_ic50"] - heads.shared(h)
    assert shifted[:, 0].tolist() == [0.0, 2.0, 0.0, 2.0, 0.0]


@pytest.mark.parametrize("model", GDSC_MODELS, ids=lambda p: p.stem)
def test_gdsc_model_config_runs_fast_dev_run(model, store, tmp_path):
    run = PgxdlCLI(args=[
        "fit", "--trainer", str(REPO_ROOT / "configs/trainer/cpu.yaml"), "--model", str(model),
        "--data.class_path=pgxdl.data.datamodule.CohortDataModule",
        f"--data.init_args.store={store}", "--data.init_args.split=mixed",
        "--data.init_args.with_sequence=false", "--data.init_args.batch_size=32",
        f"--run_dir={tmp_path}", "--trainer.fast_dev_run=1"])
    assert run.trainer.global_step == 1
    assert {"train/loss", "val/loss", "val/ln_ic50/mae"} <= set(run.trainer.callback_metrics)


def test_distinct_cells_encoded_once_give_the_row_by_row_output(spec):
    from pgxdl.models import CellDrugModel
    torch.manual_seed(0)
    model = CellDrugModel(spec, FingerprintEncoder, CellMLPEncoder).eval()
    numeric = torch.randn(3, spec.n_numeric)[[0, 1, 0, 2, 1]]
    missing = torch.zeros_like(numeric)
    categorical = torch.tensor([[1], [2], [1], [1], [2]])
    drug = torch.tensor([0, 1, 2, 3, 4])
    once = model.encode_cells(numeric, missing, categorical, drug)
    rowwise = model.tabular_encoder(numeric, missing, categorical, drug)
    torch.testing.assert_close(once, rowwise)
    grad = numeric.clone().requires_grad_(True)
    torch.testing.assert_close(model.encode_cells(grad, missing, categorical, drug), rowwise)
