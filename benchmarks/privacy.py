"""Privacy benchmark: DP-SGD utility per epsilon, federated (Flower) vs centralised vs
site-alone, membership-inference AUC per model, wall time per federated round under
Flower's simulation engine and its deployment runtime.

Usage::

    python benchmarks/privacy.py --quick            # tiny: completes? (used by a test)
    python benchmarks/privacy.py                    # IWPC table if present, else synthetic
    python benchmarks/privacy.py --data iwpc.csv --epochs 30 --out benchmarks/results/privacy

Data: the IWPC table (``$PGXDL_DATA/iwpc/iwpc.csv``) when present, otherwise an
IWPC-shaped synthetic cohort (doses from the IWPC pharmacogenetic formula x lognormal
noise, ``tests/iwpc_fixtures.py``), said so in the output. Utility is measured on held-out
*sites* (the store's ``default`` split groups by site); the membership audit trains on a
patient-level splits (``cv_s0_*``) so members and non-members come from the same sites.
Model: pgxdl's tabular network (clinical features + VKORC1/CYP2C9 genotypes as categories).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import report  # noqa: E402
from pgxdl.builders.store_build import build_store  # noqa: E402
from pgxdl.paths import REPO_ROOT, shared_data_dir  # noqa: E402
from pgxdl.privacy import DifferentialPrivacy  # noqa: E402
from pgxdl.privacy.federation import (  # noqa: E402
    FederationSettings,
    run_deployment,
    run_simulation,
)
from pgxdl.privacy.membership import lira_attack, loss_threshold_attack, per_patient_loss  # noqa: E402
from pgxdl.privacy.sites import SiteDataModule, evaluate, set_weights, store_sites, train_local  # noqa: E402
from pgxdl.training import build_module  # noqa: E402

EPSILONS = (1.0, 3.0, 8.0)
DELTA = 1e-5


def model_config(hidden: list[int], lr: float) -> dict:
    return {"network": {"class_path": "pgxdl.models.MultimodalModel", "init_args": {
        "sequence_encoder": None,
        "tabular_encoder": {"class_path": "pgxdl.models.TabularEncoder",
                            "init_args": {"hidden": hidden, "dropout": 0.0}}}},
        "optimizer": {"class_path": "torch.optim.AdamW",
                      "init_args": {"lr": lr, "weight_decay": 0.0}}}


def federation_settings(args: argparse.Namespace, strategy: str, dp: str | None = None
                        ) -> FederationSettings:
    """The benchmark's federation: ``args.rounds`` rounds of ``args.local_epochs`` local
    epochs at ``args.fed_lr`` (``args.lr`` if unset)."""
    return FederationSettings(
        model_config(args.hidden, args.fed_lr or args.lr), rounds=args.rounds,
        epochs=args.local_epochs, strategy=strategy, proximal_mu=args.proximal_mu,
        batch_size=args.batch_size, seed=args.seed, dp=dp or args.fed_dp,
        noise_multiplier=args.noise_multiplier, clipping_norm=args.clipping_norm)


def make_store(args: argparse.Namespace, out: Path) -> tuple[Path, str]:
    """The IWPC store to benchmark on, and where its patients came from (``--quick``
    without ``--data``: always the tiny synthetic cohort)."""
    table = Path(args.data) if args.data else shared_data_dir() / "iwpc" / "iwpc.csv"
    quick = args.quick and not args.data
    source = f"IWPC table {table}"
    config = yaml.safe_load((REPO_ROOT / "configs/data/iwpc.yaml").read_text())
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    from iwpc_fixtures import synthetic_rows, write_fake_reference, write_iwpc_csv

    if quick or not table.exists():
        table = write_iwpc_csv(out / "synthetic_iwpc.csv",
                               synthetic_rows(args.patients, seed=args.seed, n_sites=args.sites))
        config["reference"] = str(write_fake_reference(out / "fake_reference.fa"))
        source = (f"synthetic IWPC-shaped cohort ({args.patients} rows, {args.sites} sites; "
                  f"{'--quick' if quick else 'real table absent'})")
    config.update(table=str(table), genotypes_in_tabular=True, protocol_seeds=[0])
    return build_store(config, out / "iwpc_privacy.h5"), source


def train(store: str, sites: list[str], args, split: str = "default",
          dp: DifferentialPrivacy | None = None, rows: np.ndarray | None = None):
    """One model of the benchmark's configuration on ``sites`` (optionally only ``rows``)."""
    pl.seed_everything(args.seed)
    data = SiteDataModule(store, sites, split, with_sequence=False, batch_size=args.batch_size,
                          seed=args.seed)
    if rows is not None:
        data.rows["train"] = rows
    lr = args.dp_lr if dp else args.lr
    module = build_module(data.spec, model_config(args.hidden, lr))
    train_local(module, data, args.epochs, callbacks=[dp] if dp else [])
    return module, data


