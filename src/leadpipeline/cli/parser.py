"""The argument parser, its argument types, the command table and `main`.

Usage errors are one line pointing at ``--help``; every `LeadPipelineError` a command
raises ends the same way, with exit code 2.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from leadpipeline.cli.demo import demo_command, report_command
from leadpipeline.cli.files import score_command
from leadpipeline.cli.lifecycle import lifecycle_command
from leadpipeline.cli.report_output import add_output_options
from leadpipeline.cli.schemas import schema_command
from leadpipeline.cli.sweep import ratio, sweep_command
from leadpipeline.cli.template import init_command
from leadpipeline.errors import LeadPipelineError

__all__ = ["main"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        """Print one line (no usage block) and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 datetime: {text!r}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"naive datetime {text!r} refused: give a UTC offset,"
            f" e.g. {value.replace(tzinfo=UTC).isoformat()}"
        )
    return value


def _step(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be 0 (every threshold) or more, got {text!r}")
    return value


def _version() -> str:
    try:
        return metadata.version("leadpipeline")
    except metadata.PackageNotFoundError:  # run from a checkout without an install
        return "unknown"


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leadpipeline",
        description="The B2B lead lifecycle from the command line: a demo, reports, "
        "scoring, threshold back-tests, playbook files and JSON Schemas.",
        epilog="Bad input ends with one line on standard error and exit code 2."
        " Give - for a file to read standard input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run a seeded population through the whole pipeline and print the report",
        description="Run a seeded population of leads through scoring, handover, channel "
        "allocation, partner offers, returns, SLA escalation and completion on a SQLite "
        "file with a simulated clock, then print the report. The same seed prints the "
        "same report.",
    )
    demo.add_argument(
        "--leads", type=_at_least_one, default=200, help="how many leads (default 200)"
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--schema", default="leadpipeline", help="PostgreSQL schema for a postgresql:// --db"
    )
    demo.add_argument(
        "--db",
        help="keep the SQLite file here (a new file; default: temporary),"
        " or a postgresql:// DSN (needs the postgres extra)",
    )
    add_output_options(demo)
    rep = sub.add_parser(
        "report",
        help="print the report of any SQLite store",
        description="Print the waterfall, journey, SLA attainment, partner scorecard and "
        "reasons of a SQLite store, such as the file `demo --db` keeps.",
    )
    rep.add_argument("--db", required=True, help="the SQLite file, or a postgresql:// DSN")
    rep.add_argument("--schema", default="leadpipeline", help="PostgreSQL schema to read")
    rep.add_argument(
        "--playbook", type=Path, help="playbook file for the SLA policies (.toml or .json)"
    )
    rep.add_argument(
        "--now",
        type=_instant,
        help="report as of this instant, with a UTC offset (default: the last event)",
    )
    add_output_options(rep)
    sc = sub.add_parser(
        "score",
        help="score leads from a JSON-lines file",
        description="Score every lead of a JSON-lines file (one lead per line) and print "
        "one score card per line, as JSON.",
    )
    sc.add_argument("leads", type=Path, help="one lead per line, as JSON (- for stdin)")
    sc.add_argument("--playbook", type=Path, help="playbook file (.toml or .json, - for stdin)")
    sc.add_argument(
        "--now", type=_instant, help="score as of this instant, with a UTC offset (default: now)"
    )
    sw = sub.add_parser(
        "sweep",
        help="back-test every score threshold",
        description="Back-test score thresholds on scored, closed leads and suggest one. "
        'Each line is {"score": ..., "won": ...}, or a score card as `score` prints it with '
        'a "won" (true/false) or "outcome" (won/lost/open) column added.',
    )
    sw.add_argument("scored", type=Path, help="scored leads, one JSON object a line (- for stdin)")
    sw.add_argument("--months", type=float, help="the span the data covers, in months")
    sw.add_argument("--volume-per-month", type=float, help="what sales can take per month")
    sw.add_argument(
        "--min-conversion",
        type=ratio,
        help="least share of handed-over leads won: 0.25 or 25%%",
    )
    sw.add_argument(
        "--min-leads",
        type=_at_least_one,
        default=30,
        help="judge a threshold only on this many handed-over leads or more (default 30)",
    )
    sw.add_argument(
        "--step",
        type=_step,
        default=5.0,
        help="print one row every STEP points (default 5; 0 prints every distinct score)",
    )
    sw.add_argument("--json", action="store_true", help="print the back-test as JSON")
    pb = sub.add_parser(
        "playbook",
        help="work with playbook files",
        description="Work with playbook files (TOML).",
    )
    pbsub = pb.add_subparsers(dest="playbook_command", required=True, metavar="COMMAND")
    init = pbsub.add_parser(
        "init",
        help="write the default playbook as commented TOML",
        description="Write the default playbook as commented TOML, to edit and load.",
    )
    init.add_argument("output", type=Path, nargs="?", help="file to write (default: stdout)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    life = pbsub.add_parser(
        "lifecycle",
        help="print the lifecycle as a mermaid diagram (or a Markdown table)",
        description="Print the playbook's stages, owners and every allowed move as a "
        "mermaid state diagram, or with --markdown as a table.",
    )
    life.add_argument("--playbook", type=Path, help="playbook file (.toml or .json)")
    life.add_argument("--markdown", action="store_true", help="a Markdown table instead")
    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of a lead, command, event, playbook, ...",
        description="Print the JSON Schema (draft 2020-12) of a value a service exchanges. "
        "Without NAME, list every name.",
    )
    schema.add_argument("name", nargs="?", metavar="NAME", help="e.g. lead, command, playbook")
    schema.add_argument(
        "--all", action="store_true", help="every definition in one document ($defs)"
    )
    return parser


_PLAYBOOK_COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "init": init_command,
    "lifecycle": lifecycle_command,
}

_COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "demo": demo_command,
    "report": report_command,
    "score": score_command,
    "sweep": sweep_command,
    "playbook": lambda args: _PLAYBOOK_COMMANDS[args.playbook_command](args),
    "schema": schema_command,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (0 done, 2 bad input, 130 interrupted).

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "playbook.toml"
        >>> main(["playbook", "init", str(target)])
        wrote .../playbook.toml
        0
    """
    args = _parser().parse_args(argv)
    try:
        _COMMANDS[args.command](args)
    except LeadPipelineError as exc:
        print(f"leadpipeline: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        where = f"{args.db}: " if getattr(args, "db", None) is not None else ""
        print(f"leadpipeline: {where}database error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("leadpipeline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
