"""A user's own cohort: reference FASTA + VCF + EHR table -> cohort store.

Config (YAML; see ``configs/data/my_cohort.example.yaml``)::

    builder: vcf_ehr
    reference: path/to/reference.fa      # pyfaidx-readable; region-slice records allowed
    reference_build: GRCh38
    windows: configs/data/windows/grch38_pgx_2kb.yaml   # or an inline list
    vcf: path/to/cohort.vcf.gz           # samples named as in the EHR subject column
    phased: false                        # true keeps two haplotype tracks
    ehr: path/to/ehr.csv                 # .csv, .tsv or .parquet; one row per subject
    subject_column: subject_id
    features: [...]                      # pgxdl.data.tabular.FeatureSpec entries
    tasks:                               # one column per task
      - {name: dose, kind: regression, column: weekly_dose_mg, units: mg/week}
      - {name: bleeding, kind: binary, column: bleeding}
      - {name: response, kind: multiclass, column: response, classes: [poor, partial, good]}
    groups: [site]                       # columns kept as group keys
    split: {val_fraction: 0.15, test_fraction: 0.15, kfold: 5, group_by: site}
    seed: 0
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.spec import TaskSpec
from pgxdl.data.splits import standard_splits
from pgxdl.data.tabular import TabularSchema, TabularValueError
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import load_windows
from pgxdl.genome.variants.vcf import read_vcf

REQUIRED = ("reference", "windows", "vcf", "ehr", "subject_column", "features", "tasks")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet table; every column as read, nothing dropped."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: EHR table not found")
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, sep="\t" if path.suffix in (".tsv", ".txt") else ",")


def task_values(table: pd.DataFrame, tasks: list[dict], source: str) -> tuple[np.ndarray, list]:
    """Targets ``(S, T)`` float32 (NaN = missing) and their :class:`TaskSpec` list."""
    columns, specs = [], []
    for task in tasks:
        column = task.get("column", task["name"])
        if column not in table.columns:
            raise TabularValueError(f"{source}: task {task['name']!r} column {column!r} missing")
        raw = table[column]
        classes = [str(c) for c in task.get("classes", [])]
        if task["kind"] == "multiclass":
            lookup = {c: i for i, c in enumerate(classes)}
            values = raw.map(lambda v, lookup=lookup: lookup.get(str(v), -1)
                             if pd.notna(v) else np.nan).astype(float)
            bad = values.to_numpy() == -1
        else:
            values = pd.to_numeric(raw, errors="coerce")
            bad = raw.notna().to_numpy() & values.isna().to_numpy()
            if task["kind"] == "binary":
                bad |= values.notna().to_numpy() & ~values.isin([0, 1]).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise TabularValueError(f"{source}: row {row + 1}, column {column!r}: "
                                    f"{raw.iloc[row]!r} is not a valid {task['kind']} label")
        columns.append(values.to_numpy(dtype=np.float32))
        specs.append(TaskSpec(task["name"], task["kind"], task.get("units", ""), len(classes)))
    return np.column_stack(columns), specs


def build(config: dict) -> Cohort:
    """Build a :class:`Cohort` from a reference, a VCF and an EHR table (see module doc)."""
    missing = [key for key in REQUIRED if key not in config]
    if missing:
        raise ValueError(f"vcf_ehr config lacks {missing}")
    table = read_table(config["ehr"])
    source = str(config["ehr"])
    subject_column = config["subject_column"]
    if subject_column not in table.columns:
        raise TabularValueError(f"{source}: subject column {subject_column!r} missing")
    subjects = table[subject_column].astype(str).tolist()
    reference = ReferenceGenome(config["reference"], build=config.get("reference_build"))
    windows = load_windows(config["windows"])
    phased = bool(config.get("phased", False))
    callset = read_vcf(config["vcf"], samples=subjects, windows=windows, reference=reference)
    personal = PersonalWindowBuilder(reference, windows, phased=phased).stream(callset)
    values, tasks = task_values(table, config["tasks"], source)
    schema = TabularSchema.from_config(config["features"])
    groups = {key: table[key].astype(str).to_numpy() for key in config.get("groups", [])}
    return Cohort(
        subject_ids=subjects,
        sequence=SequenceBlock.from_personal(windows, personal),
        tabular=schema.encode(table, source=source),
        observations=Observations.one_drug(values, tasks, config.get("drug", "drug")),
        groups=groups,
        splits=standard_splits(values[:, 0], groups, config.get("split", {}),
                             config.get("seed", 0)),
        provenance={"builder": "vcf_ehr", "config": config,
                    "inputs": [config["reference"], config["vcf"], config["ehr"]],
                    "reference_name": str(config["reference"]),
                    "reference_build": config.get("reference_build", "")},
    )
