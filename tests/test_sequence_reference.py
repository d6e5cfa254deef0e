"""Sequence encoders that subtract the reference: zero away from variants, set by training,
kept in checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from fakes import make_spec

from pgxdl.builders.store_build import build_store
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.genome.encoding import one_hot
from pgxdl.models import CNNSequenceEncoder, RNNSequenceEncoder
from pgxdl.models.receptive_field import receptive_field
from pgxdl.training import build_module
from pgxdl.training.restore import load_model

SIMULATED = {"builder": "simulated", "n_subjects": 120, "n_windows": 2, "window_length": 64,
             "sites_per_window": 6}


def _reference(spec, seed=0) -> torch.Tensor:
    codes = np.random.default_rng(seed).integers(0, 4, (spec.n_windows, spec.window_length),
                                                 dtype=np.uint8)
    return one_hot(codes)  # (W, 4, L)


def test_cnn_tokens_are_zero_outside_a_variants_receptive_field():
    """One variant in window 0 changes only the tokens whose receptive field covers it; the
    reference itself encodes to the window embedding alone."""
    torch.manual_seed(0)
    spec = make_spec(window_length=256)
    encoder = CNNSequenceEncoder(spec, widths=[8], depth=1, stem_kernel=5, stem_pool=4,
                                 subtract_reference=True).eval()
    reference = _reference(spec)
    encoder.set_reference(reference)
    person = reference.clone()
    person[0, :, 130] = person[0, :, 130].roll(1)  # another base at position 130
    with torch.no_grad():
        at_reference = encoder(reference[None])
        tokens = encoder(person[None]).tokens[0] - at_reference.tokens[0]  # (2 * T, D)
    embedding = encoder.window_embedding
    np.testing.assert_allclose(at_reference.pooled[0], embedding.reshape(-1).detach(),
                               atol=1e-6)
    field, stride = receptive_field(encoder.trunks[0])
    changed = np.flatnonzero(tokens.abs().amax(dim=1).numpy() > 0)
    n_tokens = encoder.trunks[0].n_tokens
    assert len(changed) and changed.max() < n_tokens  # window 0 only
    for t in changed:  # token t sees positions [t * stride - field, (t + 1) * stride + field]
        assert t * stride - field <= 130 <= (t + 1) * stride + field
    assert len(changed) <= field // stride + 2


@pytest.mark.parametrize("shared", [True, False])
def test_subtraction_equals_trunk_difference(shared):
    """The encoder's tokens are the trunk's tokens of the person minus those of the
    reference, per window, with either trunk sharing."""
    torch.manual_seed(1)
    spec = make_spec(window_length=64)
    encoder = RNNSequenceEncoder(spec, conv_channels=4, hidden=4, conv_pool=4,
                                 shared_windows=shared, subtract_reference=True).eval()
    reference = _reference(spec, seed=2)
    encoder.set_reference(reference)
    people = one_hot(np.random.default_rng(3).integers(0, 4, (3, 2, 64), dtype=np.uint8))
    with torch.no_grad():
        tokens = encoder(people).tokens
        for w in range(2):
            trunk = encoder.trunks[0 if shared else w]
            expected = trunk(people[:, w]) - trunk(reference[w:w + 1])
            if shared:
                expected = expected + encoder.window_embedding[w]
            got = tokens[:, w * trunk.n_tokens:(w + 1) * trunk.n_tokens]
            np.testing.assert_allclose(got, expected, atol=1e-5)


def test_unset_or_misshapen_reference_is_an_error():
    spec = make_spec(window_length=64)
    encoder = CNNSequenceEncoder(spec, widths=[8], depth=1, subtract_reference=True)
    with pytest.raises(RuntimeError, match="subtracts the reference but none was set"):
        encoder(_reference(spec)[None])
    with pytest.raises(ValueError, match=r"reference has shape \(1, 4, 64\), the encoder "
                                         r"expects \(2, 4, 64\)"):
        encoder.set_reference(_reference(spec)[:1])


def test_training_sets_the_stores_reference_and_the_checkpoint_keeps_it(tmp_path):
    store = build_store(SIMULATED, tmp_path / "store.h5")
    data = CohortDataModule(str(store), batch_size=32)
    config = {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
        "sequence_encoder": {"class_path": "pgxdl.models.CNNSequenceEncoder", "init_args": {
            "widths": [8], "depth": 1, "stem_kernel": 5, "windows": ["window1"],
            "subtract_reference": True}},
        "tabular_encoder": None}}}
    pl.seed_everything(0)
    module = build_module(data.spec, config)
    trainer = pl.Trainer(max_epochs=1, limit_train_batches=2, limit_val_batches=0,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, accelerator="cpu")
    trainer.fit(module, datamodule=data)
    expected = data.reference_sequence()[[1]]  # the selected window only
    np.testing.assert_array_equal(module.network.sequence_encoder.reference, expected)
    trainer.save_checkpoint(tmp_path / "m.ckpt")
    loaded = load_model(tmp_path / "m.ckpt").module.network.sequence_encoder
    assert bool(loaded.reference_set)
    np.testing.assert_array_equal(loaded.reference, expected)
