"""``python -m bench.loadtest``: see ``bench.loadtest.run``."""

import sys

from bench.loadtest.run import main

sys.exit(main())
