"""The bad-input matrix: run every case and print its outcome (issue 14).

    python -m benchmarks.bad_inputs                       # all cases, JSON to results/
    python -m benchmarks.bad_inputs --only vcf_ --show    # a subset, with error messages

Each case spoils one input of a tiny self-made cohort (or reads a real messy VCF of
``$PGXDL_DATA/vcf``) and runs pgxdl on it through the Python functions the CLI calls.
Outcomes (:mod:`benchmarks.bad_input_case`): clear error / handled / wrong / silent loss /
crash; the target is 0 wrong, 0 silent loss, 0 crash.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bad_input_cases import CASES, OUTCOMES, REALDATA_CASES, run_case  # noqa: E402
from benchmarks.common import report  # noqa: E402
from pgxdl.paths import shared_data_dir  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--show", action="store_true", help="print each outcome's detail")
    parser.add_argument("--out", default="benchmarks/results/bad_inputs.json")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    cases = [c for c in CASES if args.only in c.name]
    realdata = (shared_data_dir() / "vcf").is_dir()
    if realdata:
        cases += [c for c in REALDATA_CASES if args.only in c.name]
    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i, case in enumerate(cases):
            result = run_case(case, Path(tmp) / f"case{i}")
            results.append(result)
            rows.append({"case": result.name, "area": result.area, "issue": result.issue,
                         "outcome": result.outcome, "seconds": round(result.seconds, 3)})
            if args.show or result.outcome not in ("clear error", "handled"):
                print(f"  {result.name}: {result.outcome}: {result.detail}")
    counts = Counter(r.outcome for r in results)
    by_area = {area: dict(Counter(r.outcome for r in results if r.area == area))
               for area in dict.fromkeys(r.area for r in results)}
    summary = {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}
    report(f"bad-input matrix: {len(results)} cases"
           f"{'' if realdata else ' (real-data cases skipped: no $PGXDL_DATA/vcf)'}",
           rows, args.out, {"counts": summary, "by_area": by_area,
                            "details": [{k: v for k, v in asdict(r).items()
                                         if k != "traceback"} for r in results]})
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    for area, outcome in by_area.items():
        print(f"  {area}: " + ", ".join(f"{k} {v}" for k, v in outcome.items()))
    return summary


if __name__ == "__main__":
    main()
