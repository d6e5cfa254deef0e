"""External validation of the recommended IWPC warfarin recipe (a wrapper of
``pgxdl external``; see :mod:`pgxdl.commands.external`)::

    python benchmarks/iwpc_external.py --train-table A.csv --test-table B.csv --out D
    python benchmarks/iwpc_external.py --train-table T.csv --test-table T.csv \\
        --test-sites 3 8 --out D          # A = the other sites of T: leave-site-out
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pgxdl.commands.external import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
