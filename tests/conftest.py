"""Shared fixtures: the real-data folder (skip with a reason when absent) and seeds."""

from __future__ import annotations

import pytest

from pgxdl.paths import DATA_ENV, shared_data_dir


@pytest.fixture(scope="session")
def shared_data():
    """Path of the real-data folder; skips the test when it is absent."""
    path = shared_data_dir()
    if not (path / "README.md").exists():
        pytest.skip(f"real data not found at {path} (set {DATA_ENV} to use it)")
    return path
