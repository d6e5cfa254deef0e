"""Cohort store: round trip, hashed IDs, atomic writes, schema checks."""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import tempfile

import h5py
import numpy as np
import pytest
from store_fixtures import tiny_cohort

from pgxdl.data import store_arrays
from pgxdl.data.store import CohortStore, StoreError
from pgxdl.data.store_writer import SCHEMA_VERSION, hash_subject_ids, write_store
from pgxdl.data.tabular import fit_normalisation


def test_round_trip(tmp_path):
    cohort = tiny_cohort()
    path = write_store(tmp_path / "c.h5", cohort, salt="s", progress=False)
    with CohortStore(path) as store:
        assert store.n_subjects == 40
        np.testing.assert_array_equal(store.h5["sequence/codes"][:], cohort.sequence.codes)
        np.testing.assert_array_equal(store.split("default"), cohort.splits["default"])
        np.testing.assert_array_equal(store.groups("site"), cohort.groups["site"])
        obs = store.observations()
        np.testing.assert_array_equal(obs["values"], cohort.observations.values)
        assert [t.name for t in store.tasks] == ["dose", "event"]
        assert [w["name"] for w in store.windows] == ["w0", "w1"]
        one = store.variants(subject=7)
        assert one["offset"].tolist() == [7] and one["ids"].tolist() == ["rs7"]
        spec = store.spec("default")
        assert spec.window_length == 16 and spec.n_windows == 2 and spec.channels == 4
        assert spec.numeric_features == ("age", "weight", "smoker")
        assert spec.categorical_cardinalities == (4,)


def test_ids_are_salted_hashes_and_never_stored_raw(tmp_path):
    cohort = tiny_cohort()
    path = write_store(tmp_path / "c.h5", cohort, salt="pepper", progress=False)
    raw = path.read_bytes()
    assert b"PATIENT-0001" not in raw
    with CohortStore(path) as store:
        stored = [v.decode() for v in store.h5["subjects/id_hash"][:]]
    assert stored == hash_subject_ids(cohort.subject_ids, "pepper").astype(str).tolist()
    assert stored != hash_subject_ids(cohort.subject_ids, "other salt").astype(str).tolist()
    assert stored[1] == hashlib.sha256(b"pepper\x00PATIENT-0001").hexdigest()[:32]


def test_hashed_ids_strip_and_refuse_empty_ids():
    hashes = hash_subject_ids([" a ", "b"], "salt")
    assert hashes.dtype == np.dtype("S32")
    np.testing.assert_array_equal(hashes, hash_subject_ids(["a", "b"], "salt"))
    with pytest.raises(ValueError, match="subject 2: empty subject identifier"):
        hash_subject_ids(["a", "  "], "salt")


