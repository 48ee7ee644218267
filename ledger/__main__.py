"""``python -m ledger``: the command line."""

import sys

from ledger.cli import main

sys.exit(main())
