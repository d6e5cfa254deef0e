"""``train.py``'s LightningCLI: data spec linked into the model, run directory, resume checks.

Run layout (``trainer.default_root_dir``, the *run dir*)::

    <run dir>/config_<stage>.yaml     resolved configuration of each command
    <run dir>/checkpoints/*.ckpt      checkpoints (last.ckpt for resuming)
    <run dir>/metrics_<stage>.json    final metrics of each command
    <run dir>/csv/version_<k>/        CSV logs;  <run dir>/wandb/  W&B (offline) files
    <run dir>/wandb_run_id            W&B run id reused by resumed and requeued jobs
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path
from typing import Literal

import pytorch_lightning as pl
import torch
from jsonargparse import Namespace
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI

from pgxdl.training.callbacks import PredictionWriter, RunConfigSaver, RunSummary, StepSeed
from pgxdl.training.checkpoints import read_checkpoint, spec_to_plain
from pgxdl.training.loggers import DEFAULT_RUN_DIR, RunWandbLogger, WandbMode
from pgxdl.training.module import DrugResponseModule

WANDB_LOGGER = f"{RunWandbLogger.__module__}.{RunWandbLogger.__name__}"

class PgxdlCLI(LightningCLI):
    """LightningCLI over :class:`DrugResponseModule` and any LightningDataModule with a ``spec``.

    Subcommands ``fit``, ``validate``, ``test``, ``predict``; configs compose with
    repeated ``--config`` (trainer, data, model) or one experiment file. ``data.spec`` is
    linked into ``model.spec`` when the data module is instantiated.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("model_class", DrugResponseModule)
        kwargs.setdefault("datamodule_class", pl.LightningDataModule)
        kwargs.setdefault("subclass_mode_data", True)
        kwargs.setdefault("save_config_callback", RunConfigSaver)
        kwargs.setdefault("seed_everything_default", 0)
        kwargs.setdefault("trainer_defaults", {"callbacks": [StepSeed(), RunSummary(),
                                                           PredictionWriter()]})
        kwargs.setdefault("auto_configure_optimizers", False)
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("data.spec", "model.spec", compute_fn=spec_to_plain,
                              apply_on="instantiate")
        parser.set_defaults({"trainer.default_root_dir": DEFAULT_RUN_DIR})
        parser.add_argument("--run_dir", type=str | None, default=None,
                            help="Run directory ($VARS expanded); when set it replaces "
                                 "trainer.default_root_dir (each experiment config names one).")
        parser.add_argument("--float32_matmul_precision", default=None,
                            type=Literal["highest", "high", "medium"] | None,
                            help="torch.set_float32_matmul_precision for fp32 runs: 'high' "
                                 "lets GPU tensor cores use TF32 (faster, ~1e-3 relative "
                                 "error); unset (default) leaves torch's setting alone.")
        parser.add_argument("--wandb_mode", type=WandbMode | None, default=None,
                            help="W&B mode of the run's W&B logger; unset (default): online "
                                 "when logged in (netrc, WANDB_API_KEY) or under a sweep "
                                 "agent, else offline; WANDB_MODE and `wandb offline` count.")

    def _subcommand_config(self) -> Namespace:
        subcommand = self.config.get("subcommand")
        return self.config[subcommand] if subcommand else self.config

    def parse_arguments(self, parser: LightningArgumentParser, args) -> None:
        """Parse, apply ``run_dir``, then resolve ``ckpt_path`` (``last`` is
        ``<run dir>/checkpoints/last.ckpt``) and fail clearly on a missing or corrupt
        checkpoint before anything is built."""
        super().parse_arguments(parser, args)
        config = self._subcommand_config()
        if config.get("run_dir"):
            run_dir = os.path.expandvars(config.run_dir)
            if "$" in run_dir:
                raise ValueError(f"run_dir {config.run_dir!r}: environment variable not set "
                                 f"(after expansion: {run_dir!r})")
            config.run_dir = config.trainer.default_root_dir = run_dir
        ckpt_path = config.get("ckpt_path")
        if not ckpt_path:
            return
        run_dir = Path(config.trainer.default_root_dir or DEFAULT_RUN_DIR)
        if ckpt_path == "last":
            last = run_dir / "checkpoints" / "last.ckpt"
            if not last.is_file():
                raise FileNotFoundError(
                    f"--ckpt_path last: no {last} (run dir {run_dir}); start without "
                    f"--ckpt_path, or point --trainer.default_root_dir at the run to resume")
            ckpt_path = str(last)
        elif ckpt_path in ("best", "hpc", "registry"):
            return
        read_checkpoint(ckpt_path)
        config.ckpt_path = ckpt_path

    def before_instantiate_classes(self) -> None:
        """Set the fp32 matmul precision; give loggers configured with ``save_dir: null``
        the run directory and the W&B logger the ``--wandb_mode`` asked for."""
        config = self._subcommand_config()
        if config.float32_matmul_precision is not None:
            torch.set_float32_matmul_precision(config.float32_matmul_precision)
        trainer = config.trainer
        run_dir = trainer.default_root_dir or DEFAULT_RUN_DIR
        loggers = trainer.logger if isinstance(trainer.logger, list) else [trainer.logger]
        for logger in loggers:
            if not isinstance(logger, Namespace):
                continue
            if "save_dir" in logger.get("init_args", {}) and logger.init_args.save_dir is None:
                logger.init_args.save_dir = run_dir
            if config.wandb_mode is not None and logger.get("class_path") == WANDB_LOGGER:
                logger.init_args.mode = config.wandb_mode


#: Errors of the user's input found while LightningCLI instantiates the classes.
INPUT_ERRORS = (ValueError, FileNotFoundError, FileExistsError, PermissionError)


def condensed(error: BaseException) -> str:
    """One line from a jsonargparse error: its first line and the innermost reasons."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reasons = [line[2:] for line in lines[1:] if line.startswith("- ")
               and "Expected a <class 'NoneType'>" not in line and "Problem with" not in line]
    reasons += [line for line in lines[1:] if line.startswith("Option ")]
    head = lines[0] if lines else type(error).__name__
    return "; ".join([head.rstrip(":"), *dict.fromkeys(reasons)])


def root_input_error(error: BaseException) -> BaseException:
    """The innermost input error in ``error``'s chain of causes (``error`` itself if none)."""
    found, current, seen = error, error, set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, INPUT_ERRORS):
            found = current
        # a context hidden with `raise ... from None` is not part of the story
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    return found


def run_lightning_cli(args: list[str]) -> int:
    """Run :class:`PgxdlCLI` on ``args`` (stage first).

    Raises
    ------
    ValueError (or the input error underneath) in one line: a bad option or value, or a
    data module that cannot be built (e.g. its store is missing); ``--help`` still exits 0.
    """
    try:
        with warnings.catch_warnings():
            # pgxdl hands LightningCLI its own share of sys.argv on purpose
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
            PgxdlCLI(args=args, parser_kwargs={"exit_on_error": False, "prog": "pgxdl train"})
    except argparse.ArgumentError as error:
        raise ValueError(f"{condensed(error)} (see `pgxdl train {args[0] if args else 'fit'} "
                         f"--help`)") from error
    except INPUT_ERRORS as error:
        root = root_input_error(error)
        if root is error:
            raise
        try:
            surfaced = type(root)(str(root))
        except TypeError:  # an exception type that takes other arguments
            surfaced = ValueError(str(root))
        raise surfaced from error
    return 0
