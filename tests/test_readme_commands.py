"""Every ``pgxdl`` command in the README's ``bash`` blocks runs as shown after ``make train``.

The quickstart stands in for ``make train`` (200 people, 1 epoch: the same command with a
smaller cohort). Commands are run in README order in one folder laid out like the checkout
(its ``docs`` and ``configs`` linked in), so a block may use what an earlier one wrote.
To keep the test minutes long, a few size options are appended (:data:`SPEEDUPS`: fewer
epochs, people, resamples); nothing else is changed. Skipped, by
rule: commands that need the real data sets or a file the user writes first
(:data:`NEEDS_DATA`), servers that run until stopped (``pgxdl serve``, tested against a
real server in tests/test_clinical_service.py), and lines that are not ``pgxdl`` commands
(make, pip, wandb, sbatch, benchmarks, which have their own tests).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pgxdl.paths import REPO_ROOT

pytestmark = pytest.mark.slow

NEEDS_DATA = ("iwpc", "1kgp", "gdsc", "my_cohort", "PGXDL_DATA", "<")
SERVERS = ("pgxdl serve",)
SPEEDUPS = {
    ("build", "data/simulated.yaml"): ["--set", "n_subjects=200"],
    ("train", "fit"): ["--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2",
                       "--trainer.enable_progress_bar", "false"],
    ("evaluate",): ["--n-boot", "20"],
    ("attribute",): ["--max-observations", "8", "--n-steps", "8", "--n-patients", "1"],
    ("explore",): ["--resamples", "0"],
}


def readme_commands(text: str) -> list[str]:
    """The ``pgxdl`` command lines of the README's bash blocks, continuations joined and
    trailing comments removed, in order."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s+#", line)[0].strip()
            if line.startswith("pgxdl "):
                commands.append(line)
    return commands


def runnable(command: str) -> bool:
    return not any(marker in command for marker in NEEDS_DATA) and \
        not command.startswith(SERVERS)


def with_speedups(argv: list[str]) -> list[str]:
    for prefix, extra in SPEEDUPS.items():
        if tuple(argv[:len(prefix)]) == prefix:
            return [*argv, *extra]
    return argv


def pgxdl(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pgxdl", *argv], cwd=cwd, text=True,
                          capture_output=True, timeout=900)


def test_readme_lists_commands_and_the_filter_keeps_most():
    commands = readme_commands((REPO_ROOT / "README.md").read_text())
    kept = [c for c in commands if runnable(c)]
    assert len(commands) >= 8 and len(kept) >= 6
    assert any(c.startswith("pgxdl train fit") for c in kept)


def test_readme_commands_run_after_the_quickstart(tmp_path):
    for name in ("docs", "configs"):
        (tmp_path / name).symlink_to(REPO_ROOT / name)
    done = pgxdl(["quickstart", "--out", "runs/quickstart", "--subjects", "200",
                  "--epochs", "1"], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    commands = [c for c in readme_commands((REPO_ROOT / "README.md").read_text())
                if runnable(c)]
    for command in commands:
        argv = with_speedups(shlex.split(command)[1:])
        done = pgxdl(argv, tmp_path)
        assert done.returncode == 0, f"README command failed: {command}\n{done.stderr[-3000:]}"
