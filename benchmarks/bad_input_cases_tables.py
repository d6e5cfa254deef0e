"""Bad-input cases of EHR tables and of builder configs (issue 14 items 6, 11-14)."""

from __future__ import annotations

import copy

import h5py
import numpy as np

from benchmarks.bad_input_case import error_case, handled_case
from benchmarks.bad_input_world import check_sites, id_hashes, stored_ids
from pgxdl.builders.config_schema import validate_config
from pgxdl.builders.store_build import build_store, load_config
from pgxdl.data.tabular import TabularValueError
from pgxdl.genome.errors import SampleNotFoundError

EHR = r"ehr\.csv"
LB_TO_KG = 0.45359237


def _ehr_text(edit, name: str = "ehr.csv", **overrides):
    """Write the default EHR CSV text changed by ``edit(text)``, then build."""
    def run(world):
        world.write_ehr(text=edit(world.ehr_frame.to_csv(index=False)), name=name)
        return world.build(**overrides)
    return run


def _ehr_frame(change, name: str = "ehr.csv", **overrides):
    """Write the default EHR table changed by ``change(frame) -> frame``, then build."""
    def run(world):
        world.write_ehr(change(world.ehr_frame.copy()), name=name)
        return world.build(**overrides)
    return run


def _set(column: str, row: int, value):
    def change(frame):
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
        return frame
    return change


def _numeric(store, column: int) -> np.ndarray:
    with h5py.File(store, "r") as h5:
        return h5["tabular/numeric"][:, column]


def _categorical(store, column: int) -> np.ndarray:
    with h5py.File(store, "r") as h5:
        return h5["tabular/categorical"][:, column]


def _renamed_samples(names: list[str], ehr_names: list[str] | None = None,
                     name: str = "ehr.csv", **overrides):
    """Name the VCF samples ``names`` and the EHR subjects ``ehr_names`` (default: same)."""
    def run(world):
        world.samples = names
        world.write_vcf()
        world.write_ehr(world.ehr_frame.assign(subject=ehr_names or names), name=name)
        return world.build(**overrides)
    return run


def _check_ids(ids: list[str]):
    def check(world, store):
        assert stored_ids(store) == id_hashes(ids), "stored subject hashes differ"
        check_sites(world, store)
    return check


def _check_ages(world, store):
    np.testing.assert_array_equal(_numeric(store, 0), world.ehr_frame["age"].to_numpy())
    check_sites(world, store)


def _config(change):
    def run(world):
        config = copy.deepcopy(world.config)
        change(config)
        return build_store(config, world.out, echo=world.printed.append, progress=False)
    return run


def _feature(index: int, **fields):
    def change(config):
        config["features"][index] = {**config["features"][index], **fields}
    return change


def _config_file(text: str, overrides=()):
    def run(world):
        path = world.folder / "data.yaml"
        path.write_text(text)
        return load_config(path, list(overrides))
    return run


def _units_column(world, units=("lb", "kg", "lb", "kg", "lb", "kg")):
    frame = world.ehr_frame.assign(weight_units=list(units),
                                   weight_lb=[150, 77, 200, 59, 180, 72.5])
    world.write_ehr(frame)
    return world.build(features=[
        {"name": "age", "kind": "numeric", "units": "years"},
        {"name": "weight", "kind": "numeric", "column": "weight_lb", "units": "kg",
         "units_column": "weight_units"}])


def _check_units_column(world, store):
    want = [150 * LB_TO_KG, 77, 200 * LB_TO_KG, 59, 180 * LB_TO_KG, 72.5]
    np.testing.assert_allclose(_numeric(store, 1), want, rtol=1e-6)


def _binary(values):
    def run(world):
        world.write_ehr(world.ehr_frame.assign(smoker=values))
        return world.build(features=[{"name": "smoker", "kind": "binary"}])
    return run


def _task(task: dict, column: str, values):
    def run(world):
        world.write_ehr(world.ehr_frame.assign(**{column: values}))
        return world.build(tasks=[task])
    return run


def _check_numeric_classes(world, store):
    with h5py.File(store, "r") as h5:
        values = h5["observations/values"][:, 0]
    np.testing.assert_array_equal(values, [0, 1, 2, np.nan, 1, 0])


