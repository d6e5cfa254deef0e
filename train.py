"""``python train.py ...`` is ``pgxdl train ...``: see ``pgxdl train --help``."""

import sys

from pgxdl.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
