"""``python -m sharewell.cli``: the same command line as the ``sharewell`` script."""

import sys

from sharewell.cli import main

sys.exit(main())
