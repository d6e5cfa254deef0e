"""Bad-input cases of splits, stores, output folders and checkpoints (issue 14 items 8, 16;
issue 13 item 6)."""

from __future__ import annotations

import json

import h5py
import numpy as np
import torch

from benchmarks.bad_input_case import error_case, handled_case
from benchmarks.bad_input_world import check_sites
from pgxdl.builders.store_build import build_store
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore, StoreError
from pgxdl.data.store_writer import StoreOutputError
from pgxdl.data.tabular import TabularValueError
from pgxdl.training.checkpoints import checkpoint_spec, read_checkpoint


def _cohort(n: int, sites=None, **overrides):
    """Build with the first ``n`` EHR rows (the VCF keeps all six samples)."""
    def run(world):
        frame = world.ehr_frame.head(n)
        if sites is not None:
            frame = frame.assign(site=sites)
        world.write_ehr(frame)
        return world.build(**overrides)
    return run


def _splits(store) -> dict[str, np.ndarray]:
    with h5py.File(store, "r") as h5:
        return {name: h5["splits"][name][:] for name in h5.get("splits", {})}


def _check_no_splits(world, store):
    assert _splits(store) == {}
    assert any("split: none" in line for line in world.printed), world.printed


def _check_three(world, store):
    splits = _splits(store)
    assert sorted(splits) == ["default"], sorted(splits)
    assert sorted(splits["default"].tolist()) == [0, 1, 2]
    assert any("no k-fold splits" in line for line in world.printed), world.printed
    check_sites(world, store, subjects=world.samples[:3])


def _check_all_parts(world, store):
    for name, parts in _splits(store).items():
        assert set(parts.tolist()) == {0, 1, 2}, f"split {name}: parts {set(parts.tolist())}"


def _check_grouped(world, store):
    _check_all_parts(world, store)
    sites = world.ehr_frame["site"].to_numpy()
    parts = _splits(store)["default"]
    for site in set(sites):
        assert len(set(parts[sites == site].tolist())) == 1, f"site {site} split"


def _check_val_zero(world, store):
    parts = _splits(store)["default"]
    assert set(parts.tolist()) == {0, 2}, parts


def _datamodule(allow_empty=None):
    def run(world):
        world.write_ehr(world.ehr_frame.assign(site=["a", "a", "a", "b", "b", "b"]))
        store = world.good_store(split={"group_by": "site", "val_fraction": 0, "kfold": 3})
        module = CohortDataModule(str(store), allow_empty=allow_empty)
        return module, module.val_dataloader(), module.train_dataloader()
    return run


def _check_allow_empty(world, result):
    module, val, train = result
    assert len(val.dataset) == 0 and len(train.dataset) == 3


def _store_file(content: bytes | None = None, attrs: dict | None = None, name="cohort.h5"):
    def run(world):
        path = world.folder / name
        if attrs is not None:
            with h5py.File(path, "w") as h5:
                h5.attrs.update(attrs)
        elif content is not None:
            path.write_bytes(content)
        with CohortStore(path) as store:
            return store.n_subjects
    return run


