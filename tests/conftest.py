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


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """One intra-op thread per test process: `make test` runs 2 processes on 2 cores, and
    oversubscribed threads made training steps ~10x slower."""
    import torch

    torch.set_num_threads(1)
