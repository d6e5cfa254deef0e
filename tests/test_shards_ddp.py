"""Under DDP each rank reads from a shard set only the rows its sampler gives it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks.build_vcf_scale import write_cohort
from pgxdl.builders.vcf_ehr_shards import build_shards
from pgxdl.data.datamodule import CohortDataModule
from pgxdl.data.store import CohortStore
from pgxdl.paths import REPO_ROOT


@pytest.mark.slow
def test_ddp_ranks_read_disjoint_rows_covering_the_split(tmp_path, monkeypatch):
    monkeypatch.setenv("PGXDL_ID_SALT", "ddp-shard-salt")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    config = write_cohort(inputs, n_people=40, n_windows=1, length=120, sites=6, seed=3)
    index = build_shards(config, tmp_path / "shards", n_shards=3)
    out = tmp_path / "ranks"
    out.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                        os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(REPO_ROOT / "tests" / "ddp_shard_reads.py"),
                           str(index), str(out)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]

    train = CohortDataModule(str(index), split="default", allow_empty=["val", "test"]).rows["train"]
    assert len(train) % 2 == 0  # no DistributedSampler padding: every row once
    with CohortStore(index) as store:
        subject_of_row = store.observations()["subject_index"]
        codes = store.h5["sequence/codes"][:]
        shards = json.loads(store.h5.attrs["shards"])
    code_sums = codes.reshape(len(codes), -1).sum(axis=1)
    rows = [np.array(rank["rows"]) for rank in ranks]
    assert [rank["world_size"] for rank in ranks] == [2, 2]
    assert len(rows[0]) == len(rows[1]) == len(train) // 2
    assert not set(rows[0]) & set(rows[1])
    np.testing.assert_array_equal(np.sort(np.concatenate(rows)), np.sort(train))
    for rank, given in zip(ranks, rows, strict=True):
        read = np.array(rank["reads"])  # (reads, 2): subject, sum of its codes
        # each rank read the codes of exactly its own rows' subjects, in batch order
        np.testing.assert_array_equal(read[:, 0], subject_of_row[given])
        np.testing.assert_array_equal(read[:, 1], code_sums[read[:, 0]])
    subjects_per_rank = [set(subject_of_row[given]) for given in rows]
    bounds = np.cumsum([0] + [entry["n_subjects"] for entry in shards])
    for subjects in subjects_per_rank:  # both ranks read from more than one shard file
        assert len(set(np.searchsorted(bounds, sorted(subjects), side="right"))) > 1
