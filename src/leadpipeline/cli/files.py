"""The commands that read files: ``score`` (leads) and ``sweep`` (scored outcomes).

Each reads JSON lines; a bad line ends the run with one message naming the file, the
line and the field. A bad ``--playbook`` file is refused the same way, for these
commands and for ``report``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from leadpipeline.analytics import ScoredOutcome, suggest_threshold, threshold_sweep
from leadpipeline.errors import LeadPipelineError, ValidationError
from leadpipeline.lead import Lead
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.scoring import score
from leadpipeline.serialization import from_json, load_file, to_json

__all__ = ["load_playbook", "score_command", "sweep_command"]


def _read_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a text file with their 1-based numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LeadPipelineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LeadPipelineError(f"{path}: not UTF-8 text") from None
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _parse(path: Path, number: int, line: str, cls: object) -> object:
    """One JSON-lines record; a refusal names the file, the line and the field."""
    try:
        return from_json(line, cls)
    except ValidationError as exc:  # bad JSON, too deep, a number too long, or a bad field
        raise LeadPipelineError(f"{path}: line {number}: {exc}") from None


def load_playbook(path: Path | None, default: Playbook = DEFAULT_PLAYBOOK) -> Playbook:
    """The playbook in the file at `path`, or `default` when none is given."""
    if path is None:
        return default
    playbook: Playbook = load_file(path, Playbook)
    return playbook


def score_command(args: argparse.Namespace) -> None:
    """``leadpipeline score``: one score card per lead, as JSON lines."""
    playbook = load_playbook(args.playbook)
    now = args.now or datetime.now(UTC)
    cards = []
    for number, line in _read_lines(args.leads):
        lead = _parse(args.leads, number, line, Lead)
        assert isinstance(lead, Lead)  # structure built the class it was given
        cards.append(to_json(score(lead, playbook.scoring, now=now)))
    sys.stdout.write("".join(card + "\n" for card in cards))


def sweep_command(args: argparse.Namespace) -> None:
    """``leadpipeline sweep``: every threshold's back-test, and a suggestion if asked."""
    rows = []
    for number, line in _read_lines(args.scored):
        row = _parse(args.scored, number, line, ScoredOutcome)
        assert isinstance(row, ScoredOutcome)  # structure built the class it was given
        rows.append(row)
    if not rows:
        raise LeadPipelineError(f"{args.scored}: no scored leads")
    sweep = threshold_sweep(rows, months=args.months)
    print(
        f"{'threshold':>10} {'volume':>8} {'wins':>6} {'conversion':>11} {'recall':>7} {'lift':>6}"
    )
    for point in sweep:
        recall = "-" if point.recall is None else f"{point.recall:.0%}"
        lift = "-" if point.lift is None else f"{point.lift:.2f}"
        print(
            f"{point.threshold:>10g} {point.volume:>8} {point.wins:>6} "
            f"{point.conversion:>11.1%} {recall:>7} {lift:>6}"
        )
    if args.volume_per_month is None and args.min_conversion is None:
        print("suggested threshold: give --volume-per-month or --min-conversion for one")
        return
    suggestion = suggest_threshold(
        sweep, volume_per_month=args.volume_per_month, min_conversion=args.min_conversion
    )
    if suggestion.threshold is None:
        print(f"suggested threshold: none ({suggestion.reason})")
    else:
        print(f"suggested threshold: {suggestion.threshold:g} ({suggestion.reason})")
