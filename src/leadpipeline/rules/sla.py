"""Service-level agreements on a lead's history: deadlines, breaches and escalation.

An `SlaPolicy` says which event starts a clock (optionally only under conditions, such
as "a form submit from a hot lead"), which events stop it, how long the response may
take (wall-clock, or business time on a `BusinessCalendar`), when the clock pauses while
the lead waits on the customer, and the escalation ladder once it is breached.

Everything here is a pure function of the history, the policies, the calendar and an
explicit `now`. Escalation is idempotent: a step already recorded as an `Escalated`
event in the history is never due again.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import attrs

from leadpipeline._checks import aware, not_blank, require_aware
from leadpipeline.errors import ConfigurationError
from leadpipeline.events import (
    Escalated,
    Event,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    OwnerChanged,
    SlaBreached,
    StageChanged,
)
from leadpipeline.lead import InteractionKind, Party, PartyKind
from leadpipeline.rules.calendar import BusinessCalendar

__all__ = [
    "DEFAULT_SLA_POLICIES",
    "EVENT_TYPE_NAMES",
    "AssignedTo",
    "Breach",
    "Condition",
    "Deadline",
    "Escalation",
    "EscalationAction",
    "EscalationStep",
    "EventMatch",
    "HotLead",
    "InStage",
    "InteractionIs",
    "SlaPolicy",
    "TimeBasis",
    "breaches",
    "deadlines",
    "escalation_due",
]

EVENT_TYPE_NAMES: frozenset[str] = frozenset(t.__name__ for t in typing.get_args(Event))
"""The event type names a policy may refer to."""

_ZERO = timedelta(0)


class TimeBasis(enum.StrEnum):
    """How a policy's durations are measured."""

    WALL_CLOCK = "wall_clock"
    BUSINESS = "business"


class EscalationAction(enum.StrEnum):
    """What a step of the escalation ladder does."""

    NOTIFY_OWNER = "notify_owner"
    NOTIFY_MANAGER = "notify_manager"
    REASSIGN = "reassign"
    RECLAIM_FROM_PARTNER = "reclaim_from_partner"
    RETURN_TO_MARKETING = "return_to_marketing"


