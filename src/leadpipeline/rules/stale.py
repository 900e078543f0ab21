"""Stale leads: a low score that has not moved for a while is recycled or dropped.

The source texts say it plainly: a lead whose score is low should be worked up or dropped
when it shows no sign of progress. The playbook's `StalePolicy` names the score ceiling
(a lead scoring at or above it is never stale, however flat its score), the period
without progress, and what to do: recycle it to nurture or disqualify it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import attrs

from leadpipeline._checks import positive, require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError
from leadpipeline.events import Event, LeadCaptured, StageChanged, replay
from leadpipeline.rules.scoring import ScoringModel, compile_model

__all__ = ["StaleAction", "StalePolicy", "Staleness", "is_stale", "staleness"]


def _positive_span(_: Any, attribute: attrs.Attribute[Any], value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValidationError.at(attribute.name, f"must be positive, got {value}")


class StaleAction(enum.StrEnum):
    """What happens to a stale lead."""

    RECYCLE = "recycle"
    """Back to nurture for regular communication; a lead already nurtured is dropped."""
    DISQUALIFY = "disqualify"
    """Out of the funnel."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class StalePolicy:
    """When a lead is stale, and what to do with it.

    Stale: the lead scores below `score_ceiling`, has not moved stage for
    `without_progress`, and its score rose by less than `min_progress` over that period.

    Example:
        >>> StalePolicy().action.value, StalePolicy().without_progress.days
        ('recycle', 60)
    """

    score_ceiling: float = 50.0
    without_progress: timedelta = attrs.field(default=timedelta(days=60), validator=_positive_span)
    min_progress: float = attrs.field(default=1.0, validator=positive)
    action: StaleAction = StaleAction.RECYCLE


@attrs.frozen(kw_only=True, field_transformer=typed)
class Staleness:
    """Whether a lead is stale at one instant, with the figures that decided it."""

    stale: bool
    score: float
    score_then: float | None
    """The score `without_progress` ago; None when the lead moved (or arrived) since."""
    quiet_since: datetime
    """The last stage change (or the capture): progress can only be judged after it."""
    reason: str


def _last_move(events: list[Event]) -> datetime:
    moved = [e.at for e in events if isinstance(e, LeadCaptured | StageChanged)]
    return max(moved) if moved else events[0].at


def staleness(
    history: Iterable[Event], policy: StalePolicy, model: ScoringModel, *, now: datetime
) -> Staleness:
    """How stale a lead is: its score now and a period ago, and whether that is progress.

    The history is replayed as it stood `without_progress` ago and as it stands now, each
    scored at its own instant; events after `now` are ignored. A lead that moved stage
    (or was captured) within the period is not stale: it has not had the period yet.

    Raises:
        ValidationError: `now` is naive or the history is empty.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> start = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> first = Lead(id="L-1", source=Source(channel="web", captured_at=start))
        >>> history = [LeadCaptured(lead_id="L-1", at=start, actor=Party.marketing(),
        ...                         lead=first)]
        >>> found = staleness(history, StalePolicy(), DEFAULT_SCORING_MODEL,
        ...                   now=start + timedelta(days=90))
        >>> found.stale, found.reason
        (True, 'score 0 rose by 0 in 60 days (less than 1) and is below the ceiling 50')
    """
    require_aware("now", now)
    events = [e for e in history if e.at <= now]
    if not events:
        raise ValidationError.at("history", "no events up to now: there is no lead to judge")
    compiled = compile_model(model)
    score = compiled.total(replay(events), now=now)
    quiet_since = _last_move(events)
    days = f"{policy.without_progress / timedelta(days=1):g} days"
    verdict = partial(Staleness, score=score, quiet_since=quiet_since)
    if score >= policy.score_ceiling:
        ceiling = f"score {score:g} is at or above the ceiling {policy.score_ceiling:g}"
        return verdict(stale=False, score_then=None, reason=ceiling)
    since = now - policy.without_progress
    if quiet_since > since:
        moved = f"moved {quiet_since.isoformat()}, less than {days} ago"
        return verdict(stale=False, score_then=None, reason=moved)
    then = compiled.total(replay(e for e in events if e.at <= since), now=since)
    rise = score - then
    rose = f"score {score:g} rose by {rise:g} in {days}"
    if rise >= policy.min_progress:
        return verdict(stale=False, score_then=then, reason=rose)
    return verdict(
        stale=True,
        score_then=then,
        reason=(
            f"{rose} (less than {policy.min_progress:g})"
            f" and is below the ceiling {policy.score_ceiling:g}"
        ),
    )


def is_stale(
    history: Iterable[Event], policy: StalePolicy, model: ScoringModel, *, now: datetime
) -> bool:
    """Whether a lead is stale now (see `staleness`); an empty history is never stale.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> is_stale([], StalePolicy(), DEFAULT_SCORING_MODEL,
        ...          now=datetime(2026, 1, 5, tzinfo=timezone.utc))
        False
    """
    events = list(history)
    if not any(e.at <= now for e in events):
        require_aware("now", now)
        return False
    return staleness(events, policy, model, now=now).stale
