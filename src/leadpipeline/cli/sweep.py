"""``leadpipeline sweep``: back-test hand-over thresholds on scored, closed leads.

Reads JSON lines, each either ``{"score": ..., "won": ...}`` or a score card as ``score``
prints it (``"total"``) with a ``"won"`` (true or false) or ``"outcome"`` (``"won"``,
``"lost"``, ``"open"``) column added, so the output of ``score`` feeds the sweep. Prints one
row every ``--step`` points and, given a goal, the threshold to hand over at.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import attrs

from leadpipeline.analytics import (
    ScoredOutcome,
    ThresholdPoint,
    ThresholdSweep,
    suggest_threshold,
    threshold_sweep,
)
from leadpipeline.cli.files import display_name, parse_line, read_lines
from leadpipeline.errors import LeadPipelineError, ValidationError
from leadpipeline.serialization import from_json

__all__ = ["ratio", "sweep_command", "sweep_rows"]

_OUTCOMES = {"won": True, "lost": False, "open": False}


def ratio(text: str) -> float:
    """A share from the command line: ``0.25`` or ``25%``; ``25`` alone is refused.

    Example:
        >>> ratio("25%"), ratio("0.25")
        (0.25, 0.25)
    """
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    value = value / 100 if percent else value
    if not (math.isfinite(value) and 0 <= value <= 1):
        hint = f"; for {text}% write {text}%" if not percent and 1 < value <= 100 else ""
        raise argparse.ArgumentTypeError(f"a share from 0 to 1 or a percentage, got {text!r}{hint}")
    return value


def _row(path: Path, number: int, line: str) -> ScoredOutcome:
    """One scored lead: a ``score``/``won`` row, or a score card with an outcome column."""
    try:
        data: dict[str, Any] = from_json(line, dict[str, Any])
    except ValidationError as exc:
        raise LeadPipelineError(f"{display_name(path)}: line {number}: {exc}") from None
    if "score" in data or "total" not in data:
        row = parse_line(path, number, line, ScoredOutcome)
        assert isinstance(row, ScoredOutcome)  # structure built the class it was given
        return row
    where = f"{display_name(path)}: line {number}"
    total = data["total"]
    if isinstance(total, bool) or not isinstance(total, int | float):
        raise LeadPipelineError(f"{where}: total: expected a number, got {total!r}")
    if "won" in data:
        won = data["won"]
        if not isinstance(won, bool):
            raise LeadPipelineError(f"{where}: won: expected true or false, got {won!r}")
    elif "outcome" in data:
        outcome = data["outcome"]
        if outcome not in _OUTCOMES:
            raise LeadPipelineError(
                f"{where}: outcome: expected one of {', '.join(_OUTCOMES)}, got {outcome!r}"
            )
        won = _OUTCOMES[outcome]
    else:
        raise LeadPipelineError(
            f"{where}: a score card needs a won (true/false) or outcome (won/lost/open) column"
        )
    return ScoredOutcome(score=float(total), won=won, lead_id=str(data.get("lead_id", "")))


def sweep_rows(sweep: ThresholdSweep, *, step: float) -> list[ThresholdPoint]:
    """Every distinct threshold (`step` 0), or one row per multiple of `step` points.

    Example:
        >>> sweep = threshold_sweep([(float(s), s > 50) for s in range(100)])
        >>> [p.threshold for p in sweep_rows(sweep, step=25)]
        [0.0, 25.0, 50.0, 75.0]
    """
    if step == 0 or not len(sweep):
        return list(sweep)
    rows: list[ThresholdPoint] = []
    threshold = math.floor(sweep.thresholds[0] / step) * step
    while threshold <= sweep.thresholds[-1]:
        point = sweep.at(threshold)
        if point is not None and (not rows or point.volume != rows[-1].volume):
            rows.append(attrs.evolve(point, threshold=threshold))
        threshold += step
    return rows


def _suggest(args: argparse.Namespace, sweep: ThresholdSweep) -> dict[str, Any] | str:
    if args.volume_per_month is None and args.min_conversion is None:
        return "give --volume-per-month or --min-conversion for one"
    suggestion = suggest_threshold(
        sweep,
        volume_per_month=args.volume_per_month,
        min_conversion=args.min_conversion,
        min_leads=args.min_leads,
    )
    return {"threshold": suggestion.threshold, "reason": suggestion.reason}


def _point(p: ThresholdPoint) -> dict[str, Any]:
    return {f.name: getattr(p, f.name) for f in attrs.fields(ThresholdPoint)}


def sweep_command(args: argparse.Namespace) -> None:
    """``leadpipeline sweep``: the back-test every `--step` points, and a suggestion if asked."""
    rows = [_row(args.scored, n, line) for n, line in read_lines(args.scored)]
    if not rows:
        raise LeadPipelineError(f"{display_name(args.scored)}: no scored leads")
    sweep = threshold_sweep(rows, months=args.months)
    points = sweep_rows(sweep, step=args.step)
    suggestion = _suggest(args, sweep)
    if args.json:
        print(
            json.dumps(
                {
                    "leads": sweep.leads,
                    "wins": sweep.total_wins,
                    "step": args.step,
                    "points": [_point(p) for p in points],
                    "suggestion": suggestion if isinstance(suggestion, dict) else None,
                },
                indent=2,
            )
        )
        return
    print(
        f"{'threshold':>10} {'volume':>8} {'wins':>6} {'conversion':>11} {'recall':>7} {'lift':>6}"
    )
    for point in points:
        recall = "-" if point.recall is None else f"{point.recall:.0%}"
        lift = "-" if point.lift is None else f"{point.lift:.2f}"
        print(
            f"{point.threshold:>10g} {point.volume:>8} {point.wins:>6} "
            f"{point.conversion:>11.1%} {recall:>7} {lift:>6}"
        )
    if isinstance(suggestion, str):
        print(f"suggested threshold: {suggestion}")
    elif suggestion["threshold"] is None:
        print(f"suggested threshold: none ({suggestion['reason']})")
    else:
        print(f"suggested threshold: {suggestion['threshold']:g} ({suggestion['reason']})")