def _known_event(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in EVENT_TYPE_NAMES:
        raise ConfigurationError.at(
            attribute.name,
            f"unknown event type {value!r}; expected one of {', '.join(sorted(EVENT_TYPE_NAMES))}",
        )


def _non_negative_duration(_: object, attribute: attrs.Attribute[timedelta], v: timedelta) -> None:
    if v < _ZERO:
        raise ConfigurationError.at(attribute.name, f"must not be negative, got {v}")


def _positive_duration(_: object, attribute: attrs.Attribute[timedelta], v: timedelta) -> None:
    if v <= _ZERO:
        raise ConfigurationError.at(attribute.name, f"must be positive, got {v}")


@attrs.frozen(kw_only=True)
class EventMatch:
    """Which events count: a type name, optionally only some interaction kinds or actors.

    Example:
        >>> EventMatch(event="InteractionRecorded", kinds=frozenset({InteractionKind.CALL}))
        ... # doctest: +ELLIPSIS
        EventMatch(event='InteractionRecorded', kinds=frozenset({<InteractionKind.CALL: ...
    """

    event: str = attrs.field(validator=_known_event)
    kinds: frozenset[InteractionKind] = frozenset()
    """For ``InteractionRecorded``: only these kinds (empty: any kind)."""
    actor: PartyKind | None = None
    """Only events recorded by this kind of party (None: anyone)."""

    def __attrs_post_init__(self) -> None:
        if self.kinds and self.event != "InteractionRecorded":
            raise ConfigurationError.at("kinds", "interaction kinds apply to InteractionRecorded")

    def matches(self, event: Event) -> bool:
        """Whether `event` is one of these."""
        if type(event).__name__ != self.event:
            return False
        if self.actor is not None and event.actor.kind is not self.actor:
            return False
        if self.kinds:
            return isinstance(event, InteractionRecorded) and event.interaction.kind in self.kinds
        return True


@attrs.frozen(kw_only=True)
class InteractionIs:
    """The starting event is an interaction of one of these kinds."""

    kinds: frozenset[InteractionKind]


@attrs.frozen(kw_only=True)
class HotLead:
    """The lead is hot: at least `min_interactions` touches in `window` before the start.

    Touches are counted from the history (captured, recorded and merged interactions)
    recorded before the starting event, within `window` up to its time; `kinds` narrows
    which touches count. The starting interaction itself is not counted.
    """

    min_interactions: int = attrs.field(default=3)
    window: timedelta = attrs.field(default=timedelta(days=7), validator=_positive_duration)
    kinds: frozenset[InteractionKind] = frozenset()

    def __attrs_post_init__(self) -> None:
        if self.min_interactions < 1:
            raise ConfigurationError.at("min_interactions", "must be at least 1")


@attrs.frozen(kw_only=True)
class InStage:
    """The lead is in one of these stages when the starting event arrives."""

    stages: frozenset[str]


@attrs.frozen(kw_only=True)
class AssignedTo:
    """The starting event hands the lead to this kind of party (``OwnerChanged``)."""

    kind: PartyKind


Condition = InteractionIs | HotLead | InStage | AssignedTo
"""A condition on the starting event; all of a policy's conditions must hold."""


@attrs.frozen(kw_only=True)
class EscalationStep:
    """One rung of the ladder: `action`, fired `after` the due instant.

    `after` is measured like the policy's allowed duration (business or wall-clock).
    `target` names who receives the step (a manager, a team to reassign to); empty means
    the default for the action: the owner, the partner, or marketing.
    """

    action: EscalationAction
    after: timedelta = attrs.field(default=_ZERO, validator=_non_negative_duration)
    target: str = ""


@attrs.frozen(kw_only=True)
class SlaPolicy:
    """A promised response: what starts the clock, what stops it, how long, and then what.

    A clock started by an event that names a partner (``Offered``, ``PartnerAccepted``,
    an ``OwnerChanged`` to a partner) runs per partner: only that partner's events stop it.
    A `recurring` clock (a status report every ten working days) starts again at each
    stop, until one of `ends_on` closes it for good.

    Example:
        >>> from datetime import timedelta
        >>> policy = SlaPolicy(
        ...     name="mql_response", starts_on="HandedOver",
        ...     stops_on=(EventMatch(event="Accepted"), EventMatch(event="Rejected")),
        ...     allowed=timedelta(hours=8),
        ...     escalation=(EscalationStep(action=EscalationAction.NOTIFY_MANAGER),))
        >>> policy.basis
        <TimeBasis.BUSINESS: 'business'>
    """

    name: str = attrs.field(validator=not_blank)
    starts_on: str = attrs.field(validator=_known_event)
    conditions: tuple[Condition, ...] = ()
    stops_on: tuple[EventMatch, ...]
    ends_on: tuple[EventMatch, ...] = ()
    pauses_on: tuple[EventMatch, ...] = ()
    resumes_on: tuple[EventMatch, ...] = ()
    allowed: timedelta = attrs.field(validator=_positive_duration)
    basis: TimeBasis = TimeBasis.BUSINESS
    recurring: bool = False
    escalation: tuple[EscalationStep, ...] = ()
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.stops_on and not self.ends_on:
            raise ConfigurationError.at("stops_on", "a clock needs at least one stop event")
        if bool(self.pauses_on) != bool(self.resumes_on):
            raise ConfigurationError.at(
                "resumes_on" if self.pauses_on else "pauses_on",
                "pausing needs both pause and resume events",
            )
        for i, step in enumerate(self.escalation[1:], start=1):
            if step.after < self.escalation[i - 1].after:
                raise ConfigurationError.at(
                    f"escalation[{i}].after", "steps must fire in order: not before the previous"
                )


@attrs.frozen(kw_only=True)
class Deadline:
    """One clock of one policy on one lead: when it started, when it is due, and if met.

    `due_at` is None while the clock is paused (then `remaining` says how much is left).
    `met_at` is the instant of the stop event; a stop after `due_at` is a late response.
    """

    policy: str
    lead_id: str
    started_at: datetime = attrs.field(validator=aware)
    due_at: datetime | None = attrs.field(validator=aware)
    partner_id: str | None = None
    met_at: datetime | None = attrs.field(default=None, validator=aware)
    stopped_by: str = ""
    paused_at: datetime | None = attrs.field(default=None, validator=aware)
    remaining: timedelta | None = None

    @property
    def is_open(self) -> bool:
        """No stop event has arrived yet."""
        return self.met_at is None

    @property
    def late(self) -> timedelta | None:
        """How late the response came; None when on time or not yet answered."""
        if self.met_at is None or self.due_at is None or self.met_at <= self.due_at:
            return None
        return self.met_at - self.due_at


@attrs.frozen(kw_only=True)
class Escalation:
    """One escalation step due on a breach: what the `decide` for escalation needs.

    `target` is what an `Escalated` event records for the step (the partner id for a
    per-partner clock, otherwise the recipient); `recipient` is who gets notified or
    receives the lead.
    """

    policy: str
    started_at: datetime = attrs.field(validator=aware)
    due_at: datetime = attrs.field(validator=aware)
    step: int
    action: EscalationAction
    fires_at: datetime = attrs.field(validator=aware)
    target: str
    recipient: str
    partner_id: str | None = None


@attrs.frozen(kw_only=True)
class Breach:
    """A deadline that passed without a response (or got one late), seen at `now`.

    `due_steps` are the escalation steps whose time has come (only while the breach is
    still open); `escalated` lists the step indexes already recorded in the history;
    `recorded` says whether an `SlaBreached` event is already there.
    """

    deadline: Deadline
    now: datetime = attrs.field(validator=aware)
    late: timedelta
    open: bool
    due_steps: tuple[Escalation, ...] = ()
    escalated: tuple[int, ...] = ()
    recorded: bool = False

    @property
    def policy(self) -> str:
        """The breached policy's name."""
        return self.deadline.policy

    @property
    def started_at(self) -> datetime:
        """When the clock started."""
        return self.deadline.started_at

    @property
    def due_at(self) -> datetime:
        """When the response was due."""
        assert self.deadline.due_at is not None  # a breach always has a due instant
        return self.deadline.due_at

    @property
    def partner_id(self) -> str | None:
        """The partner a per-partner clock waits on."""
        return self.deadline.partner_id

    @property
    def pending(self) -> tuple[Escalation, ...]:
        """Due steps not yet escalated."""
        return tuple(s for s in self.due_steps if s.step not in self.escalated)


# --- evaluation ---------------------------------------------------------------------------


def _partner_of(event: Event) -> str | None:
    """The partner an event concerns, if any."""
    pid: str | None = getattr(event, "partner_id", None)
    if pid is not None:
        return pid
    if isinstance(event, OwnerChanged):
        return event.to_owner.partner_id
    return event.actor.partner_id


def _any(matches: tuple[EventMatch, ...], event: Event, name: str) -> bool:
    return any(m.event == name and m.matches(event) for m in matches)


class _Clock:
    """A running clock while folding one history; never leaves this module."""

    __slots__ = ("due", "partner", "paused_at", "remaining", "since", "started")

    def __init__(self, started: datetime, due: datetime, partner: str | None) -> None:
        self.started = started
        self.due: datetime | None = due
        self.partner = partner
        self.paused_at: datetime | None = None
        self.remaining: timedelta | None = None
        self.since = started


class _Compiled:
    """A policy with its event names gathered for dispatch."""

    __slots__ = ("names", "policy", "wants_interactions", "wants_stage")

    def __init__(self, policy: SlaPolicy) -> None:
        self.policy = policy
        groups = (policy.stops_on, policy.ends_on, policy.pauses_on, policy.resumes_on)
        self.names = frozenset({policy.starts_on, *(m.event for g in groups for m in g)})
        self.wants_interactions = any(isinstance(c, HotLead) for c in policy.conditions)
        self.wants_stage = any(isinstance(c, InStage) for c in policy.conditions)


class _Fold:
    """What the conditions need to know about the lead so far."""

    __slots__ = ("interactions", "owner", "stage")

    def __init__(self) -> None:
        self.interactions: list[tuple[datetime, InteractionKind]] = []
        self.stage = ""
        self.owner: Party | None = None


def _holds(cond: Condition, event: Event, fold: _Fold) -> bool:
    match cond:
        case InteractionIs(kinds=kinds):
            return isinstance(event, InteractionRecorded) and event.interaction.kind in kinds
        case InStage(stages=stages):
            return fold.stage in stages
        case AssignedTo(kind=party_kind):
            return isinstance(event, OwnerChanged) and event.to_owner.kind is party_kind
        case HotLead(min_interactions=n, window=window, kinds=kinds):
            since = event.at - window
            count = 0
            for at, kind in fold.interactions:
                if since <= at <= event.at and (not kinds or kind in kinds):
                    count += 1
            return count >= n
        case _:
            typing.assert_never(cond)


def _advance(policy: SlaPolicy, calendar: BusinessCalendar, at: datetime, d: timedelta) -> datetime:
    if policy.basis is TimeBasis.BUSINESS:
        return calendar.add(at, d)
    return at + d


def _measure(policy: SlaPolicy, calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    if policy.basis is TimeBasis.BUSINESS:
        return calendar.between(a, b)
    return b - a


def _track(event: Event, fold: _Fold) -> None:
    if isinstance(event, InteractionRecorded):
        fold.interactions.append((event.interaction.at, event.interaction.kind))
    elif isinstance(event, StageChanged):
        fold.stage = event.to_stage
    elif isinstance(event, OwnerChanged):
        fold.owner = event.to_owner
    elif isinstance(event, LeadCaptured):
        fold.stage = event.lead.stage
        fold.owner = event.lead.owner
        fold.interactions.extend((i.at, i.kind) for i in event.lead.interactions)
    elif isinstance(event, Merged):
        fold.interactions.extend((i.at, i.kind) for i in event.interactions)


def _fold_deadlines(  # noqa: PLR0915  # one pass over the history keeps it fast
    history: Sequence[Event], policies: Sequence[SlaPolicy], calendar: BusinessCalendar
) -> tuple[tuple[Deadline, ...], _Fold]:
    compiled = [_Compiled(p) for p in policies]
    by_name: dict[str, list[tuple[int, _Compiled]]] = {}
    for i, c in enumerate(compiled):
        for name in c.names:
            by_name.setdefault(name, []).append((i, c))
    fold = _Fold()
    clocks: dict[tuple[int, str | None], _Clock] = {}
    closed: list[tuple[datetime, int, Deadline]] = []
    last_stop: dict[tuple[int, str | None], datetime] = {}
    lead_id = history[0].lead_id if history else ""
    order = 0
    for event in history:
        interested = by_name.get(type(event).__name__)
        if interested is None:
            _track(event, fold)
            continue
        name = type(event).__name__
        at = event.at
        partner = _partner_of(event)
        for index, c in interested:
            policy = c.policy
            stop = _any(policy.stops_on, event, name)
            end = stop or _any(policy.ends_on, event, name)
            # Stops, ends, pauses and resumes act on this policy's open clocks.
            for key in [k for k in clocks if k[0] == index]:
                clock = clocks[key]
                if partner is not None and clock.partner is not None and partner != clock.partner:
                    continue
                if end:
                    del clocks[key]
                    closed.append(
                        (clock.started, order, _deadline(policy, lead_id, clock, at, name))
                    )
                    order += 1
                    if stop and policy.recurring:
                        due = _advance(policy, calendar, at, policy.allowed)
                        clocks[key] = _Clock(at, due, clock.partner)
                elif clock.due is not None and _any(policy.pauses_on, event, name):
                    if at < clock.due:
                        clock.remaining = _measure(policy, calendar, at, clock.due)
                        clock.paused_at = at
                        clock.due = None
                elif clock.due is None and _any(policy.resumes_on, event, name):
                    assert clock.remaining is not None  # set when paused
                    clock.due = _advance(policy, calendar, at, clock.remaining)
                    clock.paused_at = None
                    clock.remaining = None
            key = (index, partner)
            if (
                name == policy.starts_on
                and key not in clocks
                and all(_holds(cond, event, fold) for cond in policy.conditions)
            ):
                due = _advance(policy, calendar, at, policy.allowed)
                clock = _Clock(at, due, partner)
                if last_stop.get(key) == at and not policy.recurring:
                    # The answer was recorded at the same instant, just before the start.
                    closed.append((at, order, _deadline(policy, lead_id, clock, at, name)))
                    order += 1
                else:
                    clocks[key] = clock
            if end:
                last_stop[key] = at
        _track(event, fold)
    for (index, _), clock in clocks.items():
        closed.append((clock.started, order, _deadline(policies[index], lead_id, clock)))
        order += 1
    closed.sort(key=lambda item: (item[0], item[1]))
    return tuple(d for _, _, d in closed), fold


def _deadline(
    policy: SlaPolicy,
    lead_id: str,
    clock: _Clock,
    met_at: datetime | None = None,
    stopped_by: str = "",
) -> Deadline:
    return Deadline(
        policy=policy.name,
        lead_id=lead_id,
        started_at=clock.started,
        due_at=clock.due,
        partner_id=clock.partner,
        met_at=met_at,
        stopped_by=stopped_by,
        paused_at=clock.paused_at,
        remaining=clock.remaining,
    )


def deadlines(
    history: Sequence[Event], policies: Iterable[SlaPolicy], calendar: BusinessCalendar
) -> tuple[Deadline, ...]:
    """Every SLA clock in a lead's history, in the order the clocks started.

    Why: one place answers "what was promised, by when, and was it kept?" for the shell,
    for analytics (SLA attainment) and for escalation.

    Raises:
        ValidationError: an event carries a naive datetime.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import HandedOver, Accepted
        >>> from leadpipeline.lead import Party
        >>> from leadpipeline.rules.calendar import STANDARD_CALENDAR
        >>> at = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)  # Friday 16:00 in Berlin
        >>> history = (
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ... )
        >>> (d,) = deadlines(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR)
        >>> d.policy, d.due_at.isoformat(), d.is_open
        ('mql_handover_response', '2026-03-09T16:00:00+01:00', True)
    """
    result, _ = _fold_deadlines(tuple(history), tuple(policies), calendar)
    return result


def _recipient(step: EscalationStep, deadline: Deadline, owner: Party | None) -> str:
    if step.target:
        return step.target
    match step.action:
        case EscalationAction.RECLAIM_FROM_PARTNER:
            return deadline.partner_id or (owner.partner_id or "" if owner else "")
        case EscalationAction.RETURN_TO_MARKETING:
            return str(Party.marketing())
        case EscalationAction.NOTIFY_MANAGER:
            return "manager"
        case EscalationAction.REASSIGN:
            return ""  # the shell picks the new owner when the policy names none
        case _:
            if deadline.partner_id is not None:
                return str(Party.partner(deadline.partner_id))
            return str(owner) if owner is not None else ""


def _breaches(
    history: Sequence[Event],
    policies: Sequence[SlaPolicy],
    calendar: BusinessCalendar,
    now: datetime,
) -> tuple[Breach, ...]:
    require_aware("now", now)
    found, fold = _fold_deadlines(history, policies, calendar)
    late: list[tuple[Deadline, timedelta, bool]] = []
    for d in found:
        if d.due_at is None or d.started_at > now:
            continue
        if d.met_at is not None and d.met_at <= now:
            if d.met_at > d.due_at:
                late.append((d, d.met_at - d.due_at, False))
        elif now > d.due_at:
            late.append((d, now - d.due_at, True))
    if not late:
        return ()
    by_name = {p.name: p for p in policies}
    escalated: dict[tuple[str, datetime, int], set[str]] = {}
    recorded: set[tuple[str, datetime]] = set()
    for event in history:
        if isinstance(event, Escalated):
            escalated.setdefault((event.policy, event.started_at, event.step), set()).add(
                event.target
            )
        elif isinstance(event, SlaBreached):
            recorded.add((event.policy, event.started_at))
    result = []
    for d, lateness, is_open in late:
        policy = by_name[d.policy]
        assert d.due_at is not None  # filtered above
        steps: list[Escalation] = []
        done: list[int] = []
        for i in range(len(policy.escalation)):
            targets = escalated.get((d.policy, d.started_at, i))
            if targets is not None and (d.partner_id is None or d.partner_id in targets):
                done.append(i)
        for i, step in enumerate(policy.escalation if is_open else ()):
            fires_at = _advance(policy, calendar, d.due_at, step.after)
            if fires_at > now:
                break
            recipient = _recipient(step, d, fold.owner)
            steps.append(
                Escalation(
                    policy=d.policy,
                    started_at=d.started_at,
                    due_at=d.due_at,
                    step=i,
                    action=step.action,
                    fires_at=fires_at,
                    target=d.partner_id if d.partner_id is not None else recipient,
                    recipient=recipient,
                    partner_id=d.partner_id,
                )
            )
        result.append(
            Breach(
                deadline=d,
                now=now,
                late=lateness,
                open=is_open,
                due_steps=tuple(steps),
                escalated=tuple(done),
                recorded=(d.policy, d.started_at) in recorded,
            )
        )
    return tuple(result)


def breaches(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy],
    calendar: BusinessCalendar,
    now: datetime,
) -> tuple[Breach, ...]:
    """The deadlines missed as of `now`: still unanswered past due, or answered late.

    Why: the shell turns these into ``SlaBreached`` and ``Escalated`` events; analytics
    counts them. An open breach lists the escalation steps whose time has come and which
    of them the history already shows as escalated.

    Raises:
        ValidationError: `now` or an event time is naive.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> from leadpipeline.events import HandedOver
        >>> from leadpipeline.lead import Party
        >>> from leadpipeline.rules.calendar import STANDARD_CALENDAR
        >>> at = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)  # Monday 09:00 in Berlin
        >>> history = (
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ... )
        >>> (b,) = breaches(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR,
        ...                 now=at + timedelta(hours=9))
        >>> b.policy, b.late, [s.action.value for s in b.due_steps]
        ('mql_handover_response', datetime.timedelta(seconds=3600), ['notify_owner'])
    """
    return _breaches(tuple(history), tuple(policies), calendar, now)


def escalation_due(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy],
    calendar: BusinessCalendar,
    now: datetime,
) -> tuple[tuple[Breach, Escalation], ...]:
    """The escalation steps to take now: due, and not yet in the history as `Escalated`.

    Why: running it twice over the same history (after the `Escalated` events are
    appended) yields nothing new, so a breach never escalates the same step twice.

    Example:
        >>> from datetime import datetime, timedelta, timezone
        >>> from leadpipeline.events import Escalated, HandedOver
        >>> from leadpipeline.lead import Party
        >>> from leadpipeline.rules.calendar import STANDARD_CALENDAR
        >>> at = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
        >>> history = (
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ... )
        >>> now = at + timedelta(hours=9)
        >>> policies, calendar = DEFAULT_SLA_POLICIES, STANDARD_CALENDAR
        >>> ((breach, step),) = escalation_due(history, policies, calendar, now)
        >>> done = Escalated(lead_id="L-1", at=now, actor=Party.marketing(), policy=step.policy,
        ...                  started_at=step.started_at, step=step.step,
        ...                  action=step.action.value, target=step.target)
        >>> escalation_due((*history, done), policies, calendar, now)
        ()
    """
    return tuple(
        (breach, step)
        for breach in _breaches(tuple(history), tuple(policies), calendar, now)
        for step in breach.pending
    )


