"""``python -m rnnverify``: the same command line as the ``rnnverify`` script."""

import sys

from rnnverify.crosscheck.cli import main

sys.exit(main())
