"""``python -m pgxdl.explore``: see :mod:`pgxdl.explore.cli`."""

from pgxdl.explore.cli import main

main()
