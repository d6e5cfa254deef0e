"""Write a :class:`~pgxdl.data.cohort.Cohort` to one versioned HDF5 cohort store, atomically.

Layout (``S`` subjects, ``W`` windows, ``H`` haplotype tracks, ``L`` length, ``K`` carried
variants, ``O`` observations, ``T`` tasks, ``D`` drugs, ``F`` features)::

    /                      attrs: schema_version, pgxdl_version, created_utc, command,
                           reference_name, reference_build, builder, salt_fingerprint,
                           provenance (JSON: input file hashes, config)
    /subjects/id_hash      (S,) S32   salted SHA-256 of each subject ID (never the raw ID),
                                      fixed-width ASCII hex
    /subjects/groups/<key> (S,) str   group keys: site, population, ... (fixed-width UTF-8)
    /splits/<name>         (S,) int8  0 train, 1 val, 2 test (subject level)
    /observation_splits/<name> (O,) int8 the same per observation (pair-level designs)
    /windows/{name,gene,chrom,strand} (W,) str; {start,end} (W,) int64 1-based inclusive
    /windows/reference     (W, L) uint8 codes
    /sequence/codes        (S, W, H, L) uint8 codes (pgxdl.genome.encoding)
    /variants/sites/<field> (V,) one row per variant site (pgxdl.data.cohort.SITE_FIELDS)
    /variants/<field>      (K,) carried variants sorted by subject: site_index into the
                           site table, subject_index, allele_count, hap_mask, ...;
                           subject_offsets (S+1,) so subject s owns rows [o[s], o[s+1])
    /tabular/numeric       (S, F_num) float32, NaN missing; attrs schema (JSON)
    /tabular/categorical   (S, F_cat) int32, 0 missing
    /tabular/normalisation/<split>/{mean,std}  (F_num,) fitted on that split's train part
    /tasks                 attrs tasks (JSON list of TaskSpec)
    /drugs/name, /drugs/smiles (D,) str; /drugs/features (D, B) float32;
                           /drugs/<column> (D, ...) further per-drug columns
    /observations/{subject_index,drug_index} (O,) int64; /observations/values (O, T) float32
    /truth/<field>         simulated ground truth (causal variants), attrs model (JSON)

A chunked build (``CarrierChunks`` codes) appends the carrier rows chunk by chunk, so they
are stored chunked and resizable instead of contiguous; their values are the same. A shard
index (:mod:`pgxdl.data.shards`) has this layout too, over virtual datasets.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from pgxdl import __version__
from pgxdl.data.cohort import SITE_FIELDS, VARIANT_FIELDS, Cohort
from pgxdl.data.store_arrays import (
    create_contiguous,
    labels,
    strings,
    text_or_numbers,
    write_arrays,
    write_rows,
)
from pgxdl.data.tabular import fit_normalisation
from pgxdl.io import atomic_path

SCHEMA_VERSION = 1
SALT_ENV = "PGXDL_ID_SALT"


def hash_subject_ids(ids: list[str], salt: str) -> np.ndarray:
    """Salted SHA-256 of each ID (stripped): ``(S,)`` ``S32``, its first 32 hex digits as
    ASCII bytes; raises on duplicate or empty IDs."""
    ids = [str(subject).strip() for subject in ids]
    _check_subject_ids(ids)
    prefix = f"{salt}\x00"
    return np.array([hashlib.sha256((prefix + subject).encode()).hexdigest() for subject in ids],
                    dtype="S32")  # S32 keeps the first 32 hex digits


def _check_subject_ids(ids: list[str]) -> None:
    """Raise on the first empty or repeated ID (rows counted from 1)."""
    if all(ids) and len(set(ids)) == len(ids):
        return
    seen: dict[str, int] = {}
    for row, subject in enumerate(ids):
        if not subject:
            raise ValueError(f"subject {row + 1}: empty subject identifier")
        if subject in seen:
            raise ValueError(f"duplicate subject: rows {seen[subject] + 1} and {row + 1} "
                             "share one identifier")
        seen[subject] = row


class StoreOutputError(ValueError):
    """The store cannot be written where asked (a folder, no permission)."""


def prepare_output(path: str | Path) -> list[str]:
    """Check, before any work, that a store can be written at ``path``; clean up after a
    killed build.

    Creates the parent folder, writes and removes a probe file in it, and removes the
    temporary files (``.<name>.<pid>.tmp``, :func:`pgxdl.io.atomic_path`) that a build of
    the same ``path`` left when it was killed (its process no longer runs).

    Returns
    -------
    The names of the stale temporary files removed.

    Raises
    ------
    StoreOutputError naming the path and the fix.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreOutputError(f"{path}: is a folder; give the store a file name "
                               f"(e.g. {path / 'cohort.h5'})")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".pgxdl-probe-"):
            pass
    except OSError as err:
        raise StoreOutputError(f"{path.parent}: cannot write the store there ({err.strerror}); "
                               f"choose another output path or fix the folder's "
                               f"permissions") from err
    removed = []
    for stale in sorted(path.parent.glob(f".{path.name}.*.tmp")):
        pid = stale.name[len(path.name) + 2:-len(".tmp")]
        if pid.isdigit() and not _process_running(int(pid)):
            stale.unlink(missing_ok=True)
            removed.append(stale.name)
    return removed


