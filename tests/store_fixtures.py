"""A tiny hand-made cohort (no genome layer needed) for store and loader tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.spec import TaskSpec
from pgxdl.data.splits import holdout_split
from pgxdl.data.tabular import TabularSchema
from pgxdl.genome.reference.windows import WindowSpec

SCHEMA = TabularSchema.from_config([
    {"name": "age", "kind": "numeric", "units": "years", "min": 0, "max": 120},
    {"name": "weight", "kind": "numeric", "units": "kg", "source_units": "lb"},
    {"name": "smoker", "kind": "binary"},
    {"name": "site", "kind": "categorical", "categories": ["a", "b", "c"]},
])


def tiny_cohort(n: int = 40, n_windows: int = 2, length: int = 16, seed: int = 0) -> Cohort:
    rng = np.random.default_rng(seed)
    windows = [WindowSpec(f"w{i}", f"G{i}", "chr1", 100 * i + 1, 100 * i + length, "+")
               for i in range(n_windows)]
    reference = rng.integers(0, 4, (n_windows, length)).astype(np.uint8)
    codes = np.repeat(reference[None, :, None, :], n, axis=0).copy()
    subject = np.arange(n)
    codes[subject, 0, 0, subject % length] = 6  # one het site per subject (IUPAC R)
    variants = {"subject_index": subject.astype(np.int32), "window_index": np.zeros(n, np.int32),
                "offset": (subject % length).astype(np.int32),
                "pos": (subject % length + 1).astype(np.int64),
                "ids": np.array([f"rs{i}" for i in subject]), "ref": np.array(["A"] * n),
                "alt": np.array(["G"] * n), "allele_count": np.ones(n, np.int8),
                "hap_mask": np.zeros(n, np.uint8)}
    ehr = pd.DataFrame({"age": rng.uniform(20, 80, n), "weight": rng.uniform(100, 250, n),
                        "smoker": rng.integers(0, 2, n),
                        "site": rng.choice(["a", "b", "c"], n)})
    ehr.loc[3, "age"] = np.nan
    values = np.column_stack([rng.normal(30, 10, n), rng.integers(0, 2, n)]).astype(np.float32)
    values[5, 1] = np.nan
    tasks = [TaskSpec("dose", "regression", "mg/week"), TaskSpec("event", "binary")]
    return Cohort(
        subject_ids=[f"PATIENT-{i:04d}" for i in range(n)],
        sequence=SequenceBlock(windows, reference, codes, 1, variants),
        tabular=SCHEMA.encode(ehr),
        observations=Observations.one_drug(values, tasks),
        groups={"site": ehr["site"].to_numpy()},
        splits={"default": holdout_split(n, 0.2, 0.2, seed)},
    )
