"""The report's output options, shared by ``demo`` and ``report``: text, JSON, CSV, HTML.

Why: both commands end in the same report, so both take the same ``--json``, ``--csv``
and ``--html FILE`` and render the one gathered `ReportData` the way they were asked.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from leadpipeline.cli.report_data import ReportData, to_csv, to_json_data
from leadpipeline.cli.report_html import render_html
from leadpipeline.cli.report_text import render_text
from leadpipeline.errors import LeadPipelineError

__all__ = ["add_output_options", "renderer"]

Renderer = Callable[[ReportData], str]


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--json``, ``--csv`` (one of them) and ``--html FILE`` to a command."""
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print the report as JSON")
    form.add_argument("--csv", action="store_true", help="print the report as CSV")
    parser.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write one self-contained HTML page with charts to FILE",
    )


def check_html_target(path: Path | None) -> None:
    """Refuse an --html FILE whose folder does not exist, before any work is done."""
    if path is not None and not path.parent.is_dir():
        raise LeadPipelineError(f"{path}: no such folder {str(path.parent)!r}")


def renderer(args: argparse.Namespace) -> Renderer:
    """The text to print for the options given; writes the HTML page on the way."""

    def render(data: ReportData) -> str:
        if args.html is not None:
            try:
                args.html.write_text(render_html(data), encoding="utf-8")
            except OSError as exc:
                raise LeadPipelineError(
                    f"{args.html}: cannot write: {exc.strerror or exc}"
                ) from None
        if args.json:
            return json.dumps(to_json_data(data), indent=2, ensure_ascii=False)
        if args.csv:
            return to_csv(data).rstrip("\n")
        return render_text(data)

    return render