def _process_running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process is not writing it yet: a leftover of an earlier run
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, for provenance."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_store(path: str | Path, cohort: Cohort, salt: str | None = None,
                compression: str | None = None, progress: bool = True) -> Path:
    """Write ``cohort`` to ``path`` through a temporary file and an atomic rename.

    ``salt`` hashes subject IDs (default: ``$PGXDL_ID_SALT``, else a random salt that is
    never stored, so IDs cannot be recovered); only its fingerprint is kept.
    ``compression`` applies to the sequence codes (``None`` reads fastest; ``"lzf"``
    or ``"gzip"`` for smaller files). Returns the final path.
    """
    path = Path(path)
    salt = salt or os.environ.get(SALT_ENV) or secrets.token_hex(16)
    id_hash = hash_subject_ids(cohort.subject_ids, salt)
    _check_lengths(cohort)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        _write_root_attrs(h5, cohort, salt)
        subjects = h5.create_group("subjects")
        subjects.create_dataset("id_hash", data=id_hash)
        write_arrays(subjects, "groups",
                     {key: labels(values) for key, values in cohort.groups.items()})
        write_arrays(h5, "splits", {name: np.asarray(parts, dtype=np.int8)
                                    for name, parts in cohort.splits.items()})
        if cohort.sequence is not None:
            _write_sequence(h5, cohort, compression, progress)
        if cohort.tabular is not None:
            _write_tabular(h5, cohort)
        _write_observations(h5, cohort)
        truth = write_arrays(h5, "truth", {key: text_or_numbers(values)
                                           for key, values in cohort.truth.items()})
        if truth is not None:
            truth.attrs["model"] = json.dumps(cohort.truth_attrs, default=str)
    return path


def _check_lengths(cohort: Cohort) -> None:
    n = cohort.n_subjects
    for key, values in {**cohort.groups, **cohort.splits}.items():
        if len(values) != n:
            raise ValueError(f"group/split {key!r} has {len(values)} entries for {n} subjects")
    if cohort.tabular is not None and len(cohort.tabular.numeric) != n:
        raise ValueError(f"tabular block has {len(cohort.tabular.numeric)} rows for {n} subjects")
    subjects = np.asarray(cohort.observations.subject_index)
    if len(subjects) and (subjects.min() < 0 or subjects.max() >= n):
        raise ValueError(f"observations name subject indices outside [0, {n})")
    for name, parts in cohort.observations.splits.items():
        if len(parts) != len(subjects):
            raise ValueError(f"observation split {name!r} has {len(parts)} entries for "
                             f"{len(subjects)} observations")
        if name in cohort.splits:
            raise ValueError(f"split {name!r} is both a subject and an observation split")
    n_drugs = len(cohort.observations.drug_names)
    for name, column in cohort.observations.drug_columns.items():
        if len(column) != n_drugs:
            raise ValueError(f"drug column {name!r} has {len(column)} rows for {n_drugs} drugs")