def utility(module, store: str, test_sites: list[str], part: str = "test") -> dict:
    """MAE (mg/week) and PW20 on the held-out sites' patients (of the ``default`` split's
    ``part``: ``"test"``, or ``"val"`` to choose settings without the test sites)."""
    held_out = SiteDataModule(store, test_sites, "default", with_sequence=False,
                              batch_size=256, require_train=False)
    held_out.rows["test"] = held_out.rows[part]
    metrics = evaluate(module, held_out)
    task = module.spec.tasks[0].name
    return {"mae_mg_week": metrics[f"{task}/mae"], "pw20": metrics[f"{task}/pw20"]}


def audit(store: str, sites: list[str], args, dp_factory, lira: bool) -> dict:
    """Membership attacks on models trained like the benchmarked one on the patient-level
    folds ``cv_s0_<f>`` of ``sites``: the loss attack pools every fold's members and
    non-members (each patient is a non-member once), so it measures memorisation rather
    than which fold happened to hold harder patients; LiRA attacks fold 0's model."""
    member_loss, other_loss = [], []
    for fold in range(args.audit_folds):
        module, data = train(store, sites, args, f"cv_s0_{fold}", dp_factory())
        members, others = data.rows["train"], data.rows["test"]
        n = min(len(members), len(others))
        members = np.random.default_rng(fold).choice(members, n, replace=False)
        member_loss.append(per_patient_loss(module, data, members))
        other_loss.append(per_patient_loss(module, data, others[:n]))
        if fold == 0:
            target, target_data, audited = module, data, np.r_[members, others[:n]]
            is_member = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    result = {f"loss_{k}": v for k, v in loss_threshold_attack(
        np.concatenate(member_loss), np.concatenate(other_loss)).items()}
    if lira:
        def shadow(mask: np.ndarray) -> np.ndarray:
            model, _ = train(store, sites, args, "cv_s0_0", dp_factory(), audited[mask])
            return per_patient_loss(model, target_data, audited)

        target_loss = per_patient_loss(target, target_data, audited)
        result.update({f"lira_{k}": v for k, v in lira_attack(
            target_loss, is_member, shadow, args.shadows, args.seed).items()})
    return result


