"""notebooks/01_quickstart_attributions.ipynb runs top to bottom on tiny settings (nbclient)."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from pgxdl.paths import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "01_quickstart_attributions.ipynb"


def run_notebook(path, tmp_path, monkeypatch, timeout: int = 120) -> nbformat.NotebookNode:
    """Execute ``path`` in a fresh kernel with tiny settings and temporary files in tmp_path."""
    monkeypatch.setenv("PGXDL_NOTEBOOK_TINY", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


@pytest.mark.slow
def test_quickstart_attributions_notebook_runs(tmp_path, monkeypatch):
    notebook = run_notebook(NOTEBOOK, tmp_path, monkeypatch)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5  # scatter, ranking, patient summary, track, logo
    text = "".join(o.get("text", "") for o in outputs)
    assert "200 people" in text and "AUROC, IG" in text and "heterozygous, in" in text
    assert "ReferenceMismatchError" in text  # the wrong-REF demonstration fails clearly
