"""``evaluate.py``: subcommands over trained checkpoints.

:data:`SUBCOMMANDS` maps a subcommand name to the module that implements it; each
module exposes ``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``.
Modules are imported only when their subcommand runs, so adding one (e.g.
``"attribute": "pgxdl.commands.attribute"``) costs the others nothing. Without a subcommand,
``python evaluate.py --ckpt ...`` runs :data:`DEFAULT_SUBCOMMAND`. Bad input (a store that
does not fit the checkpoint, a missing file) ends with one clear line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = {
    "metrics": "pgxdl.commands.evaluate",
    "attribute": "pgxdl.commands.attribute",
}
DEFAULT_SUBCOMMAND = "metrics"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per entry of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="python evaluate.py", description="Evaluate pgxdl checkpoints.",
        epilog=f"Without a subcommand, '{DEFAULT_SUBCOMMAND}' runs.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_path in SUBCOMMANDS.items():
        module = importlib.import_module(module_path)
        sub = commands.add_parser(name, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the chosen subcommand."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv.insert(0, DEFAULT_SUBCOMMAND)
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f"evaluate.py {args.command}: error: {error}", file=sys.stderr)
        return 2
