"""Execute the notebooks and publish them, with their figures, as Markdown in docs/notebooks/.

``make notebooks`` (or ``python notebooks/render.py [--tiny] [--out DIR] [NOTEBOOK ...]``)
runs each notebook top to bottom in a fresh kernel (nbclient), then writes
``<out>/<name>.md`` and its figures ``<out>/<name>_files/*.png`` (nbconvert), which GitHub
shows as a page. The committed ``.ipynb`` files stay without outputs (small diffs); the
rendered pages are the executed form. Warnings and progress bars (stderr) are left out of
the pages; an error in any cell stops the rendering. Prints a table of sizes and writes
``<out>/render.json``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import MarkdownExporter
from PIL import Image

from pgxdl.io import write_json

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "docs" / "notebooks"
#: pandas' table CSS: GitHub drops <style> and would show nothing useful from it.
TABLE_STYLE = re.compile(r"<style scoped>.*?</style>\n?", re.DOTALL)


def execute(path: Path, tiny: bool, timeout: int) -> nbformat.NotebookNode:
    """Run ``path`` in a fresh kernel from its own folder; ``tiny`` uses the test settings."""
    notebook = nbformat.read(path, as_version=4)
    previous = os.environ.get("PGXDL_NOTEBOOK_TINY")
    os.environ["PGXDL_NOTEBOOK_TINY"] = "1" if tiny else "0"
    try:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        if previous is None:
            os.environ.pop("PGXDL_NOTEBOOK_TINY")
        else:
            os.environ["PGXDL_NOTEBOOK_TINY"] = previous
    return notebook


def without_stderr(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with its stderr streams (warnings, progress bars) removed."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.output_type == "stream" and o.name == "stderr")]
    return notebook


def compact_png(data: bytes) -> bytes:
    """The PNG re-encoded with a 256-colour palette when that keeps it readable and smaller
    (matplotlib's figures have few colours)."""
    image = Image.open(io.BytesIO(data))
    paletted = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    paletted.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(data) else data


def publish(notebook: nbformat.NotebookNode, name: str, out: Path) -> dict:
    """Write an executed notebook as ``<out>/<name>.md`` and ``<out>/<name>_files/``."""
    notebook = without_stderr(notebook)
    files = f"{name}_files"
    body, resources = MarkdownExporter().from_notebook_node(
        notebook, resources={"output_files_dir": files, "unique_key": name})
    (out / files).mkdir(parents=True, exist_ok=True)
    for old in (out / files).glob("*"):
        old.unlink()
    sizes = {}
    for path, data in resources["outputs"].items():
        data = compact_png(data) if path.endswith(".png") else data
        (out / path).write_bytes(data)
        sizes[path] = len(data)
    page = (f"<!-- rendered by notebooks/render.py from notebooks/{name}.ipynb; "
            f"edit the notebook, not this page -->\n\n{TABLE_STYLE.sub('', body)}")
    (out / f"{name}.md").write_text(page, encoding="utf-8")
    return {"notebook": f"{name}.ipynb", "page": f"{name}.md", "figures": len(sizes),
            "bytes": sum(sizes.values()) + len(page.encode())}


def render(path: Path, out: Path, tiny: bool = False, timeout: int = 3600) -> dict:
    """Execute ``path`` and publish it into ``out``; the row of the size table."""
    started = time.perf_counter()
    row = publish(execute(path, tiny, timeout), path.stem, out)
    return {**row, "tiny": tiny, "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python notebooks/render.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to render (default: notebooks/*.ipynb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where pages go")
    parser.add_argument("--tiny", action="store_true",
                        help="the test suite's quick settings (for checking, not publishing)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(HERE.glob("*.ipynb"))
    rows = [render(path, args.out, args.tiny, args.timeout) for path in paths]
    print(f"{'notebook':<36} {'figures':>7} {'KiB':>7} {'seconds':>8}")
    for row in rows:
        print(f"{row['notebook']:<36} {row['figures']:>7} {row['bytes'] / 1024:>7.0f} "
              f"{row['seconds']:>8}")
    write_json(args.out / "render.json", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