def add_cohort_arguments(parser: argparse.ArgumentParser) -> None:
    """The options :func:`make_store` reads: the IWPC table, or the synthetic cohort's size."""
    parser.add_argument("--data", default=None, help="IWPC table (default: shared data)")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=8)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny cohort, 2 rounds, 1 shadow "
                        "pair: checks that everything runs")
    add_cohort_arguments(parser)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10, help="federated rounds")
    parser.add_argument("--local-epochs", type=int, default=1, help="epochs per site "
                        "and round")
    parser.add_argument("--fed-lr", type=float, default=None, help="learning rate of the "
                        "sites' optimizer (default: --lr)")
    parser.add_argument("--proximal-mu", type=float, default=0.1, help="FedProx's mu")
    parser.add_argument("--fed-dp", choices=["none", "client", "server"], default="none",
                        help="also run FedAvg with Flower's fixed-clipping DP")
    parser.add_argument("--noise-multiplier", type=float, default=0.5)
    parser.add_argument("--clipping-norm", type=float, default=1.0, help="L2 bound of "
                        "each site's update (all parameters)")
    parser.add_argument("--deploy-rounds", type=int, default=2, help="rounds of FedAvg "
                        "under the deployment runtime (SuperLink + SuperNodes; 0 skips)")
    parser.add_argument("--shadows", type=int, default=4)
    parser.add_argument("--audit-folds", type=int, default=5, help="cv folds the loss "
                        "attack pools (the store holds 5)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, nargs="+", default=[32])
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--dp-lr", type=float, default=1e-2)
    parser.add_argument("--strategies", nargs="*", default=["fedavg", "fedprox"],
                        choices=["fedavg", "fedprox"], help="federated strategies to run")
    parser.add_argument("--parts", nargs="+", default=["dp", "federated", "sites"],
                        choices=["dp", "federated", "sites"], help="what to run beside "
                        "the centralised model (dp also runs the membership audits)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(REPO_ROOT / "benchmarks/results/privacy"))
    args = parser.parse_args(argv)
    if args.quick:
        args.patients, args.sites, args.epochs, args.rounds = 240, 4, 2, 2
        args.deploy_rounds = 1
        args.shadows, args.hidden, args.audit_folds = 2, [8], 1
    return args


def timed(function, *args):
    """``function(*args)`` and its wall time in seconds."""
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def private_models(store: str, train_sites: list[str], args, add) -> None:
    """DP-SGD at each epsilon, with its membership audit."""
    for epsilon in EPSILONS:
        def private(epsilon=epsilon):
            return DifferentialPrivacy(target_epsilon=epsilon, delta=DELTA, max_grad_norm=1.0,
                                       seed=args.seed)
        dp = private()
        (module, _), seconds = timed(lambda dp=dp: train(store, train_sites, args, dp=dp))
        attack = audit(store, train_sites, args, private, lira=not args.quick)
        add(f"dp_eps{epsilon:g}", module, dp.epsilon, seconds,
            noise_multiplier=round(dp.noise_multiplier, 3), **attack)


def federations(store: str, train_sites: list[str], args, add, module, out: Path) -> dict:
    """Each strategy under Flower's simulation engine, FedAvg with Flower's DP if asked,
    and FedAvg under the deployment runtime; returns the seconds of each round."""
    timing = {}
    runs = [(f"simulation_{s}", s, federation_settings(args, s, dp="none"), run_simulation)
            for s in args.strategies]
    if args.fed_dp != "none":
        runs.append((f"simulation_fedavg_dp_{args.fed_dp}", f"fedavg_dp_{args.fed_dp}",
                     federation_settings(args, "fedavg"), run_simulation))
    if args.deploy_rounds:
        settings = federation_settings(args, "fedavg", dp="none")
        settings.rounds = args.deploy_rounds
        runs.append(("deployment_fedavg", "fedavg_deployment", settings, run_deployment))
    for folder, name, settings, runtime in runs:
        (weights, log), seconds = timed(runtime, store, train_sites, settings, out / folder)
        set_weights(module, weights)
        dp = {"noise_multiplier": settings.noise_multiplier,
              "clipping_norm": settings.clipping_norm} if settings.dp != "none" else {}
        add(name, module, None if dp else float("inf"), seconds, rounds=settings.rounds,
            local_epochs=settings.epochs, s_per_round=round(float(np.mean(
                log["round_seconds"])), 2), **dp)
        timing[folder] = log["round_seconds"]
    return timing


def open_benchmark(args: argparse.Namespace) -> tuple[Path, str, str, dict[str, list]]:
    """Single-threaded torch, the output folder, the store (made or given), its source and
    its site parts (``train``, ``test``, ...)."""
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store, source = make_store(args, out)
    return out, str(store), source, store_sites(str(store))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out, store, source, parts = open_benchmark(args)
    train_sites, test_sites = parts["train"], parts["test"]
    rows, timing = [], {}

    def add(model: str, module, epsilon: float | None, seconds: float, **extra) -> None:
        rows.append({"model": model, "epsilon": epsilon, **utility(module, store, test_sites),
                     "train_s": round(seconds, 1), **extra})

    (central, _), seconds = timed(lambda: train(store, train_sites, args))
    attack = audit(store, train_sites, args, lambda: None, lira=True) if "dp" in args.parts \
        else {}
    add("centralised", central, float("inf"), seconds, **attack)
    if "dp" in args.parts:
        private_models(store, train_sites, args, add)
    if "federated" in args.parts:
        timing = federations(store, train_sites, args, add, central, out)
    for site in train_sites if "sites" in args.parts else ():
        (module, data), seconds = timed(lambda site=site: train(store, [site], args))
        add(f"site_alone_{site}", module, float("inf"), seconds,
            site_patients=len(data.rows["train"]))
    report(f"Privacy benchmark ({source}); held-out sites {test_sites}", rows,
           out / "privacy.json", {"args": vars(args), "round_seconds": timing,
                                  "train_sites": train_sites, "test_sites": test_sites})
    return 0


if __name__ == "__main__":
    sys.exit(main())
