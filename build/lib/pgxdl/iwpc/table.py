"""Read the IWPC warfarin table (CSV, TSV or Excel, as PharmGKB distributes it) into typed fields.

:func:`read_iwpc_table` accepts the copy under the shared data folder and the table as
downloaded from PharmGKB at any path (``.csv``, ``.tsv``/``.txt``, optionally gzipped, or an
``.xls``/``.xlsx`` workbook whose sheet and header row are found by their column names).
Column names are normalised (:func:`~pgxdl.iwpc.columns.normalise_column_name`);
every value is parsed by its column's kind, and a value that cannot be parsed raises
:class:`IWPCTableError` naming the file, the line (or sheet row) and the column. Nothing is
dropped here: missing values stay missing (NaN or ``None``) for the policy in
:mod:`pgxdl.iwpc.policy` to handle and count.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pgxdl.iwpc.columns import (
    IWPC_COLUMNS,
    ColumnSpec,
    normalise_column_name,
    parse_cell,
)

_EXCEL_SUFFIXES = (".xls", ".xlsx", ".xlsm")
_HEADER_SEARCH_ROWS = 30
_KEY_COLUMNS = ("PharmGKB Subject ID", "Project Site")


class IWPCTableError(ValueError):
    """The IWPC table cannot be read: names the file and, where it applies, row and column."""


@dataclass
class IWPCTable:
    """The parsed IWPC table.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per patient, ``(N, len(IWPC_COLUMNS))``, columns named by
        :attr:`ColumnSpec.field`: floats (NaN missing) for numbers, binaries and age decades,
        strings (``None`` missing) for text and genotypes.
    rows : numpy.ndarray
        ``(N,)`` int: each patient's line in a delimited file, or row in the Excel sheet.
    path : pathlib.Path
        The file read.
    sha256 : str
        Hash of the file's bytes, for provenance.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    path: Path
    sha256: str

    def __len__(self) -> int:
        return len(self.frame)

    def location(self, position: int) -> str:
        """Where patient ``position`` (0-based) sits in the file, for error messages."""
        return f"{self.path}: {_row_unit(self.path)} {self.rows[position]}"


def read_iwpc_table(path: str | Path) -> IWPCTable:
    """Read and parse an IWPC table from ``path`` (CSV, TSV, or Excel workbook).

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    IWPCTableError
        A required column is missing (all missing ones are named), two columns have the
        same normalised name, a subject ID repeats, or a value cannot be parsed (file,
        line or row, column and the value are named).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IWPC table {path} not found")
    data = path.read_bytes()
    if path.suffix.lower() in _EXCEL_SUFFIXES:
        header, cells, rows = _read_excel(path)
    else:
        header, cells, rows = _read_delimited(path, data)
    frame = _parse_columns(path, header, cells, rows)
    table = IWPCTable(frame, rows, path, hashlib.sha256(data).hexdigest())
    _check_unique_subjects(table)
    return table


def _row_unit(path: Path) -> str:
    """How a patient's place in ``path`` is counted: sheet ``row`` or file ``line``."""
    return "row" if path.suffix.lower() in _EXCEL_SUFFIXES else "line"


def _read_delimited(path: Path, data: bytes) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, cell rows and the line number of each row of a CSV/TSV (gzip allowed)."""
    if path.suffix.lower() == ".gz":
        data = gzip.decompress(data)
    text = data.decode("utf-8-sig", errors="replace")
    stem_suffix = Path(path.stem).suffix.lower() if path.suffix.lower() == ".gz" else ""
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") or stem_suffix in (
        ".tsv", ".txt") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise IWPCTableError(f"{path}: the file is empty (no header line)")
    cells, lines = [], []
    for record in reader:
        if not any(value.strip() for value in record):
            continue
        if len(record) != len(header):
            raise IWPCTableError(f"{path}: line {reader.line_num} has {len(record)} fields, "
                                 f"the header has {len(header)}")
        cells.append(record)
        lines.append(reader.line_num)
    return header, cells, np.asarray(lines, dtype=np.int64)


def _read_excel(path: Path) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, cell rows and sheet row numbers of the sheet that holds the IWPC table."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str)
    except Exception as error:  # xlrd/openpyxl raise many types for a damaged workbook
        raise IWPCTableError(f"{path}: cannot read the workbook ({error})") from error
    wanted = {normalise_column_name(name).lower() for name in _KEY_COLUMNS}
    for sheet in sheets.values():
        sheet = sheet.fillna("")
        for row in range(min(_HEADER_SEARCH_ROWS, len(sheet))):
            names = [normalise_column_name(value) for value in sheet.iloc[row]]
            if wanted <= {name.lower() for name in names}:
                body = sheet.iloc[row + 1:]
                keep = body.apply(lambda r: any(str(v).strip() for v in r), axis=1)
                body = body[keep.to_numpy(dtype=bool)]
                cells = body.astype(str).to_numpy().tolist()
                return names, cells, body.index.to_numpy(dtype=np.int64) + 1
    raise IWPCTableError(f"{path}: no sheet of {list(sheets)} has a header row with the "
                         f"columns {list(_KEY_COLUMNS)} in its first {_HEADER_SEARCH_ROWS} rows")


def _column_positions(path: Path, header: list[str]) -> dict[str, int]:
    """Normalised, lower-cased column name -> position; duplicates are an error."""
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = normalise_column_name(raw).lower()
        if not name:
            continue
        if name in positions:
            raise IWPCTableError(f"{path}: two columns are named {normalise_column_name(raw)!r} "
                                 "once white space is normalised")
        positions[name] = index
    return positions


def _parse_columns(path: Path, header: list[str], cells: list[list[str]],
                   rows: np.ndarray) -> pd.DataFrame:
    positions = _column_positions(path, header)
    missing = [spec.source for spec in IWPC_COLUMNS
               if spec.required and spec.source.lower() not in positions]
    if missing:
        raise IWPCTableError(f"{path}: missing required column(s) {missing}")
    grid = np.asarray(cells, dtype=object).reshape(len(cells), len(header))
    columns = {}
    for spec in IWPC_COLUMNS:
        position = positions.get(spec.source.lower())
        if position is None:
            empty = np.nan if spec.kind in ("number", "binary", "age_decade") else None
            columns[spec.field] = [empty] * len(cells)
            continue
        columns[spec.field] = _parse_column(path, spec, grid[:, position], rows)
    return pd.DataFrame(columns)


def _parse_column(path: Path, spec: ColumnSpec, values: np.ndarray, rows: np.ndarray) -> list:
    """Parse each distinct value once; an error names the first row holding it."""
    parsed = {}
    for value in pd.unique(values):
        try:
            parsed[value] = parse_cell(str(value), spec)
        except ValueError as error:
            first = int(np.flatnonzero(values == value)[0])
            raise IWPCTableError(f"{path}: {_row_unit(path)} {rows[first]}, "
                                 f"column {spec.source!r}: {error}") from None
    return [parsed[value] for value in values]


def _check_unique_subjects(table: IWPCTable) -> None:
    ids = table.frame["subject_id"]
    if ids.isna().any():
        raise IWPCTableError(f"{table.location(int(np.flatnonzero(ids.isna())[0]))}, column "
                             "'PharmGKB Subject ID': the subject ID is empty")
    repeated = ids.duplicated(keep="first").to_numpy()
    if repeated.any():
        raise IWPCTableError(f"{table.location(int(np.flatnonzero(repeated)[0]))}, column "
                             "'PharmGKB Subject ID': the subject ID of an earlier row repeats")
