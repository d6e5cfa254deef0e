"""Warfarin dosing agents on the Hamberg PK/PD simulator: ``pgxdl rl train|evaluate``.

    pgxdl rl train --config rl/ppo.yaml [--seed 1] [--output-dir runs/rl]
        [--total-timesteps 20000] [--wandb]
    pgxdl rl evaluate --run runs/rl/ppo/seed_0 [--n-patients 500] [--seed 1000] [--out DIR]

``train`` writes the run folder described in :mod:`pgxdl.rl.train`; ``evaluate`` scores the
run's best agent beside the clinical protocols on held-out virtual patients
(:mod:`pgxdl.rl.evaluate`). A ``--config`` that is not a file is read from the shipped
configs (``rl/ppo.yaml``, ``rl/dqn.yaml``, ``rl/qlearning.yaml``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "train or evaluate a warfarin dosing agent"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="train an agent from a YAML run config")
    train.add_argument("--config", required=True, help="run config (rl/ppo.yaml or a path)")
    train.add_argument("--seed", type=int, help="overrides the config's seed")
    train.add_argument("--output-dir", help="overrides the config's output_dir")
    train.add_argument("--total-timesteps", type=int, help="overrides training.total_timesteps")
    train.add_argument("--wandb", action="store_true", help="also log to W&B")
    evaluate = actions.add_parser("evaluate", help="score a trained run beside the protocols")
    evaluate.add_argument("--run", dest="run_dir", required=True, type=Path,
                          help="run folder of `rl train`")
    evaluate.add_argument("--n-patients", type=int, default=500)
    evaluate.add_argument("--seed", type=int, default=1000, help="seed of the held-out cohort")
    evaluate.add_argument("--out", type=Path, help="output folder (default: the run folder)")


def run_train(args: argparse.Namespace) -> int:
    from pgxdl.rl.train import load_config, train

    config = load_config(args.config)
    if args.seed is not None:
        config["seed"] = args.seed
    if args.output_dir:
        config["output_dir"] = args.output_dir
    if args.total_timesteps:
        config["training"]["total_timesteps"] = args.total_timesteps
    if args.wandb:
        config["logging"]["wandb"] = True
    print(f"run written to {train(config)}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from pgxdl.rl.evaluate import evaluate_run

    result = evaluate_run(args.run_dir, args.n_patients, args.seed, args.out or args.run_dir)
    for name, groups in result["policies"].items():
        print(f"{name:28s} PTTR {groups['all']['pttr']:.3f}  "
              f">4 {groups['all']['frac_inr_above_4']:.4f}  "
              f"<1.5 {groups['all']['frac_inr_below_1_5']:.3f}")
    return 0


def run(args: argparse.Namespace) -> int:
    return run_train(args) if args.action == "train" else run_evaluate(args)
