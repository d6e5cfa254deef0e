"""The IWPC table reader: CSV/TSV/Excel, column-name normalisation, parsing and clear errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from iwpc_fixtures import HEADER, patient, write_iwpc_csv

from pgxdl.iwpc.table import IWPCTableError, read_iwpc_table


def _rows():
    return [
        patient("PA1"),
        patient("PA2", **{"Age": "90+", "VKORC1 -1639 consensus": "G/A",
                          "CYP2C9 consensus": "*3/*1", "Race (OMB)": "",
                          "Simvastatin (Zocor)": "YES", "Aspirin": "NO",
                          "Therapeutic Dose of Warfarin": ""}),
        patient("PA3", **{"Age": "10 - 19", "Project Site": "7", "Height (cm)": "",
                          "Gender": "-99", "Phenytoin (Dilantin)": "1.0"}),
    ]


def test_csv_values_are_parsed_and_names_normalised(tmp_path):
    table = read_iwpc_table(write_iwpc_csv(tmp_path / "iwpc.csv", _rows()))
    frame = table.frame
    assert list(table.rows) == [2, 3, 4]
    assert frame["age_decade"].tolist() == [6.0, 9.0, 1.0]
    assert frame["vkorc1_rs9923231"].tolist() == ["G/G", "A/G", "G/G"]
    assert frame["cyp2c9"].tolist() == ["*1/*1", "*1/*3", "*1/*1"]
    assert frame["race"].tolist() == ["White", "Unknown", "White"]
    assert frame["simvastatin"].iloc[1] == 1.0 and frame["aspirin"].iloc[1] == 0.0
    assert math.isnan(frame["dose_mg_week"].iloc[1]) and math.isnan(frame["height_cm"].iloc[2])
    assert frame["phenytoin"].iloc[2] == 1.0 and math.isnan(frame["phenytoin"].iloc[0])
    assert frame["gender"].isna().tolist() == [False, False, True]
    assert frame["vkorc1_rs17880887"].isna().all()  # the "-4451" column, spelled with spaces


def test_tsv_and_excel_give_the_same_frame_as_csv(tmp_path):
    reference = read_iwpc_table(write_iwpc_csv(tmp_path / "iwpc.csv", _rows())).frame
    tsv = read_iwpc_table(write_iwpc_csv(tmp_path / "iwpc.tsv", _rows(), delimiter="\t"))
    pd.testing.assert_frame_equal(tsv.frame, reference)
    # PharmGKB-like workbook: a notes sheet first, a title row above the header, numbers as
    # numbers (site 1 -> 1.0 in Excel) and header names with runs of spaces.
    body = pd.read_csv(tmp_path / "iwpc.csv", dtype=str, keep_default_na=False)
    body["Project Site"] = body["Project Site"].astype(float)
    path = tmp_path / "iwpc.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"notes": ["column dictionary"]}).to_excel(writer, sheet_name="Notes",
                                                                 index=False)
        pd.DataFrame([["IWPC data"]]).to_excel(writer, sheet_name="Subject Data",
                                                index=False, header=False)
        body.to_excel(writer, sheet_name="Subject Data", index=False, startrow=1)
    excel = read_iwpc_table(path)
    pd.testing.assert_frame_equal(excel.frame, reference)
    assert list(excel.rows) == [3, 4, 5]  # title row 1, header row 2


def test_missing_required_columns_are_all_named(tmp_path):
    header = [name for name in HEADER if name not in ("Age", "CYP2C9 consensus")]
    path = write_iwpc_csv(tmp_path / "cut.csv", _rows(), header=header)
    with pytest.raises(IWPCTableError, match=r"cut\.csv.*'Age'.*'CYP2C9 consensus'"):
        read_iwpc_table(path)


@pytest.mark.parametrize("column, value, message", [
    ("Age", "sixty", "age decade"),
    ("Age", "65 - 70", "age decade"),
    ("Height (cm)", "1.7", "plausible range"),
    ("Weight (kg)", "80kg", "expected a number"),
    ("VKORC1 -1639 consensus", "C/T", "alleles A/G"),
    ("CYP2C9 consensus", "1/3", "star-allele"),
    ("Amiodarone (Cordarone)", "maybe", "1/0"),
    ("Race (OMB)", "Martian", "Race"),
])
def test_bad_value_names_file_line_and_column(tmp_path, column, value, message):
    rows = _rows() + [patient("PA4", **{column: value})]
    path = write_iwpc_csv(tmp_path / "bad.csv", rows)
    spelled = "VKORC1 -1639 consensus" if column.startswith("VKORC1") else column
    where = re.escape(f"bad.csv: line 5, column '{spelled}'")
    with pytest.raises(IWPCTableError, match=f"{where}.*{message}"):
        read_iwpc_table(path)


def test_bad_excel_value_names_the_sheet_row(tmp_path):
    csv_path = write_iwpc_csv(tmp_path / "bad.csv", [_rows()[0], patient("PA9", Age="old")])
    path = tmp_path / "bad.xlsx"
    pd.read_csv(csv_path, dtype=str, keep_default_na=False).to_excel(path, index=False)
    with pytest.raises(IWPCTableError, match=r"bad\.xlsx: row 3, column 'Age'"):
        read_iwpc_table(path)


def test_repeated_subject_ragged_line_and_no_header_are_errors(tmp_path):
    path = write_iwpc_csv(tmp_path / "dup.csv", [patient("PA7"), patient("PA7")])
    with pytest.raises(IWPCTableError, match=r"dup\.csv: line 3.*repeats") as error:
        read_iwpc_table(path)
    assert "PA7" not in str(error.value)  # identifiers stay out of messages
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(HEADER) + "\n1,2,3\n")
    with pytest.raises(IWPCTableError, match=r"ragged\.csv: line 2 has 3 fields"):
        read_iwpc_table(ragged)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(IWPCTableError, match="empty"):
        read_iwpc_table(empty)
    with pytest.raises(FileNotFoundError):
        read_iwpc_table(tmp_path / "absent.csv")


@pytest.mark.realdata
def test_real_table_matches_an_independent_read(shared_data):
    path = shared_data / "iwpc" / "iwpc.csv"
    table = read_iwpc_table(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [" ".join(name.split()) for name in raw.columns]
    assert len(table) == len(raw) == 5505
    assert table.frame["site"].nunique() == 19
    decade = raw["Age"].map(lambda text: float(text[0]) if text else np.nan)
    np.testing.assert_array_equal(table.frame["age_decade"].to_numpy(), decade.to_numpy())
    dose = pd.to_numeric(raw["Therapeutic Dose of Warfarin"].replace("", np.nan))
    np.testing.assert_array_equal(table.frame["dose_mg_week"].to_numpy(), dose.to_numpy())
    genotype = raw["VKORC1 -1639 consensus"].replace("", None)
    assert (table.frame["vkorc1_rs9923231"].fillna("") == genotype.fillna("")).all()
