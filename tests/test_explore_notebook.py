"""notebooks/02_subgroups.ipynb runs end to end on tiny settings (nbclient)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from pgxdl.paths import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "02_subgroups.ipynb"


@pytest.mark.slow
def test_subgroups_notebook_runs_on_tiny_settings(tmp_path, monkeypatch):
    """The kernel inherits the environment: tiny settings, temporary files in tmp_path."""
    monkeypatch.setenv("PGXDL_NOTEBOOK_TINY", "1")
    for name in ("PGXDL_EXPLORE_STORE", "PGXDL_EXPLORE_CKPT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4
    text = "".join(o.get("text", "") for o in outputs)
    assert "120 people" in text and "embedding part skipped" in text
