"""``python -m pgxdl.interpret``: see :mod:`pgxdl.interpret.cli`."""

import sys

from pgxdl.interpret.cli import main

sys.exit(main())
