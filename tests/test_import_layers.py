"""The layers import one way: the import-linter contract in pyproject.toml holds, and fails
when a lower layer imports a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from pgxdl.paths import REPO_ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with ``root`` (holding pyproject.toml and pgxdl/) first on the path."""
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": ""}, timeout=300)


def test_layer_contract_is_kept():
    done = lint_imports(REPO_ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path)
    shutil.copytree(REPO_ROOT / "pgxdl", tmp_path / "pgxdl",
                    ignore=shutil.ignore_patterns("__pycache__", "configs"))
    init = tmp_path / "pgxdl" / "genome" / "__init__.py"
    init.write_text(init.read_text() + "\nimport pgxdl.training.module  # noqa: F401\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "pgxdl.genome -> pgxdl.training" in done.stdout.replace("\n", " ") or \
        "pgxdl.genome is not allowed to import pgxdl.training" in done.stdout
