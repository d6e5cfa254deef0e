"""Read a cohort store: open read-only with a schema check, expose metadata and arrays.

The layout is documented in :mod:`pgxdl.data.store_writer`. Small parts (tabular block,
observations, splits, groups) are read into memory on demand; sequence codes are read
lazily per batch by :class:`pgxdl.data.dataset.CohortDataset`.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np

from pgxdl.data.serving import SERVING_KEY, serving_metadata
from pgxdl.data.shards import ShardError, check_shards
from pgxdl.data.spec import DataSpec, TaskSpec
from pgxdl.data.store_writer import SCHEMA_VERSION
from pgxdl.data.tabular import TabularSchema


class StoreError(ValueError):
    """A cohort store that cannot be read: missing, not HDF5, wrong schema, missing part."""


class CohortStore:
    """A read-only view of one cohort store file.

    Use as a context manager or call :meth:`close`. Opening checks that the file is a
    pgxdl store of :data:`~pgxdl.data.store_writer.SCHEMA_VERSION`.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise StoreError(f"{self.path}: cohort store not found; build one with "
                             f"`pgxdl build <data config> --out {self.path}` (e.g. "
                             f"`pgxdl build data/simulated.yaml`)")
        try:
            self.h5 = h5py.File(self.path, "r")
        except OSError as error:
            raise StoreError(f"{self.path}: not a readable HDF5 cohort store ({error})") from None
        version = self.h5.attrs.get("schema_version")
        if version is None:
            self.close()
            raise StoreError(f"{self.path}: no schema_version attribute; not a pgxdl store")
        if int(version) != SCHEMA_VERSION:
            self.close()
            age = "newer" if int(version) > SCHEMA_VERSION else "older"
            raise StoreError(
                f"{self.path}: store schema_version {int(version)} is {age} than this pgxdl's "
                f"{SCHEMA_VERSION}; rebuild the store with `pgxdl build` "
                f"{'or upgrade pgxdl' if age == 'newer' else ''}".rstrip())
        if "shards" in self.h5.attrs:  # a shard index: every shard there, of its build
            try:
                check_shards(self.path, self.h5)
            except ShardError:
                self.close()
                raise

    def __enter__(self) -> CohortStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.h5.close()

    # -- metadata ---------------------------------------------------------------------------
    @property
    def attrs(self) -> dict:
        """Root attributes, with ``provenance`` decoded from JSON."""
        attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in self.h5.attrs.items()}
        attrs["provenance"] = json.loads(attrs.get("provenance", "{}"))
        return attrs

    @cached_property
    def n_subjects(self) -> int:
        return len(self.h5["subjects/id_hash"])

    @cached_property
    def tasks(self) -> list[TaskSpec]:
        return [TaskSpec(**t) for t in json.loads(self.h5["tasks"].attrs["tasks"])]

    @property
    def has_sequence(self) -> bool:
        return "sequence/codes" in self.h5

    @property
    def has_tabular(self) -> bool:
        return "tabular" in self.h5

    @cached_property
    def windows(self) -> list[dict]:
        """Each window as a dict: name, gene, chrom, start, end, strand."""
        if "windows" not in self.h5:
            return []
        grp = self.h5["windows"]
        keys = ("name", "gene", "chrom", "strand", "start", "end")
        cols = {k: (_text(grp[k]) if k in ("name", "gene", "chrom", "strand")
                    else grp[k][:].tolist()) for k in keys}
        return [dict(zip(keys, row, strict=True)) for row in zip(*cols.values(), strict=True)]

    @cached_property
    def schema(self) -> TabularSchema:
        if not self.has_tabular:
            return TabularSchema([])
        return TabularSchema.from_config(json.loads(self.h5["tabular"].attrs["schema"]))

    @property
    def split_names(self) -> list[str]:
        """Subject-level split schemes (:meth:`split`)."""
        return sorted(self.h5["splits"]) if "splits" in self.h5 else []

    @property
    def observation_split_names(self) -> list[str]:
        """Observation-level split schemes (pairs split, not subjects): see
        :meth:`observation_parts`."""
        return sorted(self.h5["observation_splits"]) if "observation_splits" in self.h5 else []

    @property
    def group_keys(self) -> list[str]:
        return sorted(self.h5["subjects/groups"]) if "subjects/groups" in self.h5 else []

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of what a model depends on (windows, features, tasks)."""
        parts = json.dumps([self.windows, self.schema.to_config(), [t.to_record() for t in
                                                                     self.tasks]])
        return hashlib.sha256(parts.encode()).hexdigest()[:16]

    # -- arrays -----------------------------------------------------------------------------
    def split(self, name: str) -> np.ndarray:
        """Subject-level assignment ``(S,)`` int8 (0 train, 1 val, 2 test)."""
        if name not in self.split_names:
            raise StoreError(f"{self.path}: no split {name!r}; stored splits are "
                             f"{self.split_names}")
        return self.h5[f"splits/{name}"][:]

    def observation_parts(self, name: str) -> np.ndarray:
        """Part of every observation ``(O,)`` int8 under split ``name``: an observation
        split as stored, or a subject split mapped through each row's subject."""
        if name in self.observation_split_names:
            return self.h5[f"observation_splits/{name}"][:]
        if name not in self.split_names:
            raise StoreError(f"{self.path}: no split {name!r}; stored splits are "
                             f"{self.split_names + self.observation_split_names}")
        return self.split(name)[self.h5["observations/subject_index"][:]]

    def training_subjects(self, name: str) -> np.ndarray:
        """``(S,)`` bool: the training part of a subject split; for an observation split,
        the subjects with at least one training observation."""
        if name not in self.observation_split_names:
            return self.split(name) == 0
        subjects = self.h5["observations/subject_index"][:]
        train = subjects[self.observation_parts(name) == 0]
        return np.bincount(train, minlength=self.n_subjects) > 0

    def groups(self, key: str) -> np.ndarray:
        """Group labels ``(S,)`` str for ``key`` (e.g. ``site``, ``population``)."""
        if key not in self.group_keys:
            raise StoreError(f"{self.path}: no group key {key!r}; stored keys are "
                             f"{self.group_keys}")
        return np.array(_text(self.h5[f"subjects/groups/{key}"]))

    def normalisation(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """``mean (F_num,)``, ``std (F_num,)`` fitted on ``split``'s training subjects."""
        if split not in self.observation_split_names:
            self.split(split)  # a clear error for an unknown split
        grp = self.h5[f"tabular/normalisation/{split}"]
        return grp["mean"][:], grp["std"][:]

    def target_normalisation(self, split: str) -> dict[str, dict[str, float]]:
        """Mean and standard deviation of each regression task over ``split``'s labelled
        training observations (models learn standardised targets, report task units)."""
        obs = self.observations()
        train = self.observation_parts(split) == 0
        stats = {}
        for t, task in enumerate(self.tasks):
            if task.kind != "regression":
                continue
            values = obs["values"][train, t]
            values = values[~np.isnan(values)]
            if len(values) < 2:
                raise StoreError(f"{self.path}: task {task.name!r} has {len(values)} labelled "
                                 f"training observations in split {split!r}")
            std = float(values.std(ddof=1))
            stats[task.name] = {"mean": float(values.mean()), "std": std if std > 0 else 1.0}
        return stats

    def observations(self) -> dict[str, np.ndarray]:
        """``subject_index (O,)``, ``drug_index (O,)``, ``values (O, T)`` (NaN = missing)."""
        grp = self.h5["observations"]
        return {k: grp[k][:] for k in ("subject_index", "drug_index", "values")}

    @cached_property
    def drug_names(self) -> list[str]:
        return _text(self.h5["drugs/name"])

    def drug_table(self) -> dict[str, np.ndarray]:
        """Every stored per-drug column ``(D, ...)``: name, smiles, features, and what the
        builder added (targets, pathway, descriptors, ...); text as str."""
        return _read_columns(self.h5["drugs"])

    def drug_inputs(self) -> dict:
        """What a drug encoder needs, as plain JSON-able values for the :class:`DataSpec`:
        ``drug_id`` (D) where the builder stored one, ``smiles`` (D) and ``features`` as
        ``{"dim": B, "on": [[bit, ...], ...]}`` for binary fingerprints or
        ``{"dim": B, "values": [[...], ...]}``; empty without them."""
        grp = self.h5["drugs"]
        inputs: dict = {}
        if "drug_id" in grp:
            inputs["drug_id"] = grp["drug_id"][:].tolist()
        if "smiles" in grp:
            inputs["smiles"] = _text(grp["smiles"])
        if "features" in grp:
            features = grp["features"][:]
            if np.isin(features, (0.0, 1.0)).all():
                inputs["features"] = {"dim": int(features.shape[1]),
                                      "on": [np.flatnonzero(row).tolist() for row in features]}
            else:
                inputs["features"] = {"dim": int(features.shape[1]), "values": features.tolist()}
        return inputs

    def variants(self, subject: int | None = None) -> dict[str, np.ndarray]:
        """Carried-variant table, all subjects or one (by subject index), each field ``(K,)``.

        Site fields (window_index, offset, pos, ids, ref, alt, ...) are joined in from the
        site table; ``site_index`` names the row of :attr:`variant_sites`.
        """
        grp = self.h5["variants"]
        if subject is None:
            rows = slice(None)
        else:
            offsets = grp["subject_offsets"]
            rows = slice(int(offsets[subject]), int(offsets[subject + 1]))
        table = {k: grp[k][rows] for k in grp if k not in ("subject_offsets", "sites")}
        sites = self.variant_sites
        for key, values in sites.items():
            table[key] = values[table["site_index"]]
        return table

    @cached_property
    def variant_sites(self) -> dict[str, np.ndarray]:
        """Every variant site carried by somebody in the cohort, each field ``(V,)``."""
        grp = self.h5["variants/sites"]
        return _read_columns(grp)

    def truth(self) -> dict:
        """Simulated ground truth: arrays plus ``model`` (the generative settings)."""
        if "truth" not in self.h5:
            raise StoreError(f"{self.path}: no ground truth (not a simulated cohort)")
        grp = self.h5["truth"]
        out = _read_columns(grp)
        out["model"] = json.loads(grp.attrs.get("model", "{}"))
        return out

    def spec(self, split: str, haplotypes: str = "dosage") -> DataSpec:
        """The :class:`DataSpec` a model trained on this store (and ``split``) needs."""
        if haplotypes not in ("dosage", "concat"):
            raise ValueError(f"haplotypes must be 'dosage' or 'concat', got {haplotypes!r}")
        tracks = self.h5["sequence/codes"].shape[2] if self.has_sequence else 1
        if haplotypes == "concat" and tracks != 2:
            raise StoreError(f"{self.path}: haplotypes='concat' needs a phased store "
                             f"(2 tracks), this one has {tracks}")
        schema = self.schema
        extra = {"split": split, "normalisation": {}}
        if self.has_tabular and schema.numeric_features:
            mean, std = self.normalisation(split)
            extra["normalisation"] = {"mean": mean.tolist(), "std": std.tolist()}
        extra["target_normalisation"] = self.target_normalisation(split)
        extra["vocabularies"] = {f.name: list(f.categories) for f in schema.categorical_features}
        extra["windows"] = self.windows
        extra["drugs"] = self.drug_names
        extra[SERVING_KEY] = serving_metadata(self, split)
        drug_inputs = self.drug_inputs()
        if drug_inputs:
            extra["drug_inputs"] = drug_inputs
        return DataSpec(
            schema_version=SCHEMA_VERSION,
            window_names=tuple(w["name"] for w in self.windows),
            window_length=int(self.h5["sequence/codes"].shape[3]) if self.has_sequence else 0,
            channels=8 if haplotypes == "concat" else 4,
            numeric_features=tuple(f.name for f in schema.numeric_features),
            categorical_features=tuple(f.name for f in schema.categorical_features),
            categorical_cardinalities=tuple(len(f.categories) + 1
                                            for f in schema.categorical_features),
            tasks=tuple(self.tasks),
            n_drugs=len(self.drug_names),
            store_fingerprint=self.fingerprint,
            extra=extra,
        )


def _read_columns(group: h5py.Group) -> dict[str, np.ndarray]:
    """Every dataset of ``group`` read whole; text (variable-length or fixed-width) as str."""
    return {k: (np.array(_text(group[k])) if h5py.check_string_dtype(group[k].dtype)
                else group[k][:]) for k in group}


def _text(dataset: h5py.Dataset, rows=slice(None)) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in dataset[rows]]
