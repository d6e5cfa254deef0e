"""Score the average of IWPC models that ``benchmarks/iwpc.py`` runs have saved.

    python benchmarks/iwpc_combine.py RUN:MODEL RUN:MODEL [...] [--protocol leave_site_out]
        [--name NAME] [--n-boot 1000] [--out benchmarks/results/iwpc_combined]

``RUN`` is the JSON a ``benchmarks/iwpc.py`` run wrote (``<out>/iwpc.json``; its
predictions are read from ``iwpc_predictions.npz`` beside it), ``MODEL`` a model name in
it (``cnn_film_x3``). The members'
out-of-fold doses are averaged on the square-root scale, as a deep ensemble averages its
members, repeat by repeat; the average is scored like any model, with its paired
difference from the IWPC pharmacogenetic formula of the first run, or from ``--versus
RUN:MODEL`` (any saved model: the formula refitted out of site, say). One member scores
that model alone against ``--versus``. Every run must come
from the same table and selection (checked by the table's hash and the patient count).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.iwpc import REFERENCE, load_cohort, write_json  # noqa: E402
from pgxdl.baselines.comparison import format_table  # noqa: E402
from pgxdl.iwpc.dose_metrics import (  # noqa: E402
    DOSE_BAND_NAMES,
    dose_band,
    evaluate_doses,
    paired_difference,
)


def load_member(spec: str, protocol: str) -> tuple[dict, list[int], np.ndarray]:
    """``RUN:MODEL`` -> (the run's selection, the model's seeds, its ``(R, N)`` doses)."""
    run, _, model = spec.rpartition(":")
    if not run or not model:
        raise ValueError(f"{spec!r}: expected RUN:MODEL, e.g. results/x/iwpc.json:cnn_film")
    run = Path(run)
    payload = json.loads(run.read_text())
    predictions = run.with_name(f"{run.stem}_predictions.npz")
    saved = np.load(predictions)
    key = f"{protocol}/{model}"
    if key not in saved.files:
        raise ValueError(f"{predictions} has no {key!r}; it has {saved.files}")
    return payload["selection"], payload["results"][protocol][model]["seeds"], saved[key]


def combine(members: list[np.ndarray]) -> np.ndarray:
    """The square of the mean square root of ``members`` (each ``(R, N)``), ``(R, N)``."""
    shapes = {m.shape for m in members}
    if len(shapes) != 1:
        raise ValueError(f"members disagree in (repeats, patients): {sorted(shapes)}")
    return np.square(np.mean([np.sqrt(np.clip(m, 0, None)) for m in members], axis=0))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("members", nargs="+", help="RUN:MODEL of each member")
    parser.add_argument("--protocol", default="leave_site_out")
    parser.add_argument("--name", default=None, help="the average's name (default: a + b)")
    parser.add_argument("--versus", default=None,
                        help=f"RUN:MODEL to compare with (default: the first run's {REFERENCE})")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/iwpc_combined"))
    args = parser.parse_args(argv)
    loaded = [load_member(spec, args.protocol) for spec in args.members]
    selection, seeds, _ = loaded[0]
    reloaded, features, dose, sites = load_cohort(Path(selection["file"]))
    for spec, (other, other_seeds, _) in zip(args.members, loaded, strict=True):
        if (other["sha256"], other["n_kept"]) != (selection["sha256"], selection["n_kept"]):
            raise ValueError(f"{spec}: scored on another table or selection than "
                             f"{args.members[0]}")
        if other_seeds != seeds:
            raise ValueError(f"{spec}: seeds {other_seeds}, but {args.members[0]} has {seeds}")
    if (reloaded["sha256"], reloaded["n_kept"]) != (selection["sha256"], selection["n_kept"]):
        raise ValueError(f"{selection['file']} has changed since the runs scored it")
    name = args.name or " + ".join(spec.rpartition(":")[2] for spec in args.members)
    average = combine([preds for *_, preds in loaded])
    subgroups = {"race": features["race"].to_numpy(),
                 "dose_band": np.asarray(DOSE_BAND_NAMES)[dose_band(dose)], "site": sites}
    report = evaluate_doses(dose, average, subgroups, n_boot=args.n_boot)
    versus = args.versus or f"{args.members[0].rpartition(':')[0]}:{REFERENCE}"
    versus_selection, _, reference = load_member(versus, args.protocol)
    if versus_selection["sha256"] != selection["sha256"]:
        raise ValueError(f"{versus}: scored on another table than {args.members[0]}")
    key = f"vs_{versus.rpartition(':')[2]}"
    report[key] = paired_difference(dose, average, reference, n_boot=args.n_boot)
    results = {args.protocol: {name: report}}
    table = format_table(results, versus=key)
    out = args.out / "iwpc.json"
    command = shlex.join(["benchmarks/iwpc_combine.py",
                          *(sys.argv[1:] if argv is None else argv)])
    write_json(out, {"command": command, "members": args.members, "versus": versus,
                     "selection": selection,
                     "results": results, "table": table})
    print(f"{table}\n\nwrote {out}")
    return report


if __name__ == "__main__":
    main()
