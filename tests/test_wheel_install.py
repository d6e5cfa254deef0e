"""``pip install`` of the built wheel (not editable) into a fresh venv, then the whole path
from a folder outside the checkout: help, build, train one epoch of a shipped experiment,
evaluate. Proves the configs and allele tables ship as package data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pgxdl.paths import REPO_ROOT

pytestmark = pytest.mark.slow


def run(command: list[str], cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=900)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict]:
    """A fresh venv holding only the pgxdl wheel; the dependencies come from this venv's
    site-packages by a path entry (its editable pgxdl finder is not activated that way)."""
    root = tmp_path_factory.mktemp("wheel")
    # a PYTHONPATH left by another test would show pip this checkout's pgxdl as installed
    clean = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    source = root / "source"  # setuptools builds in the source tree: build a copy
    shutil.copytree(REPO_ROOT / "pgxdl", source / "pgxdl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(root / "dist"), str(source)], cwd=root, env=clean)
    wheel = next((root / "dist").glob("pgxdl-*.whl"))
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root)
    python = venv / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
         str(wheel)], cwd=root, env=clean)
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                     "['purelib'])"], cwd=root).strip())
    (site / "pgxdl_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "WANDB_MODE":
           "offline", "PYTHONPATH": ""}
    return venv, env


def test_wheel_works_from_outside_the_checkout(installed, tmp_path):
    venv, env = installed
    where = run([str(venv / "bin" / "python"), "-c", "import pgxdl; print(pgxdl.__file__)"],
                cwd=tmp_path, env=env)
    assert str(venv) in where and str(REPO_ROOT) not in where
    pgxdl = str(venv / "bin" / "pgxdl")
    assert "quickstart" in run([pgxdl, "--help"], cwd=tmp_path, env=env)
    run([pgxdl, "build", "simulated", "--out", "s.h5", "--set", "n_subjects=120",
         "--set", "window_length=200", "--set", "sites_per_window=8"], cwd=tmp_path, env=env)
    run([pgxdl, "train", "fit", "--config", "experiment/quickstart.yaml",
         "--data.init_args.store", "s.h5", "--trainer.max_epochs", "1",
         "--trainer.enable_progress_bar", "false", "--run_dir", "run"], cwd=tmp_path, env=env)
    assert (tmp_path / "run" / "config_fit.yaml").is_file()
    run([pgxdl, "evaluate", "--ckpt", "run/checkpoints/best.ckpt", "--store", "s.h5",
         "--part", "test", "--n-boot", "50", "--out", "eval"], cwd=tmp_path, env=env)
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["context"]["part"] == "test"
    typed = Path(where.strip()).with_name("py.typed")
    assert typed.is_file() and (typed.parent / "configs" / "data" / "alleles").is_dir()
