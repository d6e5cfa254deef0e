"""benchmarks/long_window_step.py: four settings, each in its own process, in one table."""

from __future__ import annotations

import json
import sys

from pgxdl.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT))

from benchmarks.long_window_step import KEEP_FREED, main, one_setting  # noqa: E402


def test_one_setting_times_every_step_after_warm_up():
    found = one_setting(length=64, windows=2, batch=3, steps=2, threads=1, subtract=True)
    assert found["seconds_per_step"] > 0 and found["user_seconds"] > 0


def test_benchmark_writes_four_settings_with_ratios(tmp_path):
    out = tmp_path / "step.json"
    main(["--length", "128", "--windows", "1", "--batch", "2", "--steps", "1", "--threads",
          "1", "--out", str(out)])
    written = json.loads(out.read_text())
    rows = {(r["encoder"], r["allocator"]): r for r in written["rows"]}
    assert set(rows) == {(e, a) for e in ("plain", "subtract")
                         for a in ("default", "keep freed")}
    assert rows[("plain", "default")]["ratio_to_default"] == 1.0
    keep = rows[("subtract", "keep freed")]
    assert keep["ratio_to_default"] == (keep["seconds_per_step"]
                                        / rows[("subtract", "default")]["seconds_per_step"])
    assert written["keep_freed_environment"] == KEEP_FREED
