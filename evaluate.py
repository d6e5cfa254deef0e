"""``python evaluate.py [metrics|attribute] ...`` is ``pgxdl evaluate|attribute ...``."""

import sys

from pgxdl.cli import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["attribute"]:
        sys.exit(main(argv))
    sys.exit(main(["evaluate", *(argv[1:] if argv[:1] == ["metrics"] else argv)]))
