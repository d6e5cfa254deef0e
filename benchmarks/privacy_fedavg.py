"""FedAvg/FedProx vs centralised training on held-out IWPC sites, with the federation's
settings chosen on the training side only and repeated over seeds.

Usage::

    python benchmarks/privacy_fedavg.py                       # IWPC table from $PGXDL_DATA
    python benchmarks/privacy_fedavg.py --quick               # tiny synthetic: runs?

1. *Selection*: the selection sites are the ``default`` split's validation sites plus
   ``--select-holdout`` of its training sites (seeded draw); every candidate federation
   (rounds x local epochs x learning rate, then FedProx's mu at the best FedAvg setting)
   trains on the other training sites under Flower's simulation engine and is scored by
   MAE on the selection sites' patients. The held-out test sites are never looked at.
2. *Evaluation*: centralised training (the privacy benchmark's model and epochs), the
   chosen FedAvg and the chosen FedProx, each over ``--seeds`` seeds; MAE and PW20 on
   the test sites, mean and standard deviation over seeds, and the gap to centralised.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import privacy  # noqa: E402
from benchmarks.common import report  # noqa: E402
from pgxdl.paths import REPO_ROOT  # noqa: E402
from pgxdl.privacy.federation import run_simulation  # noqa: E402
from pgxdl.privacy.sites import set_weights  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny synthetic cohort, two "
                        "FedAvg candidates, no FedProx, two seeds")
    privacy.add_cohort_arguments(parser)
    parser.add_argument("--epochs", type=int, default=8, help="centralised epochs")
    parser.add_argument("--lr", type=float, default=3e-3, help="centralised learning rate")
    parser.add_argument("--hidden", type=int, nargs="+", default=[32])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, nargs="+", default=[8, 24])
    parser.add_argument("--local-epochs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fed-lrs", type=float, nargs="+", default=[3e-3, 1e-2])
    parser.add_argument("--mus", type=float, nargs="*", default=[0.01, 0.1],
                        help="FedProx mu candidates (none: no FedProx)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--selection", default=None, help="reuse the choice of an earlier "
                        "run (its selection.json) instead of selecting again")
    parser.add_argument("--select-holdout", type=int, default=3, help="training sites "
                        "moved to the selection sites while choosing settings")
    parser.add_argument("--out", default=str(REPO_ROOT / "benchmarks/results/privacy_fedavg"))
    args = parser.parse_args(argv)
    if args.quick:
        args.patients, args.sites, args.epochs, args.hidden = 240, 4, 2, [8]
        args.rounds, args.local_epochs, args.fed_lrs, args.mus = [2], [1], [3e-3, 1e-2], []
        args.seeds, args.select_holdout = [0, 1], 1
    # what privacy.federation_settings / privacy.train read
    args.proximal_mu, args.fed_dp, args.noise_multiplier, args.clipping_norm = 0.1, "none", 1, 1
    args.seed = args.seeds[0]
    return args


def federated(args, store: str, train_sites: list[str], module, strategy: str, rounds: int,
              local_epochs: int, lr: float, mu: float, seed: int, out: Path):
    """``module`` loaded with the weights of one simulated federation."""
    run = argparse.Namespace(**{**vars(args), "rounds": rounds, "local_epochs": local_epochs,
                                "fed_lr": lr, "proximal_mu": mu, "seed": seed})
    weights, log = run_simulation(store, train_sites, privacy.federation_settings(run, strategy),
                                  out)
    set_weights(module, weights)
    return module, float(np.mean(log["round_seconds"]))


def select(args, store: str, parts: dict, source: str, out: Path) -> tuple[list, list]:
    """Score every candidate on the selection sites (never the test sites); returns the
    selection rows and the selection sites."""
    train_sites, val_sites = parts["train"], parts["val"]
    if args.select_holdout >= len(train_sites):
        raise ValueError(f"--select-holdout {args.select_holdout}: only "
                         f"{len(train_sites)} training sites; use fewer")
    held = [str(site) for site in np.random.default_rng(args.seeds[0]).choice(
        train_sites, args.select_holdout, replace=False)]
    select_sites = sorted(set(val_sites) | set(held))
    fit_sites = [site for site in train_sites if site not in held]
    central, _ = privacy.train(store, fit_sites, args)

    def score(module):  # every patient of the selection sites (a site is in one part)
        return privacy.utility(module, store, select_sites, "all")["mae_mg_week"]

    def candidate(strategy, rounds, epochs, lr, mu, folder) -> dict:
        module, seconds = federated(args, store, fit_sites, central, strategy, rounds,
                                    epochs, lr, mu, args.seeds[0], out / folder)
        return {"model": strategy, "rounds": rounds, "local_epochs": epochs, "lr": lr,
                "mu": mu, "val_mae": score(module), "s_per_round": round(seconds, 2)}

    selection = [{"model": "centralised", "val_mae": score(central)}]
    grid = itertools.product(args.rounds, args.local_epochs, args.fed_lrs)
    selection += [candidate("fedavg", *settings, 0.0, f"select_{index}")
                  for index, settings in enumerate(grid)]
    chosen = chosen_settings(selection)["fedavg"]
    selection += [candidate("fedprox", chosen["rounds"], chosen["local_epochs"], chosen["lr"],
                            mu, f"select_prox_{index}") for index, mu in enumerate(args.mus)]
    report(f"Selection: trained on sites {fit_sites}, scored on {select_sites} ({source})",
           selection, out / "selection.json", {"select_sites": select_sites})
    return selection, select_sites


def chosen_settings(selection: list[dict]) -> dict[str, dict]:
    """The selection row of least MAE for each strategy that has one."""
    best = {}
    for row in selection:
        if row["model"] != "centralised" and (
                row["model"] not in best or row["val_mae"] < best[row["model"]]["val_mae"]):
            best[row["model"]] = row
    return best


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out, store, source, parts = privacy.open_benchmark(args)
    train_sites, test_sites = parts["train"], parts["test"]
    if args.selection:
        earlier = json.loads(Path(args.selection).read_text())
        selection, select_sites = earlier["rows"], earlier["select_sites"]
    else:
        selection, select_sites = select(args, store, parts, source, out)
    best = chosen_settings(selection)

    per_seed = {"centralised": [], **{strategy: [] for strategy in best}}
    for seed in args.seeds:
        run = argparse.Namespace(**{**vars(args), "seed": seed})
        module, _ = privacy.train(store, train_sites, run)
        per_seed["centralised"].append(privacy.utility(module, store, test_sites))
        for strategy, chosen in best.items():
            module, _ = federated(args, store, train_sites, module, strategy,
                                  chosen["rounds"], chosen["local_epochs"], chosen["lr"],
                                  chosen["mu"], seed, out / f"{strategy}_seed{seed}")
            per_seed[strategy].append(privacy.utility(module, store, test_sites))
    rows = []
    centralised = np.array([m["mae_mg_week"] for m in per_seed["centralised"]])
    for name, metrics in per_seed.items():
        mae = np.array([m["mae_mg_week"] for m in metrics])
        pw20 = np.array([m["pw20"] for m in metrics])
        gap = mae - centralised
        rows.append({"model": name, **{k: best[name][k] for k in
                                        ("rounds", "local_epochs", "lr", "mu") if name in best},
                     "mae_mean": mae.mean(), "mae_sd": mae.std(ddof=1),
                     "pw20_mean": pw20.mean(), "gap_mean": gap.mean(),
                     "gap_sd": gap.std(ddof=1), "gap_max": gap.max()})
    report(f"Held-out sites {test_sites}, seeds {args.seeds} ({source}); "
           f"target: FedAvg within 0.2 mg/week of centralised", rows, out / "fedavg.json",
           {"args": vars(args), "per_seed": per_seed, "selection": selection,
            "train_sites": train_sites, "select_sites": select_sites, "test_sites": test_sites})
    return 0


if __name__ == "__main__":
    sys.exit(main())
