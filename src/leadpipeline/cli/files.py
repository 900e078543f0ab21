"""The commands that read files: ``score`` (leads) and ``sweep`` (scored outcomes).

Each reads JSON lines; a bad line ends the run with one message naming the file, the
line and the field. A bad ``--playbook`` file is refused the same way, for these
commands and for ``report``.
"""

from __future__ import annotations

import argparse
import sys
import typing
from datetime import UTC, datetime
from pathlib import Path

from leadpipeline.errors import LeadPipelineError, ValidationError
from leadpipeline.lead import Lead
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.scoring import score
from leadpipeline.serialization import from_json, from_toml, load_file, to_json

__all__ = [
    "STDIN",
    "display_name",
    "load_playbook",
    "parse_line",
    "read_lines",
    "read_text",
    "score_command",
]


STDIN = Path("-")
"""The file name that means standard input, as in other command-line tools."""


def read_text(path: Path) -> str:
    """A file's text, or standard input's when `path` is ``-``."""
    try:
        if path == STDIN:
            return sys.stdin.buffer.read().decode("utf-8")
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LeadPipelineError(
            f"{display_name(path)}: cannot read: {exc.strerror or exc}"
        ) from None
    except UnicodeDecodeError:
        raise LeadPipelineError(f"{display_name(path)}: not UTF-8 text") from None


def display_name(path: Path) -> str:
    """How messages name a file: its path, or ``<stdin>`` for ``-``."""
    return "<stdin>" if path == STDIN else str(path)


def read_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a text file (or of standard input) with their 1-based numbers."""
    text = read_text(path)
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def parse_line(path: Path, number: int, line: str, cls: object) -> object:
    """One JSON-lines record; a refusal names the file, the line and the field."""
    try:
        return from_json(line, cls)
    except ValidationError as exc:  # bad JSON, too deep, a number too long, or a bad field
        raise LeadPipelineError(f"{display_name(path)}: line {number}: {exc}") from None


def load_playbook(path: Path | None, default: Playbook = DEFAULT_PLAYBOOK) -> Playbook:
    """The playbook in the file at `path`, or `default` when none is given."""
    if path is None:
        return default
    if path == STDIN:  # no suffix to go by: JSON starts with a brace, anything else is TOML
        text = read_text(path)
        try:
            if text.lstrip().startswith("{"):
                return typing.cast("Playbook", from_json(text, Playbook))
            return typing.cast("Playbook", from_toml(text, Playbook))
        except ValidationError as exc:
            raise LeadPipelineError(f"<stdin>: {exc}") from None
    playbook: Playbook = load_file(path, Playbook)
    return playbook


def score_command(args: argparse.Namespace) -> None:
    """``leadpipeline score``: one score card per lead, as JSON lines."""
    playbook = load_playbook(args.playbook)
    now = args.now or datetime.now(UTC)
    cards = []
    for number, line in read_lines(args.leads):
        lead = parse_line(args.leads, number, line, Lead)
        assert isinstance(lead, Lead)  # structure built the class it was given
        cards.append(to_json(score(lead, playbook.scoring, now=now)))
    sys.stdout.write("".join(card + "\n" for card in cards))