# --- defaults -----------------------------------------------------------------------------

_WORKING_DAY = timedelta(hours=8)
"""One working day of the standard calendar (09:00-17:00)."""

_PARTNER_DONE = (
    EventMatch(event="Completed"),
    EventMatch(event="Returned"),
    EventMatch(event="Reclaimed"),
    EventMatch(event="Nurtured"),
    EventMatch(event="Disqualified"),
)

DEFAULT_SLA_POLICIES: tuple[SlaPolicy, ...] = (
    SlaPolicy(
        name="hot_form_submit_call",
        description="A form submit from a hot lead wants a sales call within five minutes.",
        starts_on="InteractionRecorded",
        conditions=(
            InteractionIs(kinds=frozenset({InteractionKind.FORM_SUBMIT})),
            HotLead(min_interactions=3, window=timedelta(days=7)),
        ),
        stops_on=(
            EventMatch(
                event="InteractionRecorded",
                kinds=frozenset({InteractionKind.CALL, InteractionKind.MEETING}),
                actor=PartyKind.SALES,
            ),
        ),
        ends_on=(EventMatch(event="Disqualified"),),
        allowed=timedelta(minutes=5),
        basis=TimeBasis.WALL_CLOCK,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(minutes=10)),
        ),
    ),
    SlaPolicy(
        name="mql_handover_response",
        description="Sales accepts or rejects a handed-over MQL within one working day.",
        starts_on="HandedOver",
        stops_on=(
            EventMatch(event="Accepted"),
            EventMatch(event="Rejected"),
        ),
        ends_on=(EventMatch(event="Disqualified"), EventMatch(event="Nurtured")),
        allowed=_WORKING_DAY,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(hours=4)),
            EscalationStep(action=EscalationAction.RETURN_TO_MARKETING, after=_WORKING_DAY * 2),
        ),
    ),
    SlaPolicy(
        name="partner_offer_response",
        description="A partner accepts or returns an offer within three working days.",
        starts_on="Offered",
        stops_on=(
            EventMatch(event="PartnerAccepted"),
            EventMatch(event="Returned"),
            EventMatch(event="OfferWithdrawn"),
        ),
        ends_on=(EventMatch(event="Disqualified"), EventMatch(event="Nurtured")),
        allowed=_WORKING_DAY * 3,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=_WORKING_DAY),
        ),
    ),
    SlaPolicy(
        name="partner_assignment_response",
        description="A partner assigned a lead accepts or returns it within three working days.",
        starts_on="OwnerChanged",
        conditions=(AssignedTo(kind=PartyKind.PARTNER),),
        stops_on=(
            EventMatch(event="PartnerAccepted"),
            EventMatch(event="Returned"),
            EventMatch(event="Reclaimed"),
        ),
        ends_on=(EventMatch(event="Disqualified"), EventMatch(event="Nurtured")),
        allowed=_WORKING_DAY * 3,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=_WORKING_DAY),
        ),
    ),
    SlaPolicy(
        name="partner_status_report",
        description="A working partner reports status at least every ten working days.",
        starts_on="PartnerAccepted",
        stops_on=(
            EventMatch(event="NoteAdded", actor=PartyKind.PARTNER),
            EventMatch(event="InteractionRecorded", actor=PartyKind.PARTNER),
            EventMatch(event="StageChanged", actor=PartyKind.PARTNER),
            EventMatch(event="ProfileUpdated", actor=PartyKind.PARTNER),
        ),
        ends_on=_PARTNER_DONE,
        allowed=_WORKING_DAY * 10,
        recurring=True,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=_WORKING_DAY * 2),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=_WORKING_DAY * 5),
        ),
    ),
    SlaPolicy(
        name="partner_completion",
        description="A working partner reports the outcome within 90 days.",
        starts_on="PartnerAccepted",
        stops_on=_PARTNER_DONE,
        allowed=timedelta(days=90),
        basis=TimeBasis.WALL_CLOCK,
        escalation=(
            EscalationStep(action=EscalationAction.NOTIFY_OWNER),
            EscalationStep(action=EscalationAction.NOTIFY_MANAGER, after=timedelta(days=7)),
            EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=timedelta(days=14)),
        ),
    ),
)
"""The source texts' promises: the five-minute call, one day for sales, three for partners."""
