"""Build a ``vcf_ehr`` cohort as shards in parallel processes, plus their index.

    build_shards(config, folder, n_shards=4, processes=2) -> folder / "cohort.h5"

The EHR table's subjects are cut into ``n_shards`` contiguous ranges; each shard is an
ordinary store of one range (:func:`pgxdl.builders.vcf_ehr.build` with ``shard=``), built
in its own process (or, on a cluster, one SLURM array task per shard:
:func:`build_one_shard`), with the splits and normalisation statistics of the whole cohort
and one salt, so subject hashes and splits agree across shards. The index
(:func:`pgxdl.data.shards.write_shard_index`) joins them; ``CohortDataModule`` reads it as
one cohort. Every shard's provenance carries the build id the index checks on open.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pgxdl.builders import vcf_ehr
from pgxdl.builders.config_schema import validate_config
from pgxdl.builders.store_build import collector_spares_imports
from pgxdl.data.ehr_table import read_ehr_table, subject_ids
from pgxdl.data.shards import write_shard_index
from pgxdl.data.store_writer import SALT_ENV, file_sha256, prepare_output, write_store


def shard_ranges(n_subjects: int, n_shards: int) -> list[tuple[int, int]]:
    """``n_shards`` contiguous ``(start, stop)`` ranges covering ``n_subjects``, sizes within 1."""
    if not 1 <= n_shards <= max(n_subjects, 1):
        raise ValueError(f"n_shards must be in [1, {n_subjects}] (one subject at least per "
                         f"shard), got {n_shards}")
    bounds = [round(i * n_subjects / n_shards) for i in range(n_shards + 1)]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def build_one_shard(config: dict, path: str | Path, shard: dict, salt: str,
                    input_sha256: dict[str, str]) -> Path:
    """Build shard ``shard["index"]`` (subjects ``first_subject ...``) into ``path``."""
    start = shard["first_subject"]
    with collector_spares_imports():
        cohort = vcf_ehr.build(config, shard=(start, start + shard["n_subjects"]))
        cohort.provenance.pop("inputs", None)
        cohort.provenance.update({"input_sha256": input_sha256, "shard": shard,
                                  "command": "pgxdl.builders.vcf_ehr_shards"})
        return write_store(path, cohort, salt=salt, progress=False)


def build_shards(config: dict, folder: str | Path, n_shards: int, processes: int = 1,
                 salt: str | None = None, name: str = "cohort") -> Path:
    """Build ``n_shards`` shard stores ``<name>.shard-<i>-of-<n>.h5`` and the index
    ``<name>.h5`` in ``folder``, ``processes`` shards at a time. Returns the index path."""
    settings = {k: v for k, v in config.items() if k != "builder"}
    validate_config("vcf_ehr", settings)
    folder = Path(folder)
    index = folder / f"{name}.h5"
    prepare_output(index)
    table = read_ehr_table(settings["ehr"], id_columns=[settings["subject_column"]])
    n_cohort = len(subject_ids(table, settings["subject_column"], str(settings["ehr"]),
                               strip=bool(settings.get("strip_ids", True))))
    salt = salt or os.environ.get(SALT_ENV) or secrets.token_hex(16)
    hashes = {str(p): file_sha256(p) for p in (settings["reference"], settings["vcf"],
                                               settings["ehr"])}
    build_id = secrets.token_hex(8)
    jobs = []
    for i, (start, stop) in enumerate(shard_ranges(n_cohort, n_shards)):
        shard = {"build_id": build_id, "index": i, "n_shards": n_shards,
                 "first_subject": start, "n_subjects": stop - start, "n_cohort": n_cohort}
        jobs.append((folder / f"{name}.shard-{i}-of-{n_shards}.h5", shard))
    if processes <= 1:
        paths = [build_one_shard(settings, p, s, salt, hashes) for p, s in jobs]
    else:
        context = multiprocessing.get_context("spawn")  # no forked torch/h5py state
        with ProcessPoolExecutor(processes, mp_context=context) as pool:
            paths = list(pool.map(build_one_shard, [settings] * len(jobs),
                                  [p for p, _ in jobs], [s for _, s in jobs],
                                  [salt] * len(jobs), [hashes] * len(jobs)))
    return write_shard_index(index, paths)
