"""What every analysis reads from a history: its capture, the stages reached, its outcome.

Private to `leadpipeline.analytics`; `outcome_of` is public through the package.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

from leadpipeline.errors import ValidationError
from leadpipeline.events import Completed, Event, LeadCaptured, Outcome, StageChanged

__all__ = [
    "History",
    "capture_of",
    "median",
    "outcome_of",
    "p90",
    "rate",
    "stages_reached",
]

History = Sequence[Event]


def capture_of(history: History, index: int) -> LeadCaptured:
    """The `LeadCaptured` a history starts with; `index` names the history in the refusal."""
    if not history or not isinstance(history[0], LeadCaptured):
        raise ValidationError.at(f"histories[{index}]", "a history starts with LeadCaptured")
    return history[0]


def stages_reached(history: History) -> set[str]:
    """The stage the lead was captured in and every stage a `StageChanged` moved it to."""
    first = history[0]
    stages = {first.lead.stage} if isinstance(first, LeadCaptured) else set()
    stages.update(e.to_stage for e in history if isinstance(e, StageChanged))
    return stages


def outcome_of(history: History) -> Outcome | None:
    """How a lead ended: the outcome of its last `Completed` event, or None while open.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> print(outcome_of((LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(),
        ...                                lead=lead),)))
        None
    """
    for event in reversed(history):
        if isinstance(event, Completed):
            return event.outcome
    return None


def rate(part: int, whole: int) -> float | None:
    """`part` over `whole`, or None when `whole` is 0 rather than a division by zero."""
    return part / whole if whole else None


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The median duration (the mean of the middle two for an even count); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def p90(values: Sequence[timedelta]) -> timedelta | None:
    """The nearest-rank 90th percentile: the least value with 90 % at or below it; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]
