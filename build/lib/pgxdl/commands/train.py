"""Train, validate, test or predict a model from composable YAML configs (LightningCLI).

    pgxdl train fit --config experiment/quickstart.yaml --data.init_args.store s.h5
    pgxdl train fit --config trainer/cpu.yaml --config model/cnn_gated.yaml \\
        --data.class_path pgxdl.data.datamodule.CohortDataModule --data.init_args.store s.h5
    pgxdl train fit --config <run dir>/config_fit.yaml --ckpt_path last      (resume)
    pgxdl train fit --help                                            (every option)

The stage (fit, validate, test, predict) comes first; without one, ``fit`` runs. A
``--config`` that is not a file is read from the configs pgxdl ships
(``experiment/quickstart.yaml``, also written ``configs/experiment/quickstart.yaml``), so
the same command works from any folder after ``pip install``. ``python train.py`` is the
same command.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from pgxdl.resources import config_path

HELP = "train / validate / test / predict (LightningCLI)"
STAGES = ("fit", "validate", "test", "predict")
CONFIG_FLAGS = ("--config", "-c")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs=argparse.REMAINDER,
                        help="stage and LightningCLI options (`pgxdl train fit --help`)")


def resolve_configs(argv: Sequence[str]) -> list[str]:
    """``argv`` with every ``--config`` value that is not a file replaced by the shipped
    config of that name (:func:`pgxdl.resources.config_path`); a missing one is an error."""
    resolved, expect_config = [], False
    for arg in argv:
        if expect_config:
            resolved.append(str(config_path(arg)))
            expect_config = False
            continue
        flag, sep, value = arg.partition("=")
        if flag in CONFIG_FLAGS and sep:
            resolved.append(f"{flag}={config_path(value)}")
        else:
            resolved.append(arg)
            expect_config = arg in CONFIG_FLAGS
    return resolved


def lightning_arguments(rest: Sequence[str]) -> list[str]:
    """The LightningCLI argument list: the stage first (``fit`` when none is given)."""
    if not rest or rest[0] in (*STAGES, "-h", "--help"):
        return resolve_configs(rest)
    return ["fit", *resolve_configs(rest)]


def run(args: argparse.Namespace) -> int:
    from pgxdl.training.lightning_cli import run_lightning_cli

    return run_lightning_cli(lightning_arguments(args.rest))
