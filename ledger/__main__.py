"""``python -m ledger``: the command line."""

import sys

from ledger.cli import main

if __name__ == "__main__":
    sys.exit(main())
