"""The ``pgxdl`` subcommands: one module each, exposing ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int`` (see :mod:`pgxdl.cli`)."""
