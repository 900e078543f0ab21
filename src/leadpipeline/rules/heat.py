"""Hot leads: who to call right now, and who calls them.

A lead is hot when it touches us often and recently (site visits, emails, social, forms).
A form submit from a hot lead wants a call within five minutes, from the sales team on duty
for the lead. This is the one definition of hot: the call-now decision and the SLA on the
call both read it from the playbook. A lead whose score has not progressed for a
configurable time is stale (`leadpipeline.rules.stale`).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

import attrs

from leadpipeline._checks import not_blank, positive, require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.lead import Interaction, InteractionKind, Lead, Party, PartyKind

__all__ = [
    "DutyTeam",
    "Heat",
    "HeatLevel",
    "HeatPolicy",
    "heat",
    "hot_submit",
    "on_duty",
]

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
class DutyTeam:
    """A sales team on duty for hot-lead calls, for some regions or countries (empty: all).

    Example:
        >>> DutyTeam(team="inside-sales-north", regions=frozenset({"north"})).team
        'inside-sales-north'
    """

    team: str = attrs.field(validator=not_blank)
    regions: frozenset[str] = frozenset()


@attrs.frozen(kw_only=True, field_transformer=typed)
class HeatPolicy:
    """When a lead is hot, and who calls a hot lead's form submit how fast.

    Hot: at least `hot_touches` touches of `kinds` within `window_days` and the last one
    within `hot_recent_days`. Warm: at least `warm_touches` within the window. A form
    submit from a hot lead asks the first team of `on_duty` that covers the lead's region
    (or sales as a whole, when none does) to call within `call_within` of the submit.
    When a lead is stale is the playbook's `stale` policy (`leadpipeline.rules.stale`).
    """

    window_days: float = attrs.field(default=14, validator=positive)
    hot_touches: int = attrs.field(default=5, validator=positive)
    warm_touches: int = attrs.field(default=2, validator=positive)
    hot_recent_days: float = attrs.field(default=3, validator=positive)
    kinds: frozenset[InteractionKind] = _DEFAULT_KINDS
    call_within: timedelta = attrs.field(default=timedelta(minutes=5), validator=_positive_span)
    on_duty: tuple[DutyTeam, ...] = (DutyTeam(team="inside-sales"),)

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


def hot_submit(lead: Lead, submit: Interaction, policy: HeatPolicy) -> Heat:
    """The lead's heat at a form submit's own time, with the call the submit asks for.

    Why: the five-minute call counts from when the prospect submitted the form, not from
    when the submit reached us, so hotness is judged then too. `call_by` is set only for
    a form submit from a hot lead.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.lead import Interaction, InteractionKind as K, Lead, Source
        >>> at = datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc)
        >>> touches = tuple(Interaction(kind=K.SITE_VISIT, at=at - timedelta(hours=h))
        ...                 for h in (1, 2, 3, 4))
        >>> submit = Interaction(kind=K.FORM_SUBMIT, at=at)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             interactions=(*touches, submit))
        >>> hot_submit(lead, submit, HeatPolicy()).call_by.isoformat()
        '2026-03-04T12:05:00+00:00'
    """
    found = heat(lead, policy, now=submit.at)
    if not found.is_hot or submit.kind is not InteractionKind.FORM_SUBMIT:
        return attrs.evolve(found, call_within=None, call_by=None)
    return attrs.evolve(
        found,
        last_touch=submit.at,
        call_within=policy.call_within,
        call_by=submit.at + policy.call_within,
        reason=found.reason.removesuffix("; form submitted: call now")
        + "; form submitted: call now",
    )


def on_duty(lead: Lead, policy: HeatPolicy) -> Party:
    """Who calls a hot lead: sales holding it, else the team on duty for its region.

    Why: only a call by sales stops the five-minute clock, so the call-now request goes
    to the sales team that can make it, never to marketing that holds an inquiry.

    Example:
        >>> from datetime import timezone
        >>> from leadpipeline.lead import Company, Lead, Source
        >>> at = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             company=Company(region="south"))
        >>> policy = HeatPolicy(on_duty=(DutyTeam(team="north", regions=frozenset({"north"})),
        ...                              DutyTeam(team="south", regions=frozenset({"South"}))))
        >>> str(on_duty(lead, policy))
        'sales/south'
    """
    if lead.owner.kind is PartyKind.SALES:
        return lead.owner
    places = {p.strip().casefold() for p in (lead.company.region, lead.company.country) if p}
    for duty in policy.on_duty:
        served = {r.strip().casefold() for r in duty.regions}
        if not served or places & served:
            return Party.sales(team=duty.team)
    return Party.sales()
