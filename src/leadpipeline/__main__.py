"""`python -m leadpipeline`: the command line."""

import sys

from leadpipeline.cli import main

sys.exit(main())
