"""Run the command line as ``python -m trustmodels`` (see :mod:`trustmodels.cli`)."""

import sys

from trustmodels.cli import main

if __name__ == "__main__":
    sys.exit(main())