CASES = [
    error_case("ehr_empty_file", "ehr", _ehr_text(lambda t: ""), TabularValueError, EHR,
               "empty", "no header line", issue="14.11"),
    error_case("ehr_header_only", "ehr", _ehr_text(lambda t: t.splitlines()[0] + "\n"),
               TabularValueError, EHR, "no data rows", issue="14.11"),
    error_case("ehr_ragged_row", "ehr",
               _ehr_text(lambda t: t.replace("S3,70,200,b,33,good", "S3,70,200,b,33,good,x")),
               TabularValueError, EHR, "line 4", "7 fields", "header has 6", issue="14.11"),
    error_case("ehr_unquoted_decimal_comma", "ehr",
               _ehr_text(lambda t: t.replace("S2,60,170", "S2,60,170,5")),
               TabularValueError, EHR, "line 3", "decimal comma", "quote", issue="14.11"),
    error_case("ehr_short_row", "ehr", _ehr_text(lambda t: t.replace("S4,40,130,b,40,partial",
                                                                    "S4,40,130")),
               TabularValueError, EHR, "line 5", "3 fields", "header has 6", issue="14.11"),
    handled_case("ehr_trailing_delimiters", "ehr",
                 _ehr_text(lambda t: t.replace("\n", ",\n").replace("response,", "response", 1)),
                 _check_ages),
    handled_case("ehr_header_trailing_delimiter", "ehr",
                 _ehr_text(lambda t: t.replace("\n", ",\n")), _check_ages),
    error_case("ehr_semicolon_separated", "ehr", _ehr_text(lambda t: t.replace(",", ";")),
               TabularValueError, EHR, "line 1", "semicolons", "commas"),
    error_case("task_no_value_at_all", "ehr", _ehr_frame(lambda f: f.assign(dose=np.nan)),
               TabularValueError, EHR, "task 'dose'", "no value in any row"),
    error_case("ehr_duplicate_subject", "ehr", _ehr_frame(_set("subject", 3, "S1")),
               TabularValueError, EHR, "lines 2 and 5", "one row per subject", issue="14.12"),
    error_case("ehr_blank_subject", "ehr", _ehr_frame(_set("subject", 1, "")),
               TabularValueError, EHR, "line 3", "blank subject ID", issue="14.13"),
    error_case("ehr_whitespace_subject", "ehr", _ehr_text(lambda t: t.replace("S2,", "  ,")),
               TabularValueError, EHR, "line 3", "blank subject ID", issue="14.13"),
    handled_case("ehr_ids_with_leading_zeros", "ehr",
                 _renamed_samples([f"00{i}" for i in range(1, 7)]),
                 _check_ids([f"00{i}" for i in range(1, 7)]), issue="14.14"),
    handled_case("ehr_id_NA_is_an_id", "ehr",
                 _renamed_samples(["S1", "S2", "S3", "S4", "NA", "null"]),
                 _check_ids(["S1", "S2", "S3", "S4", "NA", "null"]), issue="14.14"),
    handled_case("ehr_ids_padded_stripped", "ehr",
                 _renamed_samples([f"S{i}" for i in range(1, 7)],
                                  [f" S{i} " for i in range(1, 7)]),
                 _check_ids([f"S{i}" for i in range(1, 7)])),
    error_case("ehr_ids_padded_strip_false", "ehr",
               _renamed_samples([f"S{i}" for i in range(1, 7)],
                                [f" S{i} " for i in range(1, 7)], strip_ids=False),
               SampleNotFoundError, "absent from", "exactly, as text"),
    handled_case("ehr_bom_and_crlf", "ehr",
                 _ehr_text(lambda t: "\ufeff" + t.replace("\n", "\r\n")), _check_ages),
    error_case("ehr_not_utf8", "ehr",
               _ehr_text(lambda t: t.encode().replace(b"S3,70,200,b,", b"S3,70,200,b\xe9,")),
               TabularValueError, EHR, "line 4", "not UTF-8", "save the table as UTF-8"),
    error_case("ehr_utf16_export", "ehr", _ehr_text(lambda t: t.encode("utf-16")),
               TabularValueError, EHR, "line 1", "not UTF-8"),
    error_case("ehr_duplicate_column_names", "ehr",
               _ehr_text(lambda t: t.replace("weight_lb", "age", 1)), TabularValueError, EHR,
               "line 1", "'age'", "more than once"),
    error_case("ehr_subject_column_missing", "ehr", lambda w: w.build(subject_column="patient"),
               TabularValueError, EHR, "subject column 'patient' missing"),
    error_case("ehr_feature_column_missing", "ehr", _config(_feature(0, column="Age")),
               TabularValueError, EHR, "column 'Age'", "is missing"),
    error_case("ehr_numeric_text", "ehr", _ehr_frame(_set("age", 1, "fifty")),
               TabularValueError, EHR, "'age'", "not a number", "row 2: 'fifty'"),
    error_case("ehr_value_out_of_range", "ehr", _ehr_frame(_set("age", 2, 150),
                                                           features=[{"name": "age",
                                                                      "kind": "numeric",
                                                                      "max": 100}]),
               TabularValueError, EHR, "'age'", "outside the allowed range", "row 3"),
    error_case("ehr_unknown_category", "ehr", _ehr_frame(_set("site", 4, "d")),
               TabularValueError, EHR, "'site'", "not one of the categories", "row 5: 'd'"),
    handled_case("ehr_unknown_category_as_missing", "ehr",
                 _ehr_frame(_set("site", 4, "d"), features=[
                     {"name": "site", "kind": "categorical", "categories": ["a", "b", "c"],
                      "unknown": "missing"}]),
                 lambda w, s: np.testing.assert_array_equal(_categorical(s, 0),
                                                            [1, 1, 2, 2, 0, 3])),
    handled_case("ehr_pounds_to_kg", "ehr", lambda w: w.build(),
                 lambda w, s: np.testing.assert_allclose(
                     _numeric(s, 1), w.ehr_frame["weight_lb"] * LB_TO_KG, rtol=1e-6)),
    handled_case("ehr_units_column_mixed", "ehr", _units_column, _check_units_column),
    error_case("ehr_units_column_unknown_unit", "ehr",
               lambda w: _units_column(w, ["lb", "stone", "lb", "kg", "lb", "kg"]),
               TabularValueError, "'weight'", "no conversion from unit 'stone'"),
    handled_case("ehr_binary_words", "ehr", _binary(["yes", "no", "Y", "n", "TRUE", "0"]),
                 lambda w, s: np.testing.assert_array_equal(_numeric(s, 0), [1, 0, 1, 0, 1, 0])),
    error_case("ehr_binary_unparseable", "ehr", _binary(["yes", "maybe", "no", "no", "1", "0"]),
               TabularValueError, EHR, "'smoker'", "not a binary value", "row 2: 'maybe'"),
    error_case("task_multiclass_unknown_label", "ehr", _ehr_frame(_set("response", 0, "great")),
               TabularValueError, EHR, "row 1", "'response'", "not a valid multiclass"),
    error_case("task_binary_not_01", "ehr",
               _task({"name": "bleed", "kind": "binary"}, "bleed", [0, 1, 2, 0, 1, 0]),
               TabularValueError, EHR, "row 3", "'bleed'", "not a valid binary"),
    error_case("task_regression_text", "ehr", _ehr_frame(_set("dose", 5, "thirty")),
               TabularValueError, EHR, "row 6", "'dose'", "not a valid regression"),
    handled_case("task_multiclass_numeric_with_blank", "ehr",
                 _task({"name": "band", "kind": "multiclass", "classes": [0, 1, 2]}, "band",
                       [0, 1, 2, None, 1, 0]), _check_numeric_classes),
    error_case("task_column_missing", "ehr", _config(lambda c: c["tasks"][0].update(
        column="weekly_dose")), TabularValueError, EHR, "task 'dose'", "'weekly_dose'"),
    error_case("ehr_missing_file", "ehr", lambda w: w.build(ehr=str(w.folder / "none.csv")),
               FileNotFoundError, r"none\.csv", "not found"),
    error_case("ehr_unknown_file_type", "ehr", _ehr_text(lambda t: t, name="ehr.json"),
               TabularValueError, r"ehr\.json", "unknown EHR table type"),
    error_case("ehr_damaged_spreadsheet", "ehr", _ehr_text(lambda t: b"PK\x03\x04",
                                                           name="ehr.xlsx"),
               TabularValueError, r"ehr\.xlsx", "cannot read as an Excel workbook"),
    handled_case("ehr_spreadsheet_leading_zero_ids", "ehr",
                 lambda w: _renamed_samples([f"00{i}" for i in range(1, 7)],
                                            name="ehr.xlsx")(w),
                 _check_ids([f"00{i}" for i in range(1, 7)]), issue="14.14"),
    handled_case("ehr_tsv", "ehr", _ehr_frame(lambda f: f, name="ehr.tsv"), _check_ages),
    handled_case("ehr_parquet_text_ids", "ehr", _ehr_frame(lambda f: f, name="ehr.parquet"),
                 _check_ids([f"S{i}" for i in range(1, 7)])),
    error_case("ehr_parquet_float_ids", "ehr",
               _ehr_frame(lambda f: f.assign(subject=[1.0, 2, 3, 4, 5, np.nan]),
                          name="ehr.parquet"),
               TabularValueError, r"ehr\.parquet", "'subject'", "floating-point",
               "identifiers as text"),
    error_case("ehr_blank_group_key", "ehr", _ehr_frame(_set("site", 2, None)),
               TabularValueError, EHR, "line 4", "'site'", "blank group key"),
    error_case("ehr_group_column_missing", "ehr", lambda w: w.build(groups=["hospital"]),
               TabularValueError, EHR, "group column 'hospital' missing"),
    error_case("config_typo_top_level", "config", lambda w: w.build(phasedd=True), ValueError,
               "unknown key 'phasedd'", "did you mean 'phased'", issue="14.6"),
    error_case("config_typo_split_key", "config", lambda w: w.build(split={"val_fractoin": .2}),
               ValueError, "split", "'val_fractoin'", "did you mean 'val_fraction'"),
    error_case("config_typo_feature_key", "config", _config(_feature(0, unit="years")),
               ValueError, r"features\[0\]", "did you mean 'units'"),
    error_case("config_typo_feature_kind", "config", _config(_feature(0, kind="numerc")),
               ValueError, r"features\[0\]\.kind", "did you mean 'numeric'"),
    error_case("config_typo_task_key", "config",
               _config(lambda c: c["tasks"][1].update(clases=["a"])), ValueError,
               r"tasks\[1\]", "did you mean 'classes'"),
    error_case("config_task_without_name", "config",
               _config(lambda c: c["tasks"][0].pop("name")), ValueError, r"tasks\[0\]",
               "lacks 'name'"),
    error_case("config_policy_typo", "config", lambda w: w.build(indel_policy="masked"),
               ValueError, "indel_policy", "'masked'", "did you mean 'mask'"),
    error_case("config_split_not_mapping", "config", lambda w: w.build(split=[0.1, 0.1]),
               ValueError, "'split' must be a mapping"),
    error_case("config_unknown_builder", "config", _config(lambda c: c.update(builder="vcfehr")),
               ValueError, "unknown builder 'vcfehr'", "did you mean 'vcf_ehr'"),
    error_case("config_missing_builder", "config", _config(lambda c: c.pop("builder")),
               ValueError, "lacks 'builder'"),
    error_case("config_missing_required", "config", _config(lambda c: c.pop("tasks")),
               ValueError, "vcf_ehr config lacks", "'tasks'"),
    error_case("config_simulated_outcome_typo", "config",
               lambda w: validate_config("simulated", {"outcome": {"n_aditive": 3}}),
               ValueError, "outcome", "did you mean 'n_additive'"),
    error_case("config_yaml_syntax", "config",
               _config_file("builder: vcf_ehr\nfeatures: [age, weight\nseed: 0\n"), ValueError,
               r"data\.yaml", "line 3", "not valid YAML"),
    error_case("config_file_missing", "config",
               lambda w: load_config(w.folder / "none.yaml"), FileNotFoundError,
               r"none\.yaml", "not found"),
    error_case("config_not_a_mapping", "config", _config_file("- a\n- b\n"), ValueError,
               r"data\.yaml", "must be a mapping"),
    error_case("config_override_without_value", "config",
               _config_file("builder: vcf_ehr\n", ["phased"]), ValueError, "--set 'phased'",
               "key=value"),
]
CASES += [
    error_case("config_tolerance_as_percent_text", "config",
               lambda w: w.build(ref_mismatch_tolerance="5%"), ValueError,
               "ref_mismatch_tolerance", "'5%'", "not a number from 0 to 1"),
    error_case("config_phased_as_text", "config", lambda w: w.build(phased="yes"), ValueError,
               "phased", "'yes'", "boolean"),
    error_case("config_kfold_fraction", "config", lambda w: w.build(split={"kfold": 2.5}),
               ValueError, "split.kfold", "whole number"),
    error_case("config_no_tasks", "config", lambda w: w.build(tasks=[]), ValueError,
               "'tasks' is empty"),
    error_case("config_inline_window_typo", "config",
               lambda w: w.build(windows=[{"name": "w1", "chrom": "chr1", "centre": 40,
                                           "length": 40, "strand": "+"}]),
               ValueError, r"windows\[0\]", "did you mean 'center'"),
    error_case("config_split_none_for_simulated", "config",
               lambda w: validate_config("simulated", {"split": "none"}), ValueError,
               "split: none", "vcf_ehr", "simulated builder needs a mapping"),
    error_case("windows_none_declared", "windows",
               lambda w: w.build(windows=str(w.write_windows([]))), ValueError,
               r"windows\.yaml", "no windows declared"),
]
CASES += [
    error_case("ehr_checked_before_vcf_read", "ehr",
               _ehr_frame(_set("age", 0, "old"), vcf="/nonexistent/huge.vcf.gz"),
               TabularValueError, EHR, "'age'", "row 1: 'old'"),
]