def _write_root_attrs(h5: h5py.File, cohort: Cohort, salt: str) -> None:
    prov = dict(cohort.provenance)
    h5.attrs["schema_version"] = SCHEMA_VERSION
    h5.attrs["pgxdl_version"] = __version__
    h5.attrs["created_utc"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    h5.attrs["command"] = prov.pop("command", " ".join(sys.argv))
    h5.attrs["builder"] = prov.pop("builder", "unknown")
    h5.attrs["reference_name"] = prov.pop("reference_name", "")
    h5.attrs["reference_build"] = prov.pop("reference_build", "")
    h5.attrs["salt_fingerprint"] = hashlib.sha256(salt.encode()).hexdigest()[:8]
    h5.attrs["provenance"] = json.dumps(prov, default=str, sort_keys=True)


def _write_sequence(h5: h5py.File, cohort: Cohort, compression: str | None, progress: bool):
    seq = cohort.sequence
    windows = seq.windows
    n_windows, length = seq.reference_codes.shape
    grp = h5.create_group("windows")
    for key in ("name", "gene", "chrom", "strand"):
        grp.create_dataset(key, data=strings([getattr(w, key) for w in windows]))
    grp.create_dataset("start", data=np.array([w.start for w in windows], dtype=np.int64))
    grp.create_dataset("end", data=np.array([w.end for w in windows], dtype=np.int64))
    grp.create_dataset("reference", data=np.asarray(seq.reference_codes, dtype=np.uint8))
    shape = (cohort.n_subjects, n_windows, seq.haplotypes, length)
    if compression:
        codes = h5.create_dataset("sequence/codes", shape=shape, dtype=np.uint8,
                                  chunks=(1, *shape[1:]), compression=compression)
    else:
        codes = create_contiguous(h5, "sequence/codes", shape, np.uint8)
    carriers = _CarrierRows(h5) if hasattr(seq.codes, "with_carriers") else None
    if isinstance(seq.codes, np.ndarray):
        chunks = [(0, seq.codes, None)]
    elif carriers is not None:  # chunks that bring their own carrier rows
        chunks = seq.codes.with_carriers()
    else:
        chunks = ((start, chunk, None) for start, chunk in seq.codes)
    written = 0  # chunks must cover the subjects in order: unwritten rows would read as "A"
    with tqdm(total=cohort.n_subjects, desc="write sequences", unit="subject",
              disable=not progress) as bar:
        for start, chunk, chunk_carriers in chunks:
            if chunk.shape[1:] != shape[1:]:
                raise ValueError(f"sequence chunk shape {chunk.shape[1:]} != {shape[1:]}")
            if start != written:
                raise ValueError(f"sequence chunk starts at subject {start}, expected {written}"
                                 " (chunks must cover every subject, in order)")
            write_rows(codes, start, chunk)
            if carriers is not None:
                carriers.append(chunk_carriers, start, len(chunk))
            written += len(chunk)
            bar.update(len(chunk))
    if written != cohort.n_subjects:
        raise ValueError(f"sequence chunks cover {written} subjects, the cohort has "
                         f"{cohort.n_subjects}")
    if carriers is not None:
        carriers.finish(seq.sites, cohort.n_subjects)
    else:
        _write_variants(h5, seq, cohort.n_subjects)


class _CarrierRows:
    """``/variants`` written chunk by chunk: carrier rows (already sorted by subject) are
    appended to resizable datasets; the site table and ``subject_offsets`` come last."""

    FIELDS = {"site_index": np.int32, "subject_index": np.int32, "allele_count": np.int8,
              "hap_mask": np.uint8}

    def __init__(self, h5: h5py.File) -> None:
        self.group = h5.create_group("variants")
        self.counts: list[np.ndarray] = []
        self.n_rows = 0
        for key, dtype in self.FIELDS.items():
            self.group.create_dataset(key, shape=(0,), maxshape=(None,), dtype=dtype,
                                      chunks=(1 << 16,))

    def append(self, rows: dict[str, np.ndarray], start: int, n_subjects: int) -> None:
        """Append the carrier rows of subjects ``start:start + n_subjects``."""
        n = len(rows["subject_index"])
        for key in self.FIELDS:
            dataset = self.group[key]
            dataset.resize((self.n_rows + n,))
            dataset[self.n_rows:] = rows[key]
        self.n_rows += n
        self.counts.append(np.bincount(np.asarray(rows["subject_index"], np.int64) - start,
                                       minlength=n_subjects))

    def finish(self, sites: dict[str, np.ndarray], n_subjects: int) -> None:
        write_arrays(self.group, "sites", {key: text_or_numbers(values)
                                           for key, values in sites.items()})
        counts = np.concatenate(self.counts) if self.counts else np.zeros(n_subjects, np.int64)
        self.group.create_dataset("subject_offsets",
                                  data=np.concatenate([[0], np.cumsum(counts)]))


def _write_variants(h5: h5py.File, seq, n_subjects: int) -> None:
    """Write carried variants as a site table plus one compact row per (subject, site)."""
    variants = seq.variants
    if seq.sites is None:
        missing = set(VARIANT_FIELDS) - set(variants)
        if missing:
            raise ValueError(f"variant table lacks fields {sorted(missing)}")
        site_index, first = _factorize_sites(variants)
        sites = {k: np.asarray(v)[first] for k, v in variants.items() if k in SITE_FIELDS}
        carriers = {k: v for k, v in variants.items() if k not in SITE_FIELDS}
    else:
        sites, carriers = seq.sites, dict(variants)
        site_index = np.asarray(carriers.pop("site_index"))
    grp = h5.create_group("variants")
    write_arrays(grp, "sites", {key: text_or_numbers(values) for key, values in sites.items()})
    order = _subject_order(np.asarray(carriers["subject_index"]))
    grp.create_dataset("site_index", data=site_index[order].astype(np.int32))
    for key, values in carriers.items():
        grp.create_dataset(key, data=np.asarray(values)[order])
    counts = np.bincount(np.asarray(carriers["subject_index"], dtype=np.int64),
                         minlength=n_subjects)
    grp.create_dataset("subject_offsets", data=np.concatenate([[0], np.cumsum(counts)]))


def _subject_order(subject_index: np.ndarray) -> np.ndarray | slice:
    """Stable order of ``(K,)`` carrier rows by subject: ``slice(None)`` if already sorted
    (as :class:`~pgxdl.genome.personal.builder.PersonalWindowBuilder` makes them)."""
    if np.all(subject_index[1:] >= subject_index[:-1]):
        return slice(None)
    return np.argsort(subject_index, kind="stable")


def _factorize_sites(variants: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Site index of each carried-variant row ``(K,)`` and the first row of each site."""
    site_index = np.zeros(len(variants["pos"]), dtype=np.int64)
    for key in ("window_index", "pos", "ref", "alt"):  # mixed-radix key, refactorised
        codes, uniques = pd.factorize(np.asarray(variants[key]))
        site_index, _ = pd.factorize(site_index * len(uniques) + codes)
    first = np.full(site_index.max() + 1 if len(site_index) else 0, -1, dtype=np.int64)
    first[site_index[::-1]] = np.arange(len(site_index))[::-1]
    return site_index, first


def _write_tabular(h5: h5py.File, cohort: Cohort) -> None:
    block = cohort.tabular
    grp = h5.create_group("tabular")
    grp.create_dataset("numeric", data=block.numeric.astype(np.float32))
    grp.create_dataset("categorical", data=block.categorical.astype(np.int32))
    grp.attrs["schema"] = json.dumps(block.schema.to_config())
    for name, train in _training_subjects(cohort).items():
        mean, std = (cohort.normalisation[name] if name in cohort.normalisation
                     else fit_normalisation(block.numeric, train))
        write_arrays(grp.require_group("normalisation"), name, {"mean": mean, "std": std})


def _training_subjects(cohort: Cohort) -> dict[str, np.ndarray]:
    """``{split: (S,) bool}`` subjects whose features normalisation may see: the training
    part of a subject split; for an observation split, subjects with a training row."""
    train = {name: np.asarray(parts) == 0 for name, parts in cohort.splits.items()}
    obs = cohort.observations
    for name, parts in obs.splits.items():
        rows = np.asarray(obs.subject_index)[np.asarray(parts) == 0]
        train[name] = np.bincount(rows, minlength=cohort.n_subjects) > 0
    return train


def _write_observations(h5: h5py.File, cohort: Cohort) -> None:
    obs = cohort.observations
    values = np.asarray(obs.values, dtype=np.float32)
    if values.ndim != 2 or values.shape[1] != len(obs.tasks):
        raise ValueError(f"observation values {values.shape} do not match {len(obs.tasks)} tasks")
    h5.create_group("tasks").attrs["tasks"] = json.dumps([t.to_record() for t in obs.tasks])
    write_arrays(h5, "observations", {
        "subject_index": np.asarray(obs.subject_index, np.int64),
        "drug_index": np.asarray(obs.drug_index, np.int64), "values": values})
    write_arrays(h5, "observation_splits", {name: np.asarray(parts, dtype=np.int8)
                                            for name, parts in obs.splits.items()})
    drugs = {name: text_or_numbers(column) for name, column in obs.drug_columns.items()}
    drugs["name"] = strings(obs.drug_names)
    if obs.drug_smiles is not None:
        drugs["smiles"] = strings(obs.drug_smiles)
    if obs.drug_features is not None:
        drugs["features"] = np.asarray(obs.drug_features, np.float32)
    write_arrays(h5, "drugs", drugs)
