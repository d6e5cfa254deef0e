"""Reading an EHR table (CSV, TSV, Excel or Parquet; one row per subject) without losing
anything.

- Identifier columns are read as text, never as numbers (``001`` stays ``001``, ``NA`` is an
  identifier, not a missing value); surrounding whitespace is stripped only by the explicit
  rule ``strip=True`` of :func:`subject_ids`.
- A missing, empty or header-only file, a ragged row, a repeated column name, bytes that are
  not UTF-8, a blank or repeated subject ID: each is a :class:`TabularValueError` naming the
  file and line (1-based file lines: the header is line 1, the first data row line 2).
- A UTF-8 byte-order mark and CRLF line ends are read as plain UTF-8.
"""

from __future__ import annotations

import csv
import gzip
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.data.tabular import TabularValueError

#: File name endings read as delimited text, and their delimiter.
TEXT_SUFFIXES = {".csv": ",", ".csv.gz": ",", ".tsv": "\t", ".tsv.gz": "\t", ".txt": "\t"}
PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xls")
_LINE = re.compile(r"line (\d+), saw (\d+)")
_EXPECTED = re.compile(r"Expected (\d+) fields")


def read_ehr_table(path: str | Path, id_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a table with ``id_columns`` as text (``str``; ``NaN`` only where blank).

    Parameters
    ----------
    path : ``.csv``, ``.tsv``/``.txt`` (tab), optionally ``.gz``; ``.xlsx``/``.xls`` (the
        first sheet); or ``.parquet``.
    id_columns : columns holding identifiers (read as text, no missing-value markers).

    Returns
    -------
    DataFrame with one row per data line, every column as read.

    Raises
    ------
    FileNotFoundError; TabularValueError naming the file and line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: EHR table not found")
    if path.is_dir():
        raise TabularValueError(f"{path}: EHR table is a folder, not a file")
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        table = _read_parquet(path, id_columns)
    elif name.endswith(EXCEL_SUFFIXES):
        table = _read_excel(path, id_columns)
    else:
        suffix = next((s for s in TEXT_SUFFIXES if name.endswith(s)), None)
        if suffix is None:
            raise TabularValueError(
                f"{path}: unknown EHR table type; use one of "
                f"{sorted([*TEXT_SUFFIXES, *EXCEL_SUFFIXES, *PARQUET_SUFFIXES])}")
        table = _read_text(path, TEXT_SUFFIXES[suffix], id_columns)
    if table.empty:
        raise TabularValueError(f"{path}: the EHR table has a header but no data rows")
    return table


def subject_ids(table: pd.DataFrame, column: str, source: str, strip: bool = True) -> list[str]:
    """The subject IDs of ``table[column]`` as text, checked: none blank, none repeated.

    ``strip`` removes surrounding whitespace (the documented default rule). Errors name
    file lines, never the IDs themselves.
    """
    if column not in table.columns:
        raise TabularValueError(f"{source}: subject column {column!r} missing; columns are "
                                f"{list(table.columns)}")
    raw = table[column]
    ids = [("" if pd.isna(v) else str(v)) for v in raw]
    if strip:
        ids = [i.strip() for i in ids]
    blank = [row for row, i in enumerate(ids) if not i]
    if blank:
        raise TabularValueError(
            f"{source}: line {blank[0] + 2}, column {column!r}: blank subject ID "
            f"({len(blank)} blank in all); every row needs an ID (or delete the row)")
    first: dict[str, int] = {}
    for row, subject in enumerate(ids):
        if subject in first:
            n_repeated = len(ids) - len(set(ids))
            raise TabularValueError(
                f"{source}: lines {first[subject] + 2} and {row + 2} have the same subject ID "
                f"in column {column!r} ({n_repeated} repeated row(s) in all); the EHR table "
                f"needs one row per subject: merge or remove the repeats")
        first[subject] = row
    return ids


def group_keys(table: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Group key column ``(S,)`` as text; a blank key is an error naming its line."""
    if column not in table.columns:
        raise TabularValueError(f"{source}: group column {column!r} missing; columns are "
                                f"{list(table.columns)}")
    keys = np.array(["" if pd.isna(v) else str(v).strip() for v in table[column]], dtype=object)
    blank = np.flatnonzero(keys == "")
    if blank.size:
        raise TabularValueError(f"{source}: line {blank[0] + 2}, column {column!r}: blank group "
                                f"key ({blank.size} blank in all); fill it in (e.g. 'unknown') "
                                f"or remove {column!r} from groups")
    return keys


def _read_excel(path: Path, id_columns: Sequence[str]) -> pd.DataFrame:
    try:
        table = pd.read_excel(path, dtype={c: str for c in id_columns})
    except Exception as err:  # openpyxl/xlrd raise their own error types for a damaged file
        raise TabularValueError(f"{path}: cannot read as an Excel workbook "
                                f"({type(err).__name__}: {err}); save it again, or as CSV"
                                ) from err
    return _text_ids(table, path, id_columns)


def _read_parquet(path: Path, id_columns: Sequence[str]) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises its own error types for a damaged file
        raise TabularValueError(f"{path}: cannot read as Parquet ({type(err).__name__}: "
                                f"{err})") from err
    return _text_ids(table, path, id_columns)


def _text_ids(table: pd.DataFrame, path: Path, id_columns: Sequence[str]) -> pd.DataFrame:
    """Identifier columns as ``str`` (blank as NaN); stored floats are refused."""
    for column in id_columns:
        if column in table.columns and pd.api.types.is_float_dtype(table[column]):
            raise TabularValueError(
                f"{path}: column {column!r} holds identifiers as floating-point numbers; "
                f"store identifiers as text (leading zeros and long IDs are lost as numbers)")
        if column in table.columns:
            table[column] = table[column].map(lambda v: v if pd.isna(v) else str(v))
    return table


def _read_text(path: Path, delimiter: str, id_columns: Sequence[str]) -> pd.DataFrame:
    header = _header(path, delimiter)
    repeated = sorted({c for c in header if c and header.count(c) > 1})
    if repeated:
        raise TabularValueError(f"{path}: line 1: column name(s) {repeated} appear more than "
                                f"once; give every column a unique name")
    ids = [c for c in id_columns if c in header]
    try:
        with warnings.catch_warnings():  # rows' extra fields were checked to be empty
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            return pd.read_csv(
                path, sep=delimiter, encoding="utf-8-sig", dtype={c: str for c in ids},
                keep_default_na=False, index_col=False,
                na_values={c: _NA_VALUES for c in header if c not in ids},
                skip_blank_lines=True)
    except pd.errors.ParserError as err:
        raise TabularValueError(_ragged_message(path, delimiter, str(err))) from err


def _header(path: Path, delimiter: str) -> list[str]:
    """The header's column names, after checking every row has as many fields (extra
    fields that are all empty, from a trailing delimiter, are allowed)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            rows = csv.reader(handle, delimiter=delimiter)
            header = next(rows, None)
            if header is None or not any(cell.strip() for cell in header):
                raise TabularValueError(f"{path}: the EHR table is empty (no header line)")
            _check_delimiter(path, header, delimiter)
            for row in rows:
                if row and len(row) != len(header) and (
                        len(row) < len(header) or any(c.strip() for c in row[len(header):])):
                    raise TabularValueError(_ragged_message(
                        path, delimiter, f"line {rows.line_num}, saw {len(row)}",
                        len(header)))
    except UnicodeDecodeError as err:
        line = _line_of_byte(path, err.start)
        raise TabularValueError(f"{path}: line {line}: bytes that are not UTF-8 ({err.reason}"
                                f"); save the table as UTF-8") from err
    except csv.Error as err:
        raise TabularValueError(f"{path}: line {rows.line_num}: {err}; check the quoting"
                                ) from err
    return header


def _check_delimiter(path: Path, header: list[str], delimiter: str) -> None:
    if len(header) > 1:
        return
    for other, name in ((";", "semicolons"), ("\t", "tabs"), (",", "commas")):
        if other != delimiter and other in header[0]:
            raise TabularValueError(
                f"{path}: line 1 has one column; its columns seem separated by {name}. "
                f"Export the table with commas (.csv) or tabs (.tsv)")


def _line_of_byte(path: Path, offset: int) -> int | str:
    if path.name.lower().endswith(".gz"):
        return "?"
    with open(path, "rb") as handle:
        return handle.read().count(b"\n", 0, offset) + 1


def _ragged_message(path: Path, delimiter: str, text: str,
                    n_header: int | str | None = None) -> str:
    line, expected = _LINE.search(text), _EXPECTED.search(text)
    where = f"line {line[1]}: {line[2]} fields" if line else "a row has a different number of"\
        " fields"
    n_header = n_header or (expected[1] if expected else "another number")
    return (f"{path}: {where}, the header has {n_header}: a ragged row, or a {delimiter!r} "
            f"inside a value (e.g. a decimal comma); quote such values or fix the row")


_NA_VALUES = sorted({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                     "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                     "nan", "null"})