def test_duplicate_subject_is_refused(tmp_path):
    cohort = tiny_cohort()
    cohort.subject_ids[9] = cohort.subject_ids[2]
    with pytest.raises(ValueError, match="duplicate subject: rows 3 and 10"):
        write_store(tmp_path / "c.h5", cohort, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_nothing_and_keeps_old_store(tmp_path):
    path = write_store(tmp_path / "c.h5", tiny_cohort(), progress=False)
    before = path.read_bytes()
    bad = tiny_cohort()
    bad.observations.values = bad.observations.values[:, :1]  # 1 column for 2 tasks
    with pytest.raises(ValueError, match="do not match 2 tasks"):
        write_store(path, bad, progress=False)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.h5"]


@pytest.mark.parametrize("version,word", [(SCHEMA_VERSION + 1, "newer"),
                                          (SCHEMA_VERSION - 1, "older")])
def test_schema_version_mismatch(tmp_path, version, word):
    path = write_store(tmp_path / "c.h5", tiny_cohort(), progress=False)
    with h5py.File(path, "r+") as h5:
        h5.attrs["schema_version"] = version
    with pytest.raises(StoreError, match=f"schema_version {version} is {word}"):
        CohortStore(path)


def test_not_a_store(tmp_path):
    path = tmp_path / "x.h5"
    path.write_text("hello")
    with pytest.raises(StoreError, match="not a readable HDF5"):
        CohortStore(path)
    with pytest.raises(StoreError, match="not found"):
        CohortStore(tmp_path / "missing.h5")


def test_normalisation_fitted_on_train_only(tmp_path):
    cohort = tiny_cohort()
    path = write_store(tmp_path / "c.h5", cohort, progress=False)
    train = cohort.splits["default"] == 0
    with CohortStore(path) as store:
        mean, std = store.normalisation("default")
    numeric = cohort.tabular.numeric
    expected = np.nanmean(numeric[train], axis=0)
    np.testing.assert_allclose(mean, expected, rtol=1e-5)
    np.testing.assert_allclose(std, np.nanstd(numeric[train], axis=0, ddof=1), rtol=1e-5)
    assert not np.allclose(mean, np.nanmean(numeric, axis=0))
    assert fit_normalisation(np.full((4, 1), 3.0), np.ones(4, bool))[1][0] == 1.0


def test_provenance_is_json(tmp_path):
    cohort = tiny_cohort()
    cohort.provenance = {"builder": "tiny", "config": {"a": 1}}
    path = write_store(tmp_path / "c.h5", cohort, progress=False)
    with CohortStore(path) as store:
        attrs = store.attrs
    assert attrs["builder"] == "tiny" and attrs["provenance"]["config"] == {"a": 1}
    assert attrs["schema_version"] == SCHEMA_VERSION
    json.dumps(attrs)


def test_target_normalisation_from_training_observations(tmp_path):
    cohort = tiny_cohort()
    path = write_store(tmp_path / "c.h5", cohort, progress=False)
    train = cohort.splits["default"] == 0
    dose = cohort.observations.values[train, 0]
    with CohortStore(path) as store:
        stats = store.spec("default").extra["target_normalisation"]
    assert list(stats) == ["dose"]  # regression tasks only
    assert stats["dose"]["mean"] == pytest.approx(dose.mean(), rel=1e-6)
    assert stats["dose"]["std"] == pytest.approx(dose.std(ddof=1), rel=1e-5)


def test_group_labels_are_text_of_each_value(tmp_path):
    cohort = tiny_cohort(n=6)
    cohort.splits = {}
    sites = ["São Paulo", "Lyon", "São Paulo", "", "Lyon", "Kyoto"]
    cohort.groups = {"site": np.array(sites, dtype=object),
                     "mixed": np.array([1, None, "x", 2.5, np.nan, "x"], dtype=object)}
    path = write_store(tmp_path / "c.h5", cohort, progress=False)
    with CohortStore(path) as store:
        assert store.groups("site").tolist() == sites
        assert store.groups("mixed").tolist() == ["1", "None", "x", "2.5", "nan", "x"]
        assert store.h5["subjects/groups/site"].asstr()[0] == "São Paulo"


def test_variable_length_text_of_earlier_stores_still_reads(tmp_path):
    cohort = tiny_cohort()
    path = write_store(tmp_path / "c.h5", cohort, salt="s", progress=False)
    with CohortStore(path) as store:
        fixed = store.groups("site"), [v.decode() for v in store.h5["subjects/id_hash"][:]]
    with h5py.File(path, "r+") as h5:  # rewrite as the writer before fixed widths did
        for name in ("subjects/id_hash", "subjects/groups/site"):
            text = h5[name].asstr()[:].astype(object)
            del h5[name]
            h5.create_dataset(name, data=text, dtype=h5py.string_dtype())
    with CohortStore(path) as store:
        np.testing.assert_array_equal(store.groups("site"), fixed[0])
        assert [v.decode() for v in store.h5["subjects/id_hash"][:]] == fixed[1]
        assert store.n_subjects == 40


@pytest.mark.parametrize("fixed_dtype", [h5py.string_dtype("utf-8", 8), np.dtype("S8")])
def test_site_text_reads_as_str_whatever_its_string_storage(tmp_path, fixed_dtype):
    path = write_store(tmp_path / "c.h5", tiny_cohort(), progress=False)
    with CohortStore(path) as store:
        expected = store.variant_sites
    assert expected["ids"].dtype.kind == "U"
    with h5py.File(path, "r+") as h5:
        for key in ("ids", "ref", "alt"):
            name = f"variants/sites/{key}"
            text = np.array([v.encode() for v in h5[name].asstr()[:]], dtype="S8")
            del h5[name]
            h5.create_dataset(name, data=text.astype(fixed_dtype))
    with CohortStore(path) as store:
        for key, values in expected.items():
            np.testing.assert_array_equal(store.variant_sites[key], values)


def test_carriers_are_stored_by_subject_whatever_their_order(tmp_path):
    cohort = tiny_cohort(n=16)  # one site per subject
    order = np.random.default_rng(1).permutation(16)
    shuffled = tiny_cohort(n=16)
    shuffled.sequence.variants = {k: v[order] for k, v in cohort.sequence.variants.items()}
    paths = [write_store(tmp_path / f"{name}.h5", c, progress=False)
             for name, c in (("sorted", cohort), ("shuffled", shuffled))]
    with CohortStore(paths[0]) as one, CohortStore(paths[1]) as other:
        for subject in (0, 7, 15):
            a, b = one.variants(subject), other.variants(subject)
            assert a.keys() == b.keys()
            for key in a.keys() - {"site_index"}:  # sites are numbered in order of first carrier
                np.testing.assert_array_equal(a[key], b[key])


@pytest.mark.parametrize("compression", [None, "lzf"])
def test_streamed_chunks_write_the_same_codes(tmp_path, compression):
    cohort = tiny_cohort()
    codes = cohort.sequence.codes
    cohort.sequence.codes = [(start, codes[start:start + 7]) for start in range(0, 40, 7)]
    path = write_store(tmp_path / "c.h5", cohort, compression=compression, progress=False)
    with CohortStore(path) as store:
        np.testing.assert_array_equal(store.h5["sequence/codes"][:], codes)


def failing_fallocate(code: int, calls: list):
    """A stand-in for libc's fallocate that fails with errno ``code``."""
    def fallocate(fd, mode, offset, length):
        calls.append(length)
        ctypes.set_errno(code)
        return -1
    return fallocate


def test_store_is_written_where_disk_space_cannot_be_reserved(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(store_arrays, "_FALLOCATE", failing_fallocate(errno.EOPNOTSUPP, calls))
    cohort = tiny_cohort()
    path = write_store(tmp_path / "c.h5", cohort, progress=False)
    assert calls == [cohort.sequence.codes.nbytes]
    with CohortStore(path) as store:
        np.testing.assert_array_equal(store.h5["sequence/codes"][:], cohort.sequence.codes)


def test_failed_reservation_is_an_error_that_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(store_arrays, "_FALLOCATE", failing_fallocate(errno.ENOSPC, []))
    with pytest.raises(OSError, match="No space left"):
        write_store(tmp_path / "c.h5", tiny_cohort(), progress=False)
    assert list(tmp_path.iterdir()) == []


def test_disk_space_is_reserved_through_libc_fallocate():
    if store_arrays._FALLOCATE is None:
        pytest.skip("no libc fallocate on this platform")
    with tempfile.TemporaryFile() as handle:
        assert store_arrays._FALLOCATE(handle.fileno(), 0, 0, 1 << 20) == 0
        assert os.fstat(handle.fileno()).st_size == 1 << 20


@pytest.mark.parametrize("starts,message", [
    ((0, 14, 21), "starts at subject 14, expected 7"),
    ((0, 7, 14), "cover 21 subjects, the cohort has 40"),
])
def test_sequence_chunks_must_cover_every_subject_in_order(tmp_path, starts, message):
    cohort = tiny_cohort()
    codes = cohort.sequence.codes
    cohort.sequence.codes = [(start, codes[start:start + 7]) for start in starts]
    with pytest.raises(ValueError, match=message):
        write_store(tmp_path / "c.h5", cohort, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_prepare_output_removes_only_dead_builds_temporaries(tmp_path):
    """A killed build's `.<name>.<pid>.tmp` is removed; a running build's is left alone."""
    import os

    from pgxdl.data.store_writer import StoreOutputError, prepare_output

    out = tmp_path / "runs" / "cohort.h5"
    out.parent.mkdir()
    dead = out.parent / ".cohort.h5.4194999.tmp"
    live = out.parent / f".cohort.h5.{os.getppid()}.tmp"
    other = out.parent / ".other.h5.4194999.tmp"
    for path in (dead, live, other):
        path.write_bytes(b"x")
    assert prepare_output(out) == [dead.name]
    assert not dead.exists() and live.exists() and other.exists()
    with pytest.raises(StoreOutputError, match="is a folder"):
        prepare_output(out.parent)
    with pytest.raises(StoreOutputError, match="cannot write the store there"):
        prepare_output(live / "cohort.h5")
