"""Dataset and DataModule: lazy per-worker reads equal the store, late one-hot, parts."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from store_fixtures import tiny_cohort

from pgxdl.data.batch import codes_to_sequence, finalize_batch
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store_writer import write_store
from pgxdl.genome.encoding import ONE_HOT_TABLE


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("s") / "c.h5", tiny_cohort(), progress=False)


def test_parts_are_disjoint_and_follow_subject_split(store):
    dm = CohortDataModule(str(store), batch_size=8)
    parts = tiny_cohort().splits["default"]
    seen = []
    for code, part in enumerate(("train", "val", "test")):
        rows = dm.rows[part]
        assert (parts[rows] == code).all()
        seen.extend(rows.tolist())
    assert sorted(seen) == list(range(40))


@pytest.mark.parametrize("workers", [0, 2])
def test_loader_batches_match_store(store, workers):
    cohort = tiny_cohort()
    dm = CohortDataModule(str(store), batch_size=7, num_workers=workers)
    batches = list(dm.dataloader("all"))
    codes = torch.cat([b["codes"] for b in batches]).numpy()
    np.testing.assert_array_equal(codes, cohort.sequence.codes)
    target = torch.cat([b["target"] for b in batches]).numpy()
    mask = torch.cat([b["target_mask"] for b in batches]).numpy()
    values = cohort.observations.values
    np.testing.assert_array_equal(mask, ~np.isnan(values))
    np.testing.assert_allclose(target[mask], values[mask])
    assert not mask[5, 1] and target[5, 1] == 0


def test_numeric_normalised_with_train_statistics(store):
    dm = CohortDataModule(str(store), batch_size=40)
    batch = next(iter(dm.dataloader("all")))
    cohort = tiny_cohort()
    raw = cohort.tabular.numeric
    train = cohort.splits["default"] == 0
    expected = (raw - np.nanmean(raw[train], 0)) / np.nanstd(raw[train], 0, ddof=1)
    ok = ~np.isnan(raw)
    np.testing.assert_allclose(batch["numeric"].numpy()[ok], expected[ok], rtol=1e-4, atol=1e-5)
    assert batch["numeric_missing"][3, 0] == 1 and batch["numeric"][3, 0] == 0


def test_late_one_hot_dosage_and_concat():
    codes = torch.tensor([[[[0, 6, 4]], ]], dtype=torch.uint8)  # (1, 1, 1, 3): A, R, N
    seq = codes_to_sequence(codes)
    assert seq.shape == (1, 1, 4, 3)
    np.testing.assert_allclose(seq[0, 0].T.numpy(), ONE_HOT_TABLE[[0, 6, 4]])
    phased = torch.tensor([[[[0, 1], [2, 1]]]], dtype=torch.uint8)  # (1, 1, 2, 2)
    dosage = codes_to_sequence(phased, "dosage")[0, 0]
    assert dosage[:, 0].tolist() == [0.5, 0, 0.5, 0] and dosage[:, 1].tolist() == [0, 1, 0, 0]
    assert codes_to_sequence(phased, "concat").shape == (1, 1, 8, 2)
    with pytest.raises(ValueError, match="haplotypes"):
        codes_to_sequence(phased, "sum")


def test_finalize_batch_without_sequence(store):
    dm = CohortDataModule(str(store), batch_size=4, with_sequence=False)
    batch = finalize_batch(next(iter(dm.dataloader("train"))))
    assert batch["sequence"].shape == (4, 0, 4, 0)


def test_unknown_split_is_clear(store):
    with pytest.raises(ValueError, match="no split 'kfold_9'; stored splits are"):
        CohortDataModule(str(store), split="kfold_9")


def test_training_shuffle_depends_on_seed_and_epoch_only(store):
    def order(epoch, seed=0):
        loader = CohortDataModule(str(store), batch_size=5, seed=seed).train_dataloader()
        loader.sampler.set_epoch(epoch)
        return torch.cat([b["index"] for b in loader]).tolist()

    assert order(3) == order(3)  # a fresh loader at epoch 3 = the resumed run's loader
    assert order(3) != order(4) and order(3) != order(3, seed=1)
    assert sorted(order(3)) == sorted(order(0))
