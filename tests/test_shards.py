"""A cohort built as shards in parallel reads as the same cohort as one store."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pytest
from test_vcf_ehr import make_inputs

from pgxdl.builders.store_build import build_store
from pgxdl.builders.vcf_ehr_shards import build_shards, shard_ranges
from pgxdl.data import worker_batch
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.dataset import CohortDataset
from pgxdl.data.mapped_codes import ShardedCodes
from pgxdl.data.shards import ShardError, write_shard_index
from pgxdl.data.store import CohortStore


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """One cohort built whole and as 3 shards (one salt for both)."""
    tmp_path = tmp_path_factory.mktemp("shards")
    config, *_ = make_inputs(tmp_path)
    config["split"] = {"val_fraction": 0.2, "test_fraction": 0.2}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PGXDL_ID_SALT", "shard-test-salt")
        whole = build_store(config, tmp_path / "whole.h5", echo=None, progress=False)
        index = build_shards(config, tmp_path / "shards", n_shards=3)
    return config, whole, index


@pytest.fixture
def built(built_once, tmp_path):
    """A copy of the shard set that a test may damage."""
    config, whole, index = built_once
    folder = shutil.copytree(index.parent, tmp_path / "shards")
    return config, whole, folder / index.name


def _batches(store: str, part: str) -> dict:
    module = CohortDataModule(store, split="default", batch_size=64,
                              allow_empty=["val", "test"])
    if not len(module.rows[part]):
        return {}
    batch = next(iter(module.dataloader(part)))
    return {k: v.numpy() for k, v in batch.items()}


def test_shard_set_reads_as_the_whole_cohort(built):
    _, whole, index = built
    with CohortStore(whole) as one, CohortStore(index) as sharded:
        assert sharded.n_subjects == one.n_subjects == 6
        for name in one.split_names:
            np.testing.assert_array_equal(sharded.split(name), one.split(name))
        np.testing.assert_array_equal(sharded.h5["subjects/id_hash"][:],
                                      one.h5["subjects/id_hash"][:])
        np.testing.assert_allclose(sharded.normalisation("default"),
                                   one.normalisation("default"))
        for key, values in one.variants().items():
            np.testing.assert_array_equal(sharded.variants()[key], values, err_msg=key)
        np.testing.assert_array_equal(sharded.variants(2)["site_index"],
                                      one.variants(2)["site_index"])
    for part in ("train", "val", "test", "all"):
        expected, actual = _batches(str(whole), part), _batches(str(index), part)
        assert expected.keys() == actual.keys()
        for key, values in expected.items():
            np.testing.assert_array_equal(actual[key], values, err_msg=f"{part} {key}")


@pytest.mark.slow
def test_parallel_build_equals_serial_build(built_once, tmp_path, monkeypatch):
    config, _, index = built_once
    monkeypatch.setenv("PGXDL_ID_SALT", "shard-test-salt")
    parallel = build_shards(config, tmp_path / "parallel", n_shards=3, processes=2)
    for part in ("train", "all"):
        expected, actual = _batches(str(index), part), _batches(str(parallel), part)
        for key, values in expected.items():
            np.testing.assert_array_equal(actual[key], values, err_msg=f"{part} {key}")


def test_missing_shard_is_a_clear_error(built):
    _, _, index = built
    (index.parent / "cohort.shard-1-of-3.h5").unlink()
    with pytest.raises(ShardError, match=r"shard 2 of 3 \(cohort.shard-1-of-3.h5\) is missing"):
        CohortDataModule(str(index))


def test_shard_of_another_build_is_a_clear_error(built, tmp_path):
    config, _, index = built
    other = build_shards(config, tmp_path / "other", n_shards=3)
    shutil.copy(other.parent / "cohort.shard-2-of-3.h5", index.parent)
    with pytest.raises(ShardError, match=r"shard 3 of 3 .* comes from another build"):
        CohortStore(index)
    shards = sorted(index.parent.glob("cohort.shard-*.h5"))
    with pytest.raises(ShardError, match="use the shards of one build"):
        write_shard_index(index.parent / "again.h5", shards)
    with pytest.raises(ShardError, match="missing or repeated"):
        write_shard_index(index.parent / "again.h5", shards[:2])


def test_shard_ranges_cover_the_cohort():
    assert shard_ranges(10, 3) == [(0, 3), (3, 7), (7, 10)]
    with pytest.raises(ValueError, match="n_shards"):
        shard_ranges(2, 3)


def test_build_command_writes_shards_and_index(built_once, tmp_path):
    import argparse

    import yaml

    from pgxdl.commands import build

    config, whole, _ = built_once
    path = tmp_path / "cohort.yaml"
    path.write_text(yaml.safe_dump(config))
    parser = argparse.ArgumentParser()
    build.add_arguments(parser)
    out = tmp_path / "out" / "mine.h5"
    assert build.run(parser.parse_args([str(path), "--out", str(out), "--shards", "2"])) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "mine.h5", "mine.shard-0-of-2.h5", "mine.shard-1-of-2.h5"]
    with CohortStore(out) as sharded, CohortStore(whole) as one:
        assert sharded.n_subjects == one.n_subjects
    path.write_text(yaml.safe_dump({**config, "builder": "simulated"}))
    with pytest.raises(ValueError, match="--shards needs builder vcf_ehr"):
        build.run(parser.parse_args([str(path), "--out", str(out), "--shards", "2"]))


def test_shard_index_codes_are_mapped_per_shard_and_gathered_in_order(built, monkeypatch):
    """A batch over several shards is gathered from each shard's memory map, in the asked
    order, equal to the whole store's rows; a worker sends it as mapped rows."""
    _, whole, index = built
    with CohortStore(whole) as one:
        expected = one.h5["sequence/codes"][:]
    sharded = CohortDataset(index, np.arange(6))
    assert isinstance(sharded._codes_source(), ShardedCodes)
    assert len(sharded._codes_source().maps) == 3
    subjects = np.array([5, 0, 3, 3, 1, 5])
    np.testing.assert_array_equal(sharded.read_codes(subjects), expected[subjects])
    with pytest.raises(IndexError, match="out of range for 6 subjects"):
        sharded.read_codes(np.array([0, 6]))
    monkeypatch.setattr(worker_batch, "get_worker_info", lambda: object())
    batch = sharded.__getitems__([4, 1, 2])
    assert batch.mapped_rows is not None
    received = pickle.loads(pickle.dumps(batch))
    np.testing.assert_array_equal(received["codes"].numpy(),
                                  expected[sharded.subject[[4, 1, 2]]])


def test_shard_replaced_under_a_dataset_is_an_error(built, tmp_path):
    config, _, index = built
    waiting = CohortDataset(index, np.arange(6))  # targets read, codes not yet
    other = build_shards(config, tmp_path / "other", n_shards=3)
    shutil.copy(other.parent / "cohort.shard-1-of-3.h5", index.parent)
    with pytest.raises(RuntimeError, match="cohort.h5: the store was replaced after"):
        waiting.read_codes(np.array([0]))
    (index.parent / "cohort.shard-1-of-3.h5").unlink()
    with pytest.raises(RuntimeError, match="shard cohort.shard-1-of-3.h5 went missing after"):
        waiting.read_codes(np.array([0]))
