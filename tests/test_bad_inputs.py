"""The bad-input matrix (issue 14): every case is a clear error or is handled.

The cases live in :mod:`benchmarks.bad_input_cases` (shared with
``python -m benchmarks.bad_inputs``, which prints the matrix). A clear error has the
expected type, a one-line message naming file, line or record, field and fix, and leaves no
store behind; a handled case is checked against an independent re-parse of the input.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from benchmarks import bad_inputs
from benchmarks.bad_input_case import Case, error_case, run_case
from benchmarks.bad_input_cases import CASES, REALDATA_CASES

ISSUE_ITEMS = {f"14.{i}" for i in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17)}


def _assert_clear_or_handled(case: Case, folder) -> None:
    result = run_case(case, folder)
    assert result.outcome in ("clear error", "handled"), \
        f"{case.name}: {result.outcome}: {result.detail}\n{result.traceback}"
    assert result.outcome == ("clear error" if case.error else "handled")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path):
    _assert_clear_or_handled(case, tmp_path)


@pytest.mark.realdata
@pytest.mark.parametrize("case", REALDATA_CASES, ids=[c.name for c in REALDATA_CASES])
def test_bad_input_real_vcf(case, tmp_path, shared_data):
    _assert_clear_or_handled(case, tmp_path)


def test_matrix_covers_the_issue():
    """At least 80 distinct cases over every input kind, and every item of issue 14 (item 15,
    the one-line CLI print, is the CLI's)."""
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names) >= 80
    areas = Counter(c.area for c in CASES)
    assert {"vcf", "genotype table", "ehr", "config", "store", "checkpoint", "split",
            "windows", "reference"} <= set(areas)
    assert ISSUE_ITEMS <= {c.issue for c in CASES + REALDATA_CASES}


def test_judge_flags_silent_loss_and_unclear_errors(tmp_path):
    """The judge is not a rubber stamp: a bad input accepted is silent loss, an error that
    does not name the file is wrong, a raw library error is a crash."""
    accepted = error_case("accepted", "vcf", lambda w: w.build(), ValueError, "x")
    unclear = error_case("unclear", "config", lambda w: w.build(phasedd=True), ValueError,
                         r"calls\.vcf")
    crash = error_case("crash", "vcf", lambda w: {}["missing"], ValueError)
    outcomes = [run_case(c, tmp_path / c.name).outcome for c in (accepted, unclear, crash)]
    assert outcomes == ["silent loss", "wrong", "crash"]


def test_benchmark_prints_and_writes_json(tmp_path, capsys):
    out = tmp_path / "matrix.json"
    counts = bad_inputs.main(["--only", "vcf_refseq", "--out", str(out)])
    result = json.loads(out.read_text())
    assert counts == result["counts"]
    assert [r["case"] for r in result["rows"]] == ["vcf_refseq_contigs",
                                                   "vcf_refseq_grch37_accessions"]
    assert counts["handled"] == 1 and counts["clear error"] == 1
    assert "vcf_refseq_contigs" in capsys.readouterr().out


def test_kill_9_during_build_then_rebuild(tmp_path):
    """A build killed with SIGKILL while writing leaves `.<name>.<pid>.tmp`; the next build
    of the same store removes it, says so, and writes a good store."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from benchmarks.bad_input_world import World, check_sites
    from pgxdl.paths import REPO_ROOT

    folder = tmp_path / "world"
    script = (
        "import time, pgxdl.data.store_writer as writer\n"
        "write = writer.write_rows\n"
        "def slow(*args):\n"
        "    write(*args)\n"
        "    time.sleep(120)\n"
        "writer.write_rows = slow\n"
        "from benchmarks.bad_input_world import World\n"
        f"World({str(folder)!r}).build()\n")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen([sys.executable, "-c", script], env=env)
    temporary = folder / "out" / f".cohort.h5.{process.pid}.tmp"
    deadline = time.monotonic() + 120
    while not temporary.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert temporary.exists(), "the build never started writing"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert temporary.exists() and not (folder / "out" / "cohort.h5").exists()
    world = World(folder)
    store = world.build()
    assert not temporary.exists()
    assert f"removed {temporary.name}, left by an interrupted build" in world.printed
    check_sites(world, store)
