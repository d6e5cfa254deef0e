"""Dataset and DataModule: lazy per-worker reads equal the store, late one-hot, parts."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.accelerators import CUDAAccelerator
from store_fixtures import tiny_cohort

from pgxdl.data import worker_batch
from pgxdl.data.batch import codes_to_sequence, finalize_batch
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.dataset import CohortDataset
from pgxdl.data.mapped_codes import ShardedCodes, memory_map
from pgxdl.data.store_writer import write_store
from pgxdl.data.worker_batch import MappedRows
from pgxdl.genome.encoding import ONE_HOT_TABLE, one_hot


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("s") / "c.h5", tiny_cohort(), progress=False)


@pytest.fixture(scope="module")
def lzf_store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("s") / "lzf.h5", tiny_cohort(),
                       compression="lzf", progress=False)


def test_contiguous_codes_are_memory_mapped_and_chunked_ones_are_not(store, lzf_store):
    codes = tiny_cohort().sequence.codes
    with h5py.File(store) as h5:
        mapped = memory_map(h5["sequence/codes"])
        assert isinstance(mapped, np.memmap)
        np.testing.assert_array_equal(mapped, codes)
    with h5py.File(lzf_store) as h5:
        assert isinstance(memory_map(h5["sequence/codes"]), h5py.Dataset)


@pytest.mark.parametrize("which", ["store", "lzf_store"])
def test_read_codes_keeps_order_and_repeats(which, request):
    """Both read paths (memory map, sorted h5py selection) return the asked order."""
    dataset = CohortDataset(request.getfixturevalue(which), np.arange(40))
    subjects = np.array([7, 3, 3, 39, 0, 7])
    np.testing.assert_array_equal(dataset.read_codes(subjects),
                                  tiny_cohort().sequence.codes[subjects])


def test_parts_are_disjoint_and_follow_subject_split(store):
    dm = CohortDataModule(str(store), batch_size=8)
    parts = tiny_cohort().splits["default"]
    seen = []
    for code, part in enumerate(("train", "val", "test")):
        rows = dm.rows[part]
        assert (parts[rows] == code).all()
        seen.extend(rows.tolist())
    assert sorted(seen) == list(range(40))


@pytest.fixture
def in_a_worker(monkeypatch):
    """Make batches behave as inside a DataLoader worker (where mapped rows are used)."""
    monkeypatch.setattr(worker_batch, "get_worker_info", lambda: object())


@pytest.mark.parametrize("which", ["store", "lzf_store"])
def test_batch_pickles_to_the_same_plain_batch(which, request, in_a_worker):
    """What a worker sends (mapped rows, or the codes tensor) unpickles to the same batch."""
    dataset = CohortDataset(request.getfixturevalue(which), np.arange(40))
    batch = dataset.__getitems__([9, 2, 2, 30])
    assert isinstance(batch.mapped_rows, MappedRows) == (which == "store")
    received = pickle.loads(pickle.dumps(batch))
    assert type(received) is dict and received.keys() == batch.keys()
    for key, value in batch.items():
        assert torch.equal(received[key], value), key
    assert torch.equal(received["codes"],
                       torch.from_numpy(tiny_cohort().sequence.codes[[9, 2, 2, 30]]))


def test_mapped_rows_only_for_unmodified_small_batches_in_workers(store, in_a_worker,
                                                                  monkeypatch):
    dataset = CohortDataset(store, np.arange(40))
    batch = dataset.__getitems__([1, 2])
    batch["codes"][0, 0, 0, 0] = 10  # changed in the worker (an augmentation, say)
    assert pickle.loads(pickle.dumps(batch))["codes"][0, 0, 0, 0] == 10
    batch = dataset.__getitems__([1, 2])
    batch["codes"] = batch["codes"].flip(-1)  # replaced
    assert torch.equal(pickle.loads(pickle.dumps(batch))["codes"], batch["codes"])
    monkeypatch.setattr(worker_batch, "MAPPED_BATCH_MAX_BYTES", 0)
    assert dataset.__getitems__([1, 2]).mapped_rows is None  # too big: a shared tensor
    monkeypatch.undo()
    assert dataset.__getitems__([1, 2]).mapped_rows is None  # not in a worker


def test_store_replaced_under_a_dataset_or_loader_is_an_error(tmp_path, in_a_worker):
    path = write_store(tmp_path / "c.h5", tiny_cohort(), progress=False)
    sent = pickle.dumps(CohortDataset(path, np.arange(40)).__getitems__([0, 1]))
    waiting = CohortDataset(path, np.arange(40))  # targets read, codes not yet
    write_store(path, tiny_cohort(seed=1), progress=False)  # atomic: a new file
    with pytest.raises(RuntimeError, match="c.h5: the store was replaced while"):
        pickle.loads(sent)
    with pytest.raises(RuntimeError, match="c.h5: the store was replaced after"):
        waiting.read_codes(np.array([0]))


@pytest.mark.parametrize(("which", "workers"),
                         [("store", 0), ("store", 2), ("lzf_store", 0), ("lzf_store", 2)])
def test_loader_batches_match_store(which, workers, request):
    cohort = tiny_cohort()
    dm = CohortDataModule(str(request.getfixturevalue(which)), batch_size=7,
                          num_workers=workers)
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


def test_one_hot_matches_table_lookup_channels_first():
    codes = np.random.default_rng(0).integers(0, len(ONE_HOT_TABLE), (3, 2, 5, 7), np.uint8)
    hot = one_hot(codes)
    assert hot.shape == (3, 2, 5, 4, 7) and hot.dtype == torch.float32 and hot.is_contiguous()
    np.testing.assert_array_equal(hot.numpy(), np.moveaxis(ONE_HOT_TABLE[codes], -1, -2))
    assert one_hot(np.zeros((2, 0), np.uint8)).shape == (2, 4, 0)


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


def test_pin_memory_follows_the_trainers_accelerator_unless_set(store):
    dm = CohortDataModule(str(store))
    assert dm.pins_memory is False  # no Trainer attached
    dm.trainer = pl.Trainer(accelerator="cpu", logger=False)
    assert dm.pins_memory is False
    dm.trainer = SimpleNamespace(accelerator=CUDAAccelerator())
    assert dm.pins_memory is True
    for pin in (True, False):
        assert CohortDataModule(str(store), pin_memory=pin).train_dataloader().pin_memory is pin


def test_sharded_codes_gather_equals_the_concatenated_array():
    """Uneven shards, any order, repeats and an empty request, against numpy indexing."""
    rng = np.random.default_rng(3)
    parts = [rng.integers(0, 11, (n, 2, 2, 5), dtype=np.uint8) for n in (4, 1, 7)]
    whole, sharded = np.concatenate(parts), ShardedCodes(parts)
    assert sharded.shape == whole.shape and len(sharded) == 12
    for subjects in (rng.integers(0, 12, 30), np.arange(12)[::-1], np.array([], int)):
        np.testing.assert_array_equal(sharded[subjects], whole[subjects])
    with pytest.raises(IndexError, match="out of range"):
        sharded[np.array([-1])]
