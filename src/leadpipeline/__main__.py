"""`python -m leadpipeline`: the command line (the same as the `leadpipeline` script)."""

import sys

from leadpipeline.cli import main

if __name__ == "__main__":
    sys.exit(main())
