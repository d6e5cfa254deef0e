"""Evaluate a trained checkpoint: ``python evaluate.py [metrics] --ckpt ... --store ...``.

See ``python evaluate.py --help`` and docs/evaluation.md.
"""

import sys

from pgxdl.evaluation.cli import main

if __name__ == "__main__":
    sys.exit(main())
