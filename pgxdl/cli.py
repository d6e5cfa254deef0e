"""The one ``pgxdl`` command: ``pgxdl <subcommand> [options]`` (``pgxdl <subcommand> --help``).

:data:`SUBCOMMANDS` maps each name to the module that implements it; every module exposes
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. A module is imported
only when its subcommand runs (``--help`` of the top level imports none), so a slow import
(torch, Captum, RDKit) costs the other subcommands nothing.

Expected errors (bad input, a missing file, a store that does not fit a checkpoint) end with
one line on stderr, ``pgxdl <subcommand>: error: <what and how to fix it>``, and exit status
2; ``--debug`` (before or after the subcommand) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: name -> (module, one-line help shown by ``pgxdl --help``).
SUBCOMMANDS = {
    "build": ("pgxdl.commands.build", "build a cohort store from a data config"),
    "inspect": ("pgxdl.commands.inspect", "print a cohort store's summary"),
    "train": ("pgxdl.commands.train", "train / validate / test / predict (LightningCLI)"),
    "evaluate": ("pgxdl.commands.evaluate", "metrics with CIs per subgroup, predictions, plots"),
    "attribute": ("pgxdl.commands.attribute", "Captum attributions and in-silico mutagenesis"),
    "explore": ("pgxdl.commands.explore", "embeddings, clusters and subgroups of a cohort"),
    "sweep": ("pgxdl.commands.sweep", "hyperparameter sweep without a W&B server"),
    "external": ("pgxdl.commands.external",
                 "IWPC warfarin: train the recommended recipe on one table, validate on another"),
    "rl": ("pgxdl.commands.rl", "train or evaluate a warfarin dosing agent"),
    "predict": ("pgxdl.commands.predict",
                "predict for new people (VCF/genotypes + record or FHIR) from checkpoints"),
    "serve": ("pgxdl.commands.serve", "CDS Hooks service: warfarin dose and antidepressant cards"),
    "quickstart": ("pgxdl.commands.quickstart", "build, train and evaluate the simulated cohort"),
}

#: Exceptions that are the user's input, not a bug: shown as one line unless ``--debug``.
EXPECTED_ERRORS = (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError,
                   IsADirectoryError, PermissionError)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser; with ``command``, only that subcommand's module is imported."""
    parser = argparse.ArgumentParser(
        prog="pgxdl", description="Deep learning for pharmacogenomics.",
        epilog="`pgxdl <subcommand> --help` describes each one.")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, (module_path, summary) in SUBCOMMANDS.items():
        if name != command:
            commands.add_parser(name, help=summary, add_help=False)
            continue
        module = importlib.import_module(module_path)
        sub = commands.add_parser(name, help=summary, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the full traceback of an error")
        sub.set_defaults(handler=module.run)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The first argument that names a subcommand (options such as ``--debug`` may precede)."""
    return next((arg for arg in argv if arg in SUBCOMMANDS), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the subcommand, return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(argv)
    parser = build_parser(command)
    if command == "train":
        # LightningCLI parses its own arguments: hand everything after `train` over.
        index = argv.index(command)
        args, _ = parser.parse_known_args(argv[:index + 1])
        args.rest = argv[index + 1:]
        args.debug = args.debug or "--debug" in args.rest
        args.rest = [arg for arg in args.rest if arg != "--debug"]
    else:
        args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except EXPECTED_ERRORS as error:
        if args.debug:
            raise
        print(f"pgxdl {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
