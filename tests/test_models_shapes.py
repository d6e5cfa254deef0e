"""Shapes and contracts of the encoders, fusions, heads and whole networks."""

from __future__ import annotations

from functools import partial

import pytest
import torch
from fakes import make_spec, random_batch
from torch import nn

from pgxdl.data.batch import model_inputs
from pgxdl.models import (
    CNNSequenceEncoder,
    ConcatFusion,
    CrossAttentionFusion,
    FiLMFusion,
    GatedFusion,
    LateFusionModel,
    ModalityDims,
    MultimodalModel,
    RNNSequenceEncoder,
    TabularEncoder,
    TaskOutput,
)
from pgxdl.models.blocks import make_token_pool

SPEC = make_spec(n_windows=3, window_length=64)
N = 5
CNN = partial(CNNSequenceEncoder, widths=[8, 16], depth=2, stem_pool=2, stage_pool=2)
RNN = partial(RNNSequenceEncoder, conv_channels=8, conv_pool=4, hidden=6)


@pytest.fixture(scope="module")
def batch():
    torch.manual_seed(0)
    return random_batch(SPEC, N, seed=1)


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("factory,token_dim,tokens_per_window",
                         [(CNN, 16, 64 // 4), (RNN, 12, 64 // 4)])
def test_sequence_encoder_shapes(batch, factory, token_dim, tokens_per_window, shared):
    encoder = factory(SPEC, shared_windows=shared)
    features = encoder(batch["sequence"])
    assert encoder.out_dim == SPEC.n_windows * token_dim
    assert features.pooled.shape == (N, encoder.out_dim)
    assert features.tokens.shape == (N, SPEC.n_windows * tokens_per_window, token_dim)
    assert encoder.n_tokens == SPEC.n_windows * tokens_per_window
    assert len(encoder.trunks) == (1 if shared else SPEC.n_windows)
    assert (encoder.window_embedding is not None) == shared


def test_shared_encoder_pooled_windows_are_the_trunk_applied_per_window(batch):
    encoder = CNN(SPEC, pooling="mean").eval()
    pooled = encoder(batch["sequence"]).pooled.reshape(N, SPEC.n_windows, -1)
    for w in range(SPEC.n_windows):
        tokens = encoder.trunks[0](batch["sequence"][:, w]) + encoder.window_embedding[w]
        torch.testing.assert_close(pooled[:, w], tokens.mean(dim=1))


@pytest.mark.parametrize("pooling", ["max", "mean", "attention", "flatten"])
def test_every_pooling_gives_one_vector_per_window(batch, pooling):
    encoder = CNN(SPEC, pooling=pooling).eval()
    assert encoder(batch["sequence"]).pooled.shape == (N, SPEC.n_windows * 16)
    assert len(encoder.pools) == (SPEC.n_windows if pooling == "flatten" else 1)


def test_flatten_pooling_knows_token_positions_and_max_does_not():
    tokens = torch.randn(4, 16, 8)
    shuffled = tokens[:, torch.randperm(16)]
    flatten, maximum = make_token_pool("flatten", 8, 16), make_token_pool("max", 8, 16)
    torch.testing.assert_close(maximum(shuffled), tokens.amax(dim=1))
    torch.testing.assert_close(maximum(shuffled), maximum(tokens))
    assert not torch.allclose(flatten(shuffled), flatten(tokens))
    torch.testing.assert_close(flatten(tokens), flatten.dense(tokens.reshape(4, -1)))
    with pytest.raises(ValueError, match="pooling must be one of"):
        make_token_pool("sum", 8, 16)


def test_window_selection_uses_only_the_named_windows(batch):
    encoder = CNN(SPEC, windows=["GENE2", "GENE0"]).eval()
    assert encoder.out_dim == 2 * 16
    changed = batch["sequence"].clone()
    changed[:, 1] = changed[:, 1].flip(-1)  # GENE1 is not used
    torch.testing.assert_close(encoder(changed).pooled, encoder(batch["sequence"]).pooled)
    with pytest.raises(ValueError, match=r"\['GENE9'\] are not in the data"):
        CNN(SPEC, windows=["GENE9"])


def test_sequence_shape_mismatch_names_the_windows(batch):
    encoder = CNN(SPEC)
    with pytest.raises(ValueError, match=r"expects \(N, 3 windows, 4 channels, 64 positions\)"):
        encoder(batch["sequence"][:, :2])


def test_window_too_short_for_the_pooling_is_a_clear_error():
    with pytest.raises(ValueError, match="too short"):
        CNNSequenceEncoder(make_spec(window_length=8), stem_pool=4, stage_pool=4)


def test_tabular_encoder_shapes_and_drug_embedding(batch):
    encoder = TabularEncoder(SPEC, hidden=[16, 7])
    out = encoder(batch["numeric"], batch["numeric_missing"], batch["categorical"],
                  batch["drug"])
    assert out.shape == (N, 7) and encoder.out_dim == 7
    assert encoder.drug_embedding is not None
    assert TabularEncoder(make_spec(n_drugs=1)).drug_embedding is None
    assert [e.num_embeddings for e in encoder.embeddings] == list(
        SPEC.categorical_cardinalities)


def test_tabular_encoder_without_features_is_a_clear_error():
    with pytest.raises(ValueError, match="no tabular features"):
        TabularEncoder(make_spec(n_numeric=0, cardinalities=(), n_drugs=1))


@pytest.mark.parametrize("fusion,out_dim", [
    (partial(ConcatFusion), 48 + 10), (partial(ConcatFusion, hidden=9), 9),
    (partial(GatedFusion, dim=11), 11), (partial(CrossAttentionFusion, dim=12, heads=3), 24),
    (partial(FiLMFusion, dim=13), 13 + 10)])
def test_fusion_shapes(batch, fusion, out_dim):
    model = MultimodalModel(SPEC, CNN, partial(TabularEncoder, hidden=[10]), fusion)
    embedding = model.embed(*model_inputs(batch))
    assert model.fusion.out_dim == out_dim
    assert embedding.shape == (N, out_dim)


@pytest.mark.parametrize("fusion", [GatedFusion, CrossAttentionFusion, FiLMFusion])
def test_fusions_needing_both_modalities_say_so(fusion):
    with pytest.raises(ValueError, match="needs both a sequence and a tabular encoder"):
        fusion(ModalityDims(sequence=8, sequence_tokens=8))


@pytest.mark.parametrize("network", [MultimodalModel, LateFusionModel])
@pytest.mark.parametrize("heteroscedastic", [False, True])
def test_network_outputs_one_entry_per_task(batch, network, heteroscedastic):
    model = network(SPEC, RNN, TabularEncoder, heteroscedastic=heteroscedastic)
    out = model(*model_inputs(batch))
    assert {k: tuple(v.shape) for k, v in out.items()} == {
        "dose": (N, 2 if heteroscedastic else 1), "bleeding": (N, 1), "response": (N, 3)}


def test_single_modality_models_ignore_the_other_inputs(batch):
    inputs = list(model_inputs(batch))
    sequence_only = MultimodalModel(SPEC, CNN, None).eval()
    tabular_only = MultimodalModel(SPEC, None, TabularEncoder).eval()
    noisy = [x.clone() for x in inputs]
    noisy[1] = torch.randn_like(noisy[1])  # numeric
    torch.testing.assert_close(sequence_only(*noisy), sequence_only(*inputs))
    noisy = [x.clone() for x in inputs]
    noisy[0] = noisy[0].flip(-1)  # sequence
    torch.testing.assert_close(tabular_only(*noisy), tabular_only(*inputs))
    with pytest.raises(ValueError, match="needs a sequence encoder, a tabular encoder or both"):
        MultimodalModel(SPEC, None, None)


def test_late_fusion_is_the_sum_of_the_modality_heads(batch):
    model = LateFusionModel(SPEC, CNN, TabularEncoder).eval()
    inputs = model_inputs(batch)
    seq, tab = model.encode(*inputs)
    expected = {k: model.modality_heads["sequence"](seq.pooled)[k]
                + model.modality_heads["tabular"](tab)[k] for k in ("dose", "response")}
    out = model(*inputs)
    for key, value in expected.items():
        torch.testing.assert_close(out[key], value)


def test_task_output_returns_one_scalar_per_sample(batch):
    model = MultimodalModel(SPEC, CNN, TabularEncoder, heteroscedastic=True).eval()
    inputs = model_inputs(batch)
    out = model(*inputs)
    torch.testing.assert_close(TaskOutput(model, "dose")(*inputs), out["dose"][:, 0])
    torch.testing.assert_close(TaskOutput(model, "bleeding")(*inputs), out["bleeding"][:, 0])
    torch.testing.assert_close(TaskOutput(model, "response", 2)(*inputs), out["response"][:, 2])
    torch.testing.assert_close(TaskOutput(model, "response")(*inputs),
                               out["response"].max(dim=1).values)
    with pytest.raises(ValueError, match="unknown task 'ic50'"):
        TaskOutput(model, "ic50")
    with pytest.raises(ValueError, match="target_class 3 does not fit"):
        TaskOutput(model, "response", 3)


@pytest.mark.parametrize("encoder", [CNN, RNN])
def test_every_activation_module_is_used_once(encoder):
    model = MultimodalModel(SPEC, encoder, TabularEncoder, GatedFusion, head_hidden=4)
    counts: dict[int, int] = {}
    for _, module in model.named_modules(remove_duplicate=False):
        if isinstance(module, (nn.ReLU, nn.Tanh, nn.Sigmoid)):
            counts[id(module)] = counts.get(id(module), 0) + 1
    assert counts and max(counts.values()) == 1