def _truncated_store(world):
    store = world.good_store()
    data = store.read_bytes()
    broken = world.folder / "broken.h5"
    broken.write_bytes(data[: len(data) // 3])
    with CohortStore(broken) as cohort:
        return cohort.observations()


def _unknown_split(world):
    with CohortStore(world.good_store()) as store:
        return store.split("kfold_9")


def _stale_temp(world):
    world.out.parent.mkdir(parents=True)
    stale = world.out.parent / f".{world.out.name}.4194999.tmp"  # above Linux's pid_max
    stale.write_bytes(b"\0" * 4096)
    return world.build(), stale


def _check_stale(world, result):
    store, stale = result
    assert not stale.exists(), "stale temporary file kept"
    assert any("interrupted build" in line for line in world.printed), world.printed
    check_sites(world, store)


def _failed_rebuild(world):
    store = world.build()
    before = store.read_bytes()
    world.write_ehr(world.ehr_frame.assign(age=["x"] * 6))
    try:
        world.build()
    except TabularValueError:
        return store, before
    raise AssertionError("the bad rebuild did not fail")


def _check_failed_rebuild(world, result):
    store, before = result
    assert store.read_bytes() == before, "the old store changed"
    assert sorted(p.name for p in store.parent.iterdir()) == [store.name], "temporary files left"


def _out_under_file(world):
    (world.folder / "plain_file").write_text("x")
    return build_store(world.config, world.folder / "plain_file" / "cohort.h5", echo=None)


def _checkpoint(payload):
    def run(world):
        path = world.folder / "model.ckpt"
        if isinstance(payload, bytes):
            path.write_bytes(payload)
        elif payload is not None:
            torch.save(payload, path)
        return checkpoint_spec(path) if payload == {"state_dict": {}} else read_checkpoint(path)
    return run


def _provenance_report(world, store):
    with h5py.File(store, "r") as h5:
        report = json.loads(h5.attrs["provenance"])["build_report"]
    assert report["summary"] == world.printed, "printed report differs from the stored one"
    assert report["vcf"]["n_records"] == 3 and report["sites"]["n_sites"] == 3
    assert report["sites"]["n_missing_calls"] == 2


CASES = [
    error_case("split_one_person", "split", _cohort(1), ValueError, "split 'default'",
               "1 subject", "split: none", issue="14.8"),
    handled_case("split_none_predict_only", "split", _cohort(1, split="none"), _check_no_splits,
                 issue="14.8"),
    error_case("split_two_people", "split", _cohort(2, split={}), ValueError,
               "split 'default'", "2 subject", "split: none", issue="14.8"),
    handled_case("split_three_people_default_kfold", "split", _cohort(3, split={}),
                 _check_three, issue="14.8"),
    error_case("split_kfold_more_than_people", "split", _cohort(4, split={"kfold": 5}),
               ValueError, "kfold", "k=5", "4", "split.kfold", issue="14.8"),
    handled_case("split_stratified_one_member_classes", "split", _cohort(6, split={}),
                 _check_all_parts, issue="14.8"),
    handled_case("split_grouped_three_sites", "split",
                 _cohort(6, split={"group_by": "site", "kfold": 3}), _check_grouped,
                 issue="13.6"),
    error_case("split_grouped_two_sites", "split",
               _cohort(6, sites=["a", "a", "a", "b", "b", "b"],
                       split={"group_by": "site", "kfold": 3}),
               ValueError, "split 'default'", "2 group", "'val' would be empty",
               "val_fraction: 0", issue="13.6"),
    handled_case("split_grouped_two_sites_no_val", "split",
                 _cohort(6, sites=["a", "a", "a", "b", "b", "b"],
                         split={"group_by": "site", "kfold": 3, "val_fraction": 0}),
                 _check_val_zero, issue="13.6"),
    error_case("split_group_by_not_a_group", "split",
               _cohort(6, split={"group_by": "hospital"}), ValueError, "'hospital'",
               "not a group key", "groups"),
    error_case("datamodule_empty_val_part", "split", _datamodule(), ValueError, r"good\.h5",
               "split 'default'", "val part", "allow_empty", issue="13.6"),
    handled_case("datamodule_empty_val_allowed", "split", _datamodule(["val"]),
                 _check_allow_empty, issue="13.6"),
    error_case("store_missing", "store", _store_file(), StoreError, r"cohort\.h5",
               "not found"),
    error_case("store_not_hdf5", "store", _store_file(b"subject,age\nS1,50\n"), StoreError,
               r"cohort\.h5", "not a readable HDF5"),
    error_case("store_without_schema", "store", _store_file(attrs={"x": 1}), StoreError,
               r"cohort\.h5", "no schema_version"),
    error_case("store_newer_schema", "store", _store_file(attrs={"schema_version": 99}),
               StoreError, r"cohort\.h5", "newer", "upgrade pgxdl"),
    error_case("store_truncated", "store", _truncated_store, StoreError, r"broken\.h5",
               "not a readable HDF5"),
    error_case("store_unknown_split", "store", _unknown_split, StoreError, r"good\.h5",
               "no split 'kfold_9'", "kfold_0"),
    error_case("out_parent_is_a_file", "store", _out_under_file, StoreOutputError,
               "plain_file", "cannot write the store there", issue="14.16"),
    error_case("out_is_a_folder", "store", lambda w: build_store(w.config, w.folder, echo=None),
               StoreOutputError, "is a folder", "file name"),
    handled_case("stale_temporary_file_removed", "store", _stale_temp, _check_stale,
                 issue="14.16"),
    handled_case("failed_rebuild_keeps_old_store", "store", _failed_rebuild,
                 _check_failed_rebuild, issue="14.16"),
    handled_case("build_report_stored_and_printed", "store", lambda w: w.build(),
                 _provenance_report, issue="14.17"),
    error_case("checkpoint_missing", "checkpoint", _checkpoint(None), FileNotFoundError,
               r"model\.ckpt", "does not exist"),
    error_case("checkpoint_not_torch", "checkpoint", _checkpoint(b"not a checkpoint"),
               ValueError, r"model\.ckpt", "corrupt or not a PyTorch checkpoint"),
    error_case("checkpoint_without_state_dict", "checkpoint", _checkpoint({"weights": [1]}),
               ValueError, r"model\.ckpt", "not a Lightning checkpoint"),
    error_case("checkpoint_without_data_spec", "checkpoint", _checkpoint({"state_dict": {}}),
               ValueError, r"model\.ckpt", "not written by pgxdl"),
]
