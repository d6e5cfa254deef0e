"""A user's own cohort: reference FASTA + VCF + EHR table -> cohort store.

Config (YAML; see ``configs/data/my_cohort.example.yaml``; unknown keys are errors,
:mod:`pgxdl.builders.config_schema`)::

    builder: vcf_ehr
    reference: path/to/reference.fa      # pyfaidx-readable; region-slice records allowed
    reference_build: GRCh38
    windows: configs/data/windows/grch38_pgx_2kb.yaml   # or an inline list
    vcf: path/to/cohort.vcf.gz           # samples named as in the EHR subject column
    phased: false                        # true keeps two haplotype tracks
    indel_policy: skip                   # or mask (N over the indel on carrying haplotypes)
    missing_policy: reference            # or N (a no-call is written as N)
    ref_mismatch_tolerance: 0.0          # largest fraction of REF alleles unlike the FASTA
    uncovered_windows: error             # or reference / N, or {default: error, CYP2D6: N}
    extra_vcf_samples: report            # or error: VCF samples absent from the EHR
    ehr: path/to/ehr.csv                 # .csv, .tsv or .parquet; one row per subject
    subject_column: subject_id           # read as text; surrounding spaces stripped
    strip_ids: true                      # false compares IDs exactly as written
    features: [...]                      # pgxdl.data.tabular.FeatureSpec entries
    tasks:                               # one column per task
      - {name: dose, kind: regression, column: weekly_dose_mg, units: mg/week}
      - {name: bleeding, kind: binary, column: bleeding}
      - {name: response, kind: multiclass, column: response, classes: [poor, partial, good]}
    groups: [site]                       # columns kept as group keys
    split: {val_fraction: 0.15, test_fraction: 0.15, kfold: 5, group_by: site}   # or none
    seed: 0

The build report (:func:`pgxdl.builders.vcf_ehr_report.build_report`) is stored in the
store's provenance and printed by ``pgxdl build``.

Memory is bounded by chunks, not by the cohort: the VCF's genotypes are spilled to an
unlinked temporary file (in ``$TMPDIR``; about ``S x V x 3`` bytes of disk) and personal
windows and carrier rows are built and written a chunk of subjects at a time
(:meth:`~pgxdl.genome.personal.builder.PersonalWindowBuilder.build_in_chunks`). The store
is the same as an in-memory build's (``tests/test_streaming_build.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pgxdl.builders.config_schema import validate_config
from pgxdl.builders.vcf_ehr_report import build_report, uncovered_policies
from pgxdl.data.cohort import Cohort, Observations, SequenceBlock
from pgxdl.data.ehr_table import group_keys, read_ehr_table, subject_ids
from pgxdl.data.spec import TaskSpec
from pgxdl.data.splits import standard_splits
from pgxdl.data.tabular import (
    TabularBlock,
    TabularSchema,
    TabularValueError,
    fit_normalisation,
)
from pgxdl.genome.errors import GenomeInputError
from pgxdl.genome.personal.builder import PersonalWindowBuilder
from pgxdl.genome.reference.fasta import ReferenceGenome
from pgxdl.genome.reference.windows import check_equal_length, load_windows
from pgxdl.genome.variants.vcf import read_vcf_with_report


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
            values = raw.map(lambda v, lookup=lookup: lookup.get(_label_text(v), -1)
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
        if values.isna().all():
            raise TabularValueError(f"{source}: task {task['name']!r} column {column!r} has no "
                                    f"value in any row; fill it in or drop the task")
        columns.append(values.to_numpy(dtype=np.float32))
        specs.append(TaskSpec(task["name"], task["kind"], task.get("units", ""), len(classes)))
    return np.column_stack(columns), specs


def _label_text(value) -> str:
    """A class label as text: ``2.0`` (a column with blanks reads as float) is ``"2"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def build(config: dict, shard: tuple[int, int] | None = None) -> Cohort:
    """Build a :class:`Cohort` from a reference, a VCF and an EHR table (see module doc).

    ``shard=(start, stop)`` builds only the EHR table's subjects ``start:stop``, with the
    splits and normalisation statistics of the whole cohort
    (:mod:`pgxdl.builders.vcf_ehr_shards`).
    """
    validate_config("vcf_ehr", config)
    source = str(config["ehr"])
    table = read_ehr_table(config["ehr"], id_columns=[config["subject_column"]])
    subjects = subject_ids(table, config["subject_column"], source,
                           strip=bool(config.get("strip_ids", True)))
    # The EHR side first: its errors come before the (slow) VCF read.
    values, tasks = task_values(table, config["tasks"], source)
    tabular = TabularSchema.from_config(config["features"]).encode(table, source=source)
    groups = {key: group_keys(table, key, source) for key in config.get("groups", [])}
    notes: list[str] = []
    splits = standard_splits(values[:, 0], groups, config.get("split", {}),
                             config.get("seed", 0), notes=notes)
    n_cohort = len(subjects)
    normalisation = {}
    if shard is not None:  # cohort-wide statistics, then this shard's rows
        normalisation = {name: fit_normalisation(tabular.numeric, np.asarray(parts) == 0)
                         for name, parts in splits.items()}
        rows = slice(*shard)
        subjects, values = subjects[rows], values[rows]
        tabular = TabularBlock(tabular.numeric[rows], tabular.categorical[rows], tabular.schema)
        groups = {key: np.asarray(keys)[rows] for key, keys in groups.items()}
        splits = {name: np.asarray(parts)[rows] for name, parts in splits.items()}
    reference = ReferenceGenome(config["reference"], build=config.get("reference_build"))
    windows = load_windows(config["windows"], reference_build=reference.build)
    check_equal_length(windows)
    reference.fetch_windows(windows)  # every window inside the reference, before the VCF
    tolerance = float(config.get("ref_mismatch_tolerance", 0.0))
    callset, vcf_report = read_vcf_with_report(
        config["vcf"], samples=subjects, windows=windows, reference=reference,
        min_ref_match=float(config.get("min_ref_match", 0.9)),
        ref_mismatch_tolerance=tolerance, spill=True)
    n_extra = vcf_report.n_file_samples - n_cohort
    if n_extra and config.get("extra_vcf_samples", "report") == "error":
        raise GenomeInputError(f"{config['vcf']}: {n_extra} of its {vcf_report.n_file_samples} "
                               f"samples have no row in {source}; add them to the EHR table or "
                               f"set extra_vcf_samples: report to build without them")
    policies = uncovered_policies(config.get("uncovered_windows", "error"), windows,
                                  vcf_report, str(config["vcf"]))
    personal = PersonalWindowBuilder(
        reference, windows, phased=bool(config.get("phased", False)),
        indel_policy=config.get("indel_policy", "skip"),
        missing_policy=config.get("missing_policy", "reference"),
        ref_mismatch_tolerance=tolerance, oriented=bool(config.get("oriented", False)),
        uncalled_windows=[i for i, w in enumerate(windows) if policies.get(w.name) == "N"],
    ).build_in_chunks(callset)
    report = build_report(len(subjects), vcf_report, personal.report, policies, notes)
    return Cohort(
        subject_ids=subjects,
        sequence=SequenceBlock.from_personal(windows, personal),
        tabular=tabular,
        observations=Observations.one_drug(values, tasks, config.get("drug", "drug")),
        groups=groups,
        splits=splits,
        provenance={"builder": "vcf_ehr", "config": config, "build_report": report,
                    "inputs": [config["reference"], config["vcf"], config["ehr"]],
                    "reference_name": str(config["reference"]),
                    "reference_build": reference.build or ""},
        normalisation=normalisation,
    )
