"""Hot and stale leads: who to call right now, and who to drop or recycle.

A lead is hot when it touches us often and recently (site visits, emails, social, forms).
A form submit from a hot lead wants a call within five minutes. A lead whose score has not
progressed for a configurable time is stale: the shell drops or recycles it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs

from leadpipeline._checks import positive, require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.events import Event, replay
from leadpipeline.lead import InteractionKind, Lead
from leadpipeline.rules.scoring import ScoringModel, compile_model

__all__ = ["Heat", "HeatLevel", "HeatPolicy", "heat", "is_stale"]

_DEFAULT_KINDS = frozenset(
    {
        InteractionKind.SITE_VISIT,
        InteractionKind.EMAIL_OPEN,
        InteractionKind.EMAIL_CLICK,
        InteractionKind.EMAIL_REPLY,
        InteractionKind.SOCIAL,
        InteractionKind.FORM_SUBMIT,
        InteractionKind.DOWNLOAD,
        InteractionKind.WEBINAR,
    }
)


def _positive_span(_: Any, attribute: attrs.Attribute[Any], value: timedelta) -> None:
    if value <= timedelta(0):
        raise ValidationError.at(attribute.name, f"must be positive, got {value}")


class HeatLevel(enum.StrEnum):
    """How warm a lead is right now."""

    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


@attrs.frozen(kw_only=True, field_transformer=typed)
class HeatPolicy:
    """When a lead is hot, how fast a hot form submit gets a call, and when a lead is stale.

    Hot: at least `hot_touches` touches of `kinds` within `window_days` and the last one
    within `hot_recent_days`. Warm: at least `warm_touches` within the window. Stale: the
    total score rose by less than `min_progress` over the last `stale_after`.
    """

    window_days: float = attrs.field(default=14, validator=positive)
    hot_touches: int = attrs.field(default=5, validator=positive)
    warm_touches: int = attrs.field(default=2, validator=positive)
    hot_recent_days: float = attrs.field(default=3, validator=positive)
    kinds: frozenset[InteractionKind] = _DEFAULT_KINDS
    call_within: timedelta = attrs.field(default=timedelta(minutes=5), validator=_positive_span)
    stale_after: timedelta = attrs.field(default=timedelta(days=60), validator=_positive_span)
    min_progress: float = attrs.field(default=1.0, validator=positive)

    def __attrs_post_init__(self) -> None:
        if self.warm_touches > self.hot_touches:
            raise ConfigurationError.at(
                "warm_touches", f"must not exceed hot_touches ({self.hot_touches})"
            )


@attrs.frozen(kw_only=True, field_transformer=typed)
class Heat:
    """A lead's heat at one instant, and whether sales should call it now.

    `call_within` is set when a hot lead's latest touch is a form submit; `call_by` is
    that submit's time plus `call_within`.
    """

    level: HeatLevel
    touches: int
    last_touch: datetime | None
    call_within: timedelta | None
    call_by: datetime | None
    reason: str

    @property
    def is_hot(self) -> bool:
        """True for a hot lead."""
        return self.level is HeatLevel.HOT


def heat(lead: Lead, policy: HeatPolicy, *, now: datetime) -> Heat:
    """How hot a lead is from the frequency and recency of its touches.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.lead import Interaction, InteractionKind as K, Lead, Source
        >>> now = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
        >>> touches = [Interaction(kind=k, at=now - timedelta(hours=h))
        ...            for h, k in [(50, K.SITE_VISIT), (30, K.EMAIL_CLICK), (20, K.SOCIAL),
        ...                         (2, K.SITE_VISIT), (0, K.FORM_SUBMIT)]]
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             interactions=tuple(touches))
        >>> h = heat(lead, HeatPolicy(), now=now)
        >>> h.level.value, h.call_within
        ('hot', datetime.timedelta(seconds=300))
    """
    require_aware("now", now)
    kinds = policy.kinds
    counted = [i for i in lead.interactions if i.at <= now and (not kinds or i.kind in kinds)]
    window_start = now - timedelta(days=policy.window_days)
    recent = [i for i in counted if i.at >= window_start]
    if not counted:
        return Heat(
            level=HeatLevel.COLD,
            touches=0,
            last_touch=None,
            call_within=None,
            call_by=None,
            reason="no touches",
        )
    latest = max(counted, key=lambda i: i.at)
    days_since = (now - latest.at).total_seconds() / 86400
    touches = len(recent)
    summary = f"{touches} touches in {policy.window_days:g} days, last {days_since:.1f} days ago"
    if touches >= policy.hot_touches and days_since <= policy.hot_recent_days:
        if latest.kind is InteractionKind.FORM_SUBMIT:
            return Heat(
                level=HeatLevel.HOT,
                touches=touches,
                last_touch=latest.at,
                call_within=policy.call_within,
                call_by=latest.at + policy.call_within,
                reason=f"{summary}; form submitted: call now",
            )
        return Heat(
            level=HeatLevel.HOT,
            touches=touches,
            last_touch=latest.at,
            call_within=None,
            call_by=None,
            reason=summary,
        )
    level = HeatLevel.WARM if touches >= policy.warm_touches else HeatLevel.COLD
    return Heat(
        level=level,
        touches=touches,
        last_touch=latest.at,
        call_within=None,
        call_by=None,
        reason=summary,
    )


def is_stale(
    history: Iterable[Event], policy: HeatPolicy, model: ScoringModel, *, now: datetime
) -> bool:
    """Whether a lead's score has failed to progress over `policy.stale_after`.

    The history is replayed as it stood `stale_after` ago and now, and both are scored at
    their own instant. A lead younger than `stale_after` is never stale. Events after
    `now` are ignored.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
        >>> start = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> first = Lead(id="L-1", source=Source(channel="web", captured_at=start))
        >>> history = [LeadCaptured(lead_id="L-1", at=start, actor=Party.marketing(),
        ...                         lead=first)]
        >>> is_stale(history, HeatPolicy(), DEFAULT_SCORING_MODEL, now=start + timedelta(days=90))
        True
    """
    require_aware("now", now)
    events = [e for e in history if e.at <= now]
    if not events:
        return False
    since = now - policy.stale_after
    if events[0].at > since:
        return False
    compiled = compile_model(model)
    then = compiled.total(replay(e for e in events if e.at <= since), now=since)
    current = compiled.total(replay(events), now=now)
    return current - then < policy.min_progress
