"""The command line: ``demo``, ``report``, ``score``, ``sweep``, ``playbook init``, ``schema``.

The demo runs a seeded population through the whole pipeline on a SQLite file with a
simulated clock, then prints the report an operations lead would read. Bad input (a
missing file, a malformed line, an unknown playbook key, a datetime without a UTC offset)
ends with one line on standard error that names the file, line or key, and exit code 2.
"""

from leadpipeline.cli.demo import demo_playbook, run_demo
from leadpipeline.cli.parser import main
from leadpipeline.cli.reporting import report
from leadpipeline.cli.template import playbook_template

__all__ = ["demo_playbook", "main", "playbook_template", "report", "run_demo"]
