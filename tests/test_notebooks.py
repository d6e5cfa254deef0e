"""The notebooks run top to bottom on tiny settings (nbclient), and their executed form is
published with figures in docs/notebooks/ (notebooks/render.py) and kept current."""

from __future__ import annotations

import importlib.util
import json
import re

import nbformat
import pytest
from nbclient import NotebookClient

from pgxdl.paths import REPO_ROOT

NOTEBOOK = REPO_ROOT / "notebooks" / "01_quickstart_attributions.ipynb"
PAGES = REPO_ROOT / "docs" / "notebooks"
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")


def load_renderer():
    spec = importlib.util.spec_from_file_location("render", REPO_ROOT / "notebooks" / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_notebook(path, tmp_path, monkeypatch, timeout: int = 120) -> nbformat.NotebookNode:
    """Execute ``path`` in a fresh kernel with tiny settings and temporary files in tmp_path."""
    monkeypatch.setenv("PGXDL_NOTEBOOK_TINY", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def linked_images(page) -> list:
    return IMAGE_LINK.findall(page.read_text())


@pytest.mark.slow
def test_quickstart_attributions_notebook_runs_and_publishes(tmp_path, monkeypatch):
    notebook = run_notebook(NOTEBOOK, tmp_path, monkeypatch)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 5  # scatter, ranking, patient summary, track, logo
    text = "".join(o.get("text", "") for o in outputs)
    assert "200 people" in text and "AUROC, IG" in text and "heterozygous, in" in text
    assert "ReferenceMismatchError" in text  # the wrong-REF demonstration fails clearly

    row = load_renderer().publish(notebook, NOTEBOOK.stem, tmp_path / "pages")
    page = tmp_path / "pages" / f"{NOTEBOOK.stem}.md"
    links = linked_images(page)
    assert row["figures"] == len(links) == len(images)
    assert all((page.parent / link).is_file() for link in links)
    body = page.read_text()
    assert "AUROC, IG" in body and "<style" not in body and "<table" in body


def test_published_pages_are_current_complete_and_small():
    """Every notebook has a page rendered with full settings from its current cells."""
    notebooks = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
    rendered = {row["notebook"]: row for row in json.loads((PAGES / "render.json").read_text())}
    assert sorted(rendered) == [path.name for path in notebooks]
    for path in notebooks:
        assert not rendered[path.name]["tiny"]
        page = PAGES / f"{path.stem}.md"
        text = page.read_text()
        cells = [cell.source for cell in nbformat.read(path, as_version=4).cells]
        stale = [source[:60] for source in cells if source.strip() not in text]
        assert not stale, f"{page} is older than {path}: run `make notebooks` ({stale})"
        links = linked_images(page)
        assert links and all((page.parent / link).is_file() for link in links)
    total = sum(p.stat().st_size for p in PAGES.rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024, f"docs/notebooks holds {total} bytes"
