"""A cohort stored as shards: several store files, each a range of subjects, read as one.

A sharded build (:mod:`pgxdl.builders.vcf_ehr_shards`) writes shard stores, each an
ordinary store of one contiguous range of subjects whose provenance names the build
(``provenance["shard"]``: ``build_id``, ``index``, ``n_shards``, ``first_subject``,
``n_cohort``), with splits and normalisation statistics of the whole cohort. The
**shard index** (:func:`write_shard_index`) is a small store file of the same layout whose
per-subject datasets are HDF5 virtual datasets over the shards (``sequence/codes``,
``subjects/*``, ``splits/*``, ``tabular/{numeric,categorical}``, the carrier rows), with
the observations and ``variants/subject_index`` rewritten to cohort-wide subject numbers.
:class:`~pgxdl.data.store.CohortStore`, and so ``CohortDataModule``, open the index as
one cohort. Shards are named relative to the index: keep them in its folder.

On open (:func:`check_shards`) every shard must exist and carry the index's build id and
subject count; a missing shard, or one from another build, is a
:class:`~pgxdl.data.store.StoreError` naming it (a virtual dataset would otherwise read a
missing file as zeros). Under DDP each rank's ``DistributedSampler`` gives it its rows,
and the loader reads only those rows' codes, from whichever shards hold them.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from pgxdl.io import atomic_path

#: Datasets with one row per subject, joined across shards as virtual datasets.
SUBJECT_PREFIXES = ("subjects/", "splits/", "sequence/codes", "tabular/numeric",
                    "tabular/categorical")
_CARRIER_FIELDS = ("site_index", "allele_count", "hap_mask")


class ShardError(ValueError):
    """Shards that do not make one cohort (missing, from another build, inconsistent)."""


def shard_info(h5: h5py.File) -> dict | None:
    """The ``shard`` entry of a store's provenance, or ``None`` for an unsharded store."""
    return json.loads(h5.attrs.get("provenance", "{}")).get("shard")


def write_shard_index(index: str | Path, shards: list[str | Path]) -> Path:
    """Write the index of ``shards`` (all in the index's folder), checking they are one build.

    Raises
    ------
    ShardError naming the shard at fault: a missing one, one of another build, a gap.
    """
    index = Path(index)
    files = []
    try:
        for number, path in enumerate(shards):
            if not Path(path).is_file():
                raise ShardError(f"{path}: shard {number + 1} of {len(shards)} not found; "
                                 f"build it (pgxdl build --shards) before writing the index")
            files.append(h5py.File(path, "r"))
        infos = [_checked_info(path, h5) for path, h5 in zip(shards, files, strict=True)]
        _check_set(shards, infos, files)
        counts = [len(h5["subjects/id_hash"]) for h5 in files]
        starts = np.concatenate([[0], np.cumsum(counts)])
        with atomic_path(index) as tmp, h5py.File(tmp, "w") as out:
            for key, value in files[0].attrs.items():
                out.attrs[key] = value
            out.attrs["shards"] = json.dumps([
                {"file": Path(path).name, "n_subjects": n, "build_id": info["build_id"]}
                for path, n, info in zip(shards, counts, infos, strict=True)])
            files[0].visititems(lambda name, obj: _join(name, obj, out, files, shards, starts))
            _copy_attrs(files[0], out)
            _join_observations(out, files, starts)
            if "variants/subject_offsets" in files[0]:
                _join_carriers(out, files, shards, starts)
    finally:
        for h5 in files:
            h5.close()
    return index


def shard_files(index: str | Path, h5: h5py.File) -> list[Path]:
    """The shard files the open index ``h5`` at ``index`` names, in order (none for an
    ordinary store)."""
    if "shards" not in h5.attrs:
        return []
    return [Path(index).parent / entry["file"] for entry in json.loads(h5.attrs["shards"])]


def check_shards(path: Path, h5: h5py.File) -> None:
    """Raise :class:`ShardError` unless every shard an index names is there, of its build."""
    entries = json.loads(h5.attrs["shards"])
    for number, (entry, shard) in enumerate(zip(entries, shard_files(path, h5), strict=True)):
        where = f"{path}: shard {number + 1} of {len(entries)} ({shard.name})"
        if not shard.exists():
            raise ShardError(f"{where} is missing; put it back in {path.parent} or rebuild "
                             f"the shard set")
        with h5py.File(shard, "r") as part:
            info = shard_info(part) or {}
            if info.get("build_id") != entry["build_id"] or len(
                    part["subjects/id_hash"]) != entry["n_subjects"]:
                raise ShardError(f"{where} comes from another build (build "
                                 f"{info.get('build_id')!r}, index {entry['build_id']!r}); "
                                 f"restore the shard of this build or rebuild the shard set")


