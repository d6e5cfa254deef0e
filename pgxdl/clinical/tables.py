"""Write a result table the user asked for, atomically, in the format its suffix names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pgxdl.io import atomic_path

FORMATS = (".csv", ".tsv", ".parquet", ".json")


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write ``table`` to ``path`` (``.csv``, ``.tsv``, ``.parquet`` or ``.json`` records).

    Raises
    ------
    ValueError for another suffix (before anything is written).
    """
    path = Path(path)
    if path.suffix not in FORMATS:
        raise ValueError(f"{path}: output format {path.suffix!r} unknown; use one of {FORMATS}")
    with atomic_path(path, keep_suffix=True) as tmp:
        if path.suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        elif path.suffix == ".json":
            table.to_json(tmp, orient="records", indent=1)
        else:
            table.to_csv(tmp, sep="\t" if path.suffix == ".tsv" else ",", index=False)
    return path
