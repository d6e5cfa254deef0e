"""Where pgxdl finds the optional real data sets.

The real data (IWPC, GDSC, GRCh38 pharmacogene regions, 1000 Genomes) is never part of the
repository. Its folder is a setting: the environment variable ``PGXDL_DATA``, by default
``../shared/data`` relative to the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_ENV = "PGXDL_DATA"


def shared_data_dir() -> Path:
    """The real-data folder (may not exist: callers check and skip with a reason)."""
    return Path(os.environ.get(DATA_ENV, REPO_ROOT.parent / "shared" / "data")).resolve()


def shared_data_file(*parts: str) -> Path:
    """A file under :func:`shared_data_dir`; the error says how to set the folder."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: set {DATA_ENV} to the folder holding pgxdl's real data "
            f"(default ../shared/data beside the repository)"
        )
    return path
