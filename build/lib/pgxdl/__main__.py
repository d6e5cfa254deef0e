import sys

from pgxdl.cli import main

sys.exit(main())