def _checked_info(path, h5: h5py.File) -> dict:
    info = shard_info(h5)
    if info is None:
        raise ShardError(f"{path}: not a shard (no provenance 'shard' entry); build shards "
                         f"with pgxdl.builders.vcf_ehr_shards")
    return info


def _check_set(shards: list, infos: list[dict], files: list[h5py.File]) -> None:
    first = infos[0]
    for path, info in zip(shards, infos, strict=True):
        if info["build_id"] != first["build_id"]:
            raise ShardError(f"{path}: shard of build {info['build_id']!r}, the others are "
                             f"of {first['build_id']!r}; use the shards of one build")
        if Path(path).parent != Path(shards[0]).parent:
            raise ShardError(f"{path}: shards must share one folder (the index's)")
    order = [info["index"] for info in infos]
    if order != list(range(first["n_shards"])):
        raise ShardError(f"{Path(shards[0]).parent}: shards {order} given, the build has "
                         f"{first['n_shards']} (0..{first['n_shards'] - 1}, in order); a "
                         f"shard is missing or repeated")
    expected = 0
    for path, info, h5 in zip(shards, infos, files, strict=True):
        if info["first_subject"] != expected:
            raise ShardError(f"{path}: starts at subject {info['first_subject']}, expected "
                             f"{expected}")
        expected += len(h5["subjects/id_hash"])
    if expected != first["n_cohort"]:
        raise ShardError(f"{Path(shards[0]).parent}: shards hold {expected} subjects, the "
                         f"cohort has {first['n_cohort']}")


def _join(name: str, obj, out: h5py.File, files: list, shards: list, starts) -> None:
    """Copy or join one dataset of the first shard into the index."""
    if not isinstance(obj, h5py.Dataset) or name.startswith(
            ("observations/", "observation_splits/", "variants/")):
        if name.startswith("variants/sites/"):
            out.create_dataset(name, data=obj[()])
        return
    if not name.startswith(SUBJECT_PREFIXES):
        out.create_dataset(name, data=obj[()])  # the same in every shard
        return
    layout = h5py.VirtualLayout(shape=(int(starts[-1]), *obj.shape[1:]), dtype=obj.dtype)
    for path, h5, start, stop in zip(shards, files, starts[:-1], starts[1:], strict=True):
        layout[start:stop] = h5py.VirtualSource(Path(path).name, name, shape=h5[name].shape)
    out.create_virtual_dataset(name, layout)


def _copy_attrs(source: h5py.File, out: h5py.File) -> None:
    """Group attributes (tasks, tabular schema, truth model) of the first shard."""
    def copy(name, obj):
        if isinstance(obj, h5py.Group) and name in out:
            for key, value in obj.attrs.items():
                out[name].attrs[key] = value
        elif isinstance(obj, h5py.Group) and obj.attrs:
            group = out.require_group(name)
            for key, value in obj.attrs.items():
                group.attrs[key] = value
    source.visititems(copy)


def _join_observations(out: h5py.File, files: list, starts) -> None:
    subject = np.concatenate([h5["observations/subject_index"][:] + start
                              for h5, start in zip(files, starts, strict=False)])
    out.create_dataset("observations/subject_index", data=subject)
    keys = ["observations/drug_index", "observations/values",
            *(f"observation_splits/{name}" for name in files[0].get("observation_splits", {}))]
    for key in keys:
        out.create_dataset(key, data=np.concatenate([h5[key][:] for h5 in files]))


def _join_carriers(out: h5py.File, files: list, shards: list, starts) -> None:
    """Carrier rows: virtual per-site fields, subject numbers and offsets made cohort-wide."""
    counts = [len(h5["variants/site_index"]) for h5 in files]
    rows = np.concatenate([[0], np.cumsum(counts)])
    for key in _CARRIER_FIELDS:
        layout = h5py.VirtualLayout(shape=(int(rows[-1]),), dtype=files[0][f"variants/{key}"].dtype)
        for path, start, stop in zip(shards, rows[:-1], rows[1:], strict=True):
            layout[start:stop] = h5py.VirtualSource(Path(path).name, f"variants/{key}",
                                                    shape=(int(stop - start),))
        out.create_virtual_dataset(f"variants/{key}", layout)
    subject = out.create_dataset("variants/subject_index", shape=(int(rows[-1]),),
                                 dtype=np.int32)
    offsets = [np.zeros(1, np.int64)]
    for h5, start, row in zip(files, starts, rows, strict=False):
        block = 1 << 22  # bounded memory: carriers can outnumber subjects by far
        n = len(h5["variants/subject_index"])
        for first in range(0, n, block):
            part = h5["variants/subject_index"][first:first + block]
            subject[row + first:row + first + len(part)] = part + start
        offsets.append(h5["variants/subject_offsets"][1:] + row)
    out.create_dataset("variants/subject_offsets", data=np.concatenate(offsets))
