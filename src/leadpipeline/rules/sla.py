"""Service-level agreements on a lead's history: deadlines, breaches and escalation.

An `SlaPolicy` says which event starts a clock (optionally only under conditions, such
as "a form submit from a hot lead"), which events stop it, how long the response may
take (wall-clock, or business time on a `BusinessCalendar`), when the clock pauses while
the lead waits on the customer, and the escalation ladder once it is breached.

Everything here is a pure function of the history, the policies, the calendar and an
explicit `now`. Escalation is idempotent: a step already recorded as an `Escalated`
event in the history is never due again; on a per-partner clock a recorded step or
breach counts only for the partner its event names. Callers that check many leads can
hold `CompiledPolicies` and pass it instead of the policies.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

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
)
from leadpipeline.lead import InteractionKind, Party, PartyKind
from leadpipeline.rules.calendar import BusinessCalendar

__all__ = [
    "DEFAULT_SLA_POLICIES",
    "EVENT_TYPE_NAMES",
    "AssignedTo",
    "Breach",
    "CompiledPolicies",
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
    _plan: _Plan = attrs.field(init=False, eq=False, repr=False, hash=False)

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
        object.__setattr__(self, "_plan", _Plan(self))


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
    def awaiting_response(self) -> bool:
        """No stop event has arrived yet."""
        return self.met_at is None

    @property
    def late(self) -> timedelta | None:
        """How late the response came (real elapsed time); None when on time or unanswered."""
        if self.met_at is None or self.due_at is None or self.met_at <= self.due_at:
            return None
        return self.met_at.astimezone(UTC) - self.due_at.astimezone(UTC)


@attrs.frozen(kw_only=True)
class Escalation:
    """One escalation step due on a breach: what the `decide` for escalation needs.

    `target` is what an `Escalated` event records for the step (the partner id for a
    per-partner clock, otherwise the recipient); `recipient` is who gets notified or
    receives the lead. Built only by `breaches` from checked instants, so it skips
    re-checking them.
    """

    policy: str
    started_at: datetime
    due_at: datetime
    step: int
    action: EscalationAction
    fires_at: datetime
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
        if not self.escalated:
            return self.due_steps
        return tuple(s for s in self.due_steps if s.step not in self.escalated)


# --- evaluation ---------------------------------------------------------------------------
#
# One pass over the history per lead, built for throughput. A tuple of policies is
# compiled once into a `_Book`: per event type name, the policies that react to it and
# how (start, stop, end, pause, resume), and what the pass must remember about the lead.
# Clocks compute their due instant (in UTC, on the calendar's week tables) only when an
# answer needs it. Result values are built only for what is returned, by unchecked
# constructors: every instant in them was checked when its event or `now` was.

_PARTNER_FIELD = frozenset(
    {"Offered", "OfferWithdrawn", "PartnerAccepted", "Returned", "Reclaimed"}
)
_Check = Callable[[Event, "_Fold"], bool]
_Matcher = bool | tuple[EventMatch, ...]
"""True: every event of the name matches; False: none; a tuple: check actor and kinds."""
_UTC = UTC
_MARKETING = str(Party.marketing())
_NAME_MEMO_LIMIT = 4_096


def _matcher(matches: tuple[EventMatch, ...], name: str) -> _Matcher:
    relevant = tuple(m for m in matches if m.event == name)
    if not relevant:
        return False
    if any(m.actor is None and not m.kinds for m in relevant):
        return True
    return relevant


def _hit(matcher: _Matcher, event: Event) -> bool:
    if matcher is True or matcher is False:
        return matcher
    for m in matcher:
        if m.actor is not None and event.actor.kind is not m.actor:
            continue
        if m.kinds and not (
            isinstance(event, InteractionRecorded) and event.interaction.kind in m.kinds
        ):
            continue
        return True
    return False


def _condition_check(cond: Condition) -> _Check:
    match cond:
        case InteractionIs(kinds=kinds):
            return lambda e, _: isinstance(e, InteractionRecorded) and e.interaction.kind in kinds
        case InStage(stages=stages):
            return lambda _, fold: fold.stage in stages
        case AssignedTo(kind=party_kind):
            return lambda e, _: isinstance(e, OwnerChanged) and e.to_owner.kind is party_kind
        case HotLead(min_interactions=n, window=window, kinds=kinds):

            def hot(event: Event, fold: _Fold) -> bool:
                since, until = event.at - window, event.at
                count = 0
                for at, kind in fold.interactions:
                    if since <= at <= until and (not kinds or kind in kinds):
                        count += 1
                return count >= n

            return hot
        case _:
            typing.assert_never(cond)


class _Plan:
    """What a policy needs compiled, whatever other policies it is evaluated with."""

    __slots__ = ("business", "checks", "names", "wants_interactions", "wants_stage")

    def __init__(self, policy: SlaPolicy) -> None:
        groups = (policy.stops_on, policy.ends_on, policy.pauses_on, policy.resumes_on)
        self.names = frozenset({policy.starts_on, *(m.event for g in groups for m in g)})
        # Cheap checks first: the interaction kind before counting touches.
        ordered = sorted(policy.conditions, key=lambda c: isinstance(c, HotLead))
        self.checks = tuple(_condition_check(c) for c in ordered)
        self.wants_interactions = any(isinstance(c, HotLead) for c in policy.conditions)
        self.wants_stage = any(isinstance(c, InStage) for c in policy.conditions)
        self.business = policy.basis is TimeBasis.BUSINESS


class _Entry:
    """What events of one type name do to the clocks of the policy at `index`."""

    __slots__ = (
        "acts",
        "allowed",
        "business",
        "checks",
        "ends",
        "idle",
        "index",
        "kinds",
        "pauses",
        "recurring",
        "resumes",
        "start",
        "stops",
        "watch_stops",
    )

    def __init__(self, index: int, policy: SlaPolicy, name: str) -> None:
        plan = policy._plan
        self.index = index
        self.start = policy.starts_on == name
        self.stops = _matcher(policy.stops_on, name)
        self.ends = _matcher(policy.ends_on, name)
        self.pauses = _matcher(policy.pauses_on, name)
        self.resumes = _matcher(policy.resumes_on, name)
        self.acts = any(m is not False for m in (self.stops, self.ends, self.pauses, self.resumes))
        # An answer recorded just before its own start (same instant) must be remembered.
        self.watch_stops = not policy.recurring and (
            self.stops is not False or self.ends is not False
        )
        self.kinds = self._kinds(policy) if name == "InteractionRecorded" else None
        # Nothing to do unless one of the policy's clocks is open.
        self.idle = not self.start and not self.watch_stops
        self.checks = plan.checks
        self.allowed = policy.allowed
        self.recurring = policy.recurring
        self.business = plan.business

    def _kinds(self, policy: SlaPolicy) -> frozenset[InteractionKind] | None:
        """The interaction kinds this entry can react to; None: any kind."""
        kinds: set[InteractionKind] = set()
        for matcher in (self.stops, self.ends, self.pauses, self.resumes):
            if matcher is True:
                return None
            if matcher is not False:
                for m in matcher:
                    if not m.kinds:
                        return None
                    kinds.update(m.kinds)
        if self.start:
            starts = [c.kinds for c in policy.conditions if isinstance(c, InteractionIs)]
            if not starts:
                return None
            kinds.update(frozenset.intersection(*starts))
        return frozenset(kinds)


# What the pass learns about the lead from an event, besides the clocks.
_TOUCH, _STAGE, _OWNER, _CAPTURED, _MERGED, _ESCALATED, _BREACHED = range(1, 8)
# Where an event names the partner it concerns.
_FIELD, _TO_OWNER, _ACTOR = range(3)


class _Handler:
    """Everything one event type name does in the pass."""

    __slots__ = ("entries", "name", "partner", "touch", "update")

    def __init__(self, name: str, entries: tuple[_Entry, ...], update: int) -> None:
        self.name = name
        self.entries = entries
        self.update = update
        self.touch = name == "InteractionRecorded"
        if name in _PARTNER_FIELD:
            self.partner = _FIELD
        elif name == "OwnerChanged":
            self.partner = _TO_OWNER
        else:
            self.partner = _ACTOR


class _Step:
    """One escalation step compiled: its recipient when that does not depend on the lead."""

    __slots__ = ("action", "after", "fixed", "index", "reclaim")

    def __init__(self, index: int, step: EscalationStep) -> None:
        self.index = index
        self.action = step.action
        self.after = step.after
        self.reclaim = not step.target and step.action is EscalationAction.RECLAIM_FROM_PARTNER
        fixed: str | None = None
        if step.target:
            fixed = step.target
        elif step.action is EscalationAction.RETURN_TO_MARKETING:
            fixed = _MARKETING
        elif step.action is EscalationAction.NOTIFY_MANAGER:
            fixed = "manager"
        elif step.action is EscalationAction.REASSIGN:
            fixed = ""  # the shell picks the new owner when the policy names none
        self.fixed = fixed


class _Book:
    """A tuple of policies compiled for the pass: dispatch by event type name."""

    __slots__ = ("business", "handlers", "names", "partner_names", "policies", "size", "steps")

    def __init__(self, policies: tuple[SlaPolicy, ...]) -> None:
        self.policies = policies
        self.size = len(policies)
        self.business = tuple(p._plan.business for p in policies)
        self.names = tuple(p.name for p in policies)
        self.steps = tuple(tuple(_Step(n, s) for n, s in enumerate(p.escalation)) for p in policies)
        touches = any(p._plan.wants_interactions for p in policies)
        stage = any(p._plan.wants_stage for p in policies)
        updates = {
            "InteractionRecorded": _TOUCH if touches else 0,
            "StageChanged": _STAGE if stage else 0,
            "OwnerChanged": _OWNER,
            "LeadCaptured": _CAPTURED,
            "Merged": _MERGED if touches else 0,
            "Escalated": _ESCALATED,
            "SlaBreached": _BREACHED,
        }
        entries: dict[str, list[_Entry]] = {}
        for i, policy in enumerate(policies):
            for name in sorted(policy._plan.names):
                entries.setdefault(name, []).append(_Entry(i, policy, name))
        self.handlers = {
            name: _Handler(name, tuple(entries.get(name, ())), updates.get(name, 0))
            for name in EVENT_TYPE_NAMES
            if name in entries or updates.get(name)
        }
        # "partner/<id>" per partner id: pure, bounded, and asked for on most breaches.
        self.partner_names: dict[str, str] = {}

    def partner_name(self, partner_id: str) -> str:
        """How a partner is named as a recipient."""
        known = self.partner_names.get(partner_id)
        if known is None:
            known = str(Party.partner(partner_id))
            if len(self.partner_names) >= _NAME_MEMO_LIMIT:
                self.partner_names.clear()
            self.partner_names[partner_id] = known
        return known


@attrs.frozen(kw_only=True)
class CompiledPolicies:
    """SLA policies compiled once for evaluation; pass it wherever policies are taken.

    Why: `breaches`, `deadlines` and `escalation_due` run per lead, often over a whole
    book of leads; holding the compiled form saves compiling the same policies per call.
    It equals another when its policies do.

    Example:
        >>> compiled = CompiledPolicies(policies=DEFAULT_SLA_POLICIES)
        >>> [p.name for p in compiled.policies][:2]
        ['hot_form_submit_call', 'mql_handover_response']
    """

    policies: tuple[SlaPolicy, ...]
    _book: _Book = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_book", _Book(tuple(self.policies)))


_BOOKS: dict[int, tuple[tuple[SlaPolicy, ...], _Book]] = {}
"""Compiled policy tuples by identity, for callers that pass a plain tuple. Each entry
keeps its tuple alive, so an id is never reused while cached; bounded. Pure: it only saves
recompiling the same policies per lead. Callers that can should hold `CompiledPolicies`."""
_BOOKS_LIMIT = 64


def _book(policies: Iterable[SlaPolicy] | CompiledPolicies) -> _Book:
    if isinstance(policies, CompiledPolicies):
        return policies._book
    if type(policies) is not tuple:
        policies = tuple(policies)
    cached = _BOOKS.get(id(policies))
    if cached is not None and cached[0] is policies:
        return cached[1]
    book = _Book(policies)
    if len(_BOOKS) >= _BOOKS_LIMIT:  # a handful of playbooks per process at most
        _BOOKS.clear()
    _BOOKS[id(policies)] = (policies, book)
    return book


class _Clock:
    """A running clock while folding one history; never leaves this module.

    Business time left is `remaining` from `since`. `due` is computed only when needed:
    in UTC for a business-time clock, in the zone of `since` for a wall-clock one.
    """

    __slots__ = ("due", "partner", "paused_at", "remaining", "since", "started")

    def __init__(self, started: datetime, remaining: timedelta, partner: str | None) -> None:
        self.started = started
        self.since = started
        self.remaining = remaining
        self.partner = partner
        self.due: datetime | None = None
        self.paused_at: datetime | None = None

    def due_at(self, business: bool, calendar: BusinessCalendar) -> datetime:
        """The due instant of a running (not paused) clock."""
        due = self.due
        if due is None:
            since = self.since
            if not business:
                due = since + self.remaining
            elif self.remaining > _ZERO:
                utc = since if since.tzinfo is _UTC else since.astimezone(_UTC)
                due = calendar._add_utc(utc, self.remaining)
            else:
                due = since.astimezone(_UTC)
            self.due = due
        return due

    def public_due(self, business: bool, calendar: BusinessCalendar) -> datetime | None:
        """The due instant as `Deadline.due_at` shows it: None while paused."""
        if self.paused_at is not None:
            return None
        due = self.due_at(business, calendar)
        return due.astimezone(calendar.zone) if business else due


class _Fold:
    """What the conditions and the escalation need to know about the lead so far."""

    __slots__ = ("breached", "escalated", "interactions", "owner", "stage")

    def __init__(self) -> None:
        self.interactions: list[tuple[datetime, InteractionKind]] = []
        self.stage = ""
        self.owner: Party | None = None
        self.escalated: list[Escalated] = []
        self.breached: list[SlaBreached] = []


_Record = tuple[int, _Clock, datetime | None, str]
"""A folded clock: policy index, the clock, when it was answered, and by which event."""


def _fold(  # noqa: PLR0915  # one pass over the history, kept flat for speed
    history: Sequence[Event], book: _Book, calendar: BusinessCalendar
) -> tuple[list[_Record], _Fold]:
    handlers = book.handlers
    fold = _Fold()
    clocks: list[dict[str | None, _Clock] | None] = [None] * book.size
    records: list[_Record] = []
    last_stop: dict[tuple[int, str | None], datetime] = {}
    partner: str | None
    for event in history:
        handler = handlers.get(type(event).__name__)
        if handler is None:
            continue
        entries = handler.entries
        if entries:
            at = event.at
            how = handler.partner
            if how == _ACTOR:
                partner = event.actor.partner_id
            elif how == _FIELD:
                partner = event.partner_id  # type: ignore[union-attr]  # the names carry one
            else:
                partner = event.to_owner.partner_id  # type: ignore[union-attr]  # OwnerChanged
            kind = event.interaction.kind if handler.touch else None  # type: ignore[union-attr]
            for entry in entries:
                if entry.kinds is not None and kind not in entry.kinds:
                    continue  # an interaction of a kind this policy ignores
                i = entry.index
                open_ = clocks[i]
                if not open_ and entry.idle:
                    continue
                if open_:
                    if entry.acts:
                        stops = entry.stops
                        stop = stops if stops.__class__ is bool else _hit(stops, event)
                        ends = entry.ends
                        end = stop or (ends if ends.__class__ is bool else _hit(ends, event))
                        if end and entry.watch_stops:
                            last_stop[(i, partner)] = at
                        for key, clock in list(open_.items()):
                            if partner is not None and key is not None and partner != key:
                                continue
                            if end:
                                del open_[key]
                                records.append((i, clock, at, handler.name))
                                if stop and entry.recurring:
                                    open_[key] = _Clock(at, entry.allowed, key)
                            elif clock.paused_at is None and _hit(entry.pauses, event):
                                due = clock.due_at(entry.business, calendar)
                                if at < due:
                                    if entry.business:
                                        clock.remaining = calendar.between(at, due)
                                    else:
                                        clock.remaining = due - at
                                    clock.paused_at = at
                                    clock.due = None
                            elif clock.paused_at is not None and _hit(entry.resumes, event):
                                clock.paused_at = None
                                clock.since = at
                elif entry.watch_stops and (_hit(entry.stops, event) or _hit(entry.ends, event)):
                    last_stop[(i, partner)] = at
                if entry.start and (open_ is None or partner not in open_):
                    for check in entry.checks:
                        if not check(event, fold):
                            break
                    else:
                        clock = _Clock(at, entry.allowed, partner)
                        if last_stop and last_stop.get((i, partner)) == at:
                            # The answer was recorded at the same instant, just before.
                            records.append((i, clock, at, handler.name))
                        elif open_ is None:
                            clocks[i] = {partner: clock}
                        else:
                            open_[partner] = clock
        update = handler.update
        if update:
            if update == _OWNER:
                fold.owner = event.to_owner  # type: ignore[union-attr]  # OwnerChanged
            elif update == _TOUCH:
                touch = event.interaction  # type: ignore[union-attr]  # InteractionRecorded
                fold.interactions.append((touch.at, touch.kind))
            elif update == _CAPTURED:
                lead = typing.cast("LeadCaptured", event).lead
                fold.stage, fold.owner = lead.stage, lead.owner
                fold.interactions.extend((x.at, x.kind) for x in lead.interactions)
            elif update == _STAGE:
                fold.stage = event.to_stage  # type: ignore[union-attr]  # StageChanged
            elif update == _MERGED:
                fold.interactions.extend(
                    (x.at, x.kind) for x in typing.cast("Merged", event).interactions
                )
            elif update == _ESCALATED:
                fold.escalated.append(typing.cast("Escalated", event))
            else:
                fold.breached.append(typing.cast("SlaBreached", event))
    for i, open_ in enumerate(clocks):
        if open_:
            records.extend((i, clock, None, "") for clock in open_.values())
    return records, fold


# Unchecked constructors for the result values: they set the slots directly and skip the
# validators, which would only re-check instants already checked. Same values, same types.
_new = object.__new__


def _slot_setters(
    cls: type, names: tuple[str, ...]
) -> tuple[Callable[[object, object], None], ...]:
    fields = tuple(a.name for a in attrs.fields(cls))
    assert set(fields) == set(names), f"{cls.__name__} fields changed: {fields}"
    return tuple(cls.__dict__[name].__set__ for name in names)


def _deadline_maker() -> Callable[..., Deadline]:
    names = (
        "policy",
        "lead_id",
        "started_at",
        "due_at",
        "partner_id",
        "met_at",
        "stopped_by",
        "paused_at",
        "remaining",
    )
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _slot_setters(Deadline, names)

    def make(  # noqa: PLR0917  # positional on purpose: the fast path
        policy: str,
        lead_id: str,
        started_at: datetime,
        due_at: datetime | None,
        partner_id: str | None,
        met_at: datetime | None,
        stopped_by: str,
        paused_at: datetime | None,
        remaining: timedelta | None,
    ) -> Deadline:
        d: Deadline = _new(Deadline)
        s0(d, policy)
        s1(d, lead_id)
        s2(d, started_at)
        s3(d, due_at)
        s4(d, partner_id)
        s5(d, met_at)
        s6(d, stopped_by)
        s7(d, paused_at)
        s8(d, remaining)
        return d

    return make


def _escalation_maker() -> Callable[..., Escalation]:
    names = (
        "policy",
        "started_at",
        "due_at",
        "step",
        "action",
        "fires_at",
        "target",
        "recipient",
        "partner_id",
    )
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = _slot_setters(Escalation, names)

    def make(  # noqa: PLR0917  # positional on purpose: the fast path
        policy: str,
        started_at: datetime,
        due_at: datetime,
        step: int,
        action: EscalationAction,
        fires_at: datetime,
        target: str,
        recipient: str,
        partner_id: str | None,
    ) -> Escalation:
        e: Escalation = _new(Escalation)
        s0(e, policy)
        s1(e, started_at)
        s2(e, due_at)
        s3(e, step)
        s4(e, action)
        s5(e, fires_at)
        s6(e, target)
        s7(e, recipient)
        s8(e, partner_id)
        return e

    return make


def _breach_maker() -> Callable[..., Breach]:
    names = ("deadline", "now", "late", "open", "due_steps", "escalated", "recorded")
    s0, s1, s2, s3, s4, s5, s6 = _slot_setters(Breach, names)

    def make(  # noqa: PLR0917  # positional on purpose: the fast path
        deadline: Deadline,
        now: datetime,
        late: timedelta,
        is_open: bool,
        due_steps: tuple[Escalation, ...],
        escalated: tuple[int, ...],
        recorded: bool,
    ) -> Breach:
        b: Breach = _new(Breach)
        s0(b, deadline)
        s1(b, now)
        s2(b, late)
        s3(b, is_open)
        s4(b, due_steps)
        s5(b, escalated)
        s6(b, recorded)
        return b

    return make


_make_deadline = _deadline_maker()
_make_escalation = _escalation_maker()
_make_breach = _breach_maker()


def _started(record: _Record) -> datetime:
    return record[1].started


def deadlines(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy] | CompiledPolicies,
    calendar: BusinessCalendar,
) -> tuple[Deadline, ...]:
    """Every SLA clock in a lead's history, in the order the clocks started.

    Why: one place answers "what was promised, by when, and was it kept?" for the shell,
    for analytics (SLA attainment) and for escalation.

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
        >>> d.policy, d.due_at.isoformat(), d.awaiting_response
        ('mql_handover_response', '2026-03-09T16:00:00+01:00', True)
    """
    book = _book(policies)
    records, _ = _fold(history, book, calendar)
    if not records:
        return ()
    if len(records) > 1:
        records.sort(key=_started)
    lead_id = history[0].lead_id
    names, business = book.names, book.business
    return tuple(
        _make_deadline(
            names[i],
            lead_id,
            clock.started,
            clock.public_due(business[i], calendar),
            clock.partner,
            met_at,
            stopped_by,
            clock.paused_at,
            clock.remaining if clock.paused_at is not None else None,
        )
        for i, clock, met_at, stopped_by in records
    )


class _Recorded:
    """Which breaches and steps a history already records, per partner where it says."""

    __slots__ = ("breached", "breached_any", "steps", "steps_by_target")

    def __init__(self, fold: _Fold) -> None:
        self.breached: set[tuple[str, datetime, str]] = set()
        self.breached_any: set[tuple[str, datetime]] = set()
        self.steps: set[tuple[str, datetime, int, str]] = set()
        self.steps_by_target: dict[tuple[str, datetime, int], set[str]] = {}
        for b in fold.breached:
            if b.partner_id is not None:
                self.breached.add((b.policy, b.started_at, b.partner_id))
            else:  # recorded before events named the partner: it counts for any
                self.breached_any.add((b.policy, b.started_at))
        for e in fold.escalated:
            if e.partner_id is not None:
                self.steps.add((e.policy, e.started_at, e.step, e.partner_id))
            else:  # the old convention: `target` is the partner id on a partner clock
                self.steps_by_target.setdefault((e.policy, e.started_at, e.step), set()).add(
                    e.target
                )

    def recorded(self, policy: str, started_at: datetime, partner_id: str | None) -> bool:
        if partner_id is not None and (policy, started_at, partner_id) in self.breached:
            return True
        return (policy, started_at) in self.breached_any

    def escalated(
        self, policy: str, started_at: datetime, steps: int, partner_id: str | None
    ) -> tuple[int, ...]:
        done = []
        for n in range(steps):
            if partner_id is not None and (policy, started_at, n, partner_id) in self.steps:
                done.append(n)
                continue
            targets = self.steps_by_target.get((policy, started_at, n))
            if targets is not None and (partner_id is None or partner_id in targets):
                done.append(n)
        return tuple(done)


def _breaches(  # noqa: PLR0915  # kept flat for speed
    history: Sequence[Event],
    book: _Book,
    calendar: BusinessCalendar,
    now: datetime,
) -> tuple[Breach, ...]:
    require_aware("now", now)
    records, fold = _fold(history, book, calendar)
    if not records:
        return ()
    business = book.business
    late: list[tuple[_Record, datetime, timedelta, bool]] = []
    for record in records:
        i, clock, met_at, _ = record
        if clock.paused_at is not None or clock.started > now:
            continue
        if met_at is not None and met_at <= now:
            at, is_open = met_at, False
        else:
            at, is_open = now, True
        # Durations are measured between UTC instants: subtracting two datetimes of the
        # same zone would give their wall-clock difference, an hour off across a change.
        at_utc = at if at.tzinfo is _UTC else at.astimezone(_UTC)
        if business[i]:
            since = clock.since
            if at_utc - (since if since.tzinfo is _UTC else since.astimezone(_UTC)) <= (
                clock.remaining
            ):
                continue  # business time never runs faster than real time
            due = clock.due_at(True, calendar)
            if at_utc > due:
                late.append((record, due, at_utc - due, is_open))
        else:
            due = clock.due_at(False, calendar)
            if at > due:
                due_utc = due if due.tzinfo is _UTC else due.astimezone(_UTC)
                late.append((record, due, at_utc - due_utc, is_open))
    if not late:
        return ()
    if len(late) > 1:
        late.sort(key=lambda item: item[0][1].started)
    done = _Recorded(fold) if fold.escalated or fold.breached else None
    lead_id = history[0].lead_id
    names, all_steps = book.names, book.steps
    zone = calendar.zone
    now_utc = now if now.tzinfo is _UTC else now.astimezone(_UTC)
    owner = fold.owner
    owner_name: str | None = None
    result = []
    for (i, clock, met_at, stopped_by), due, lateness, is_open in late:
        name = names[i]
        on_business = business[i]
        shown_due = due.astimezone(zone) if on_business else due
        partner_id = clock.partner
        started = clock.started
        deadline = _make_deadline(
            name, lead_id, started, shown_due, partner_id, met_at, stopped_by, None, None
        )
        steps: list[Escalation] = []
        if is_open:
            for step in all_steps[i]:
                after = step.after
                if not on_business:
                    fires_at = due + after
                    if fires_at > now:
                        break  # steps fire in order: later ones are not due either
                elif after:
                    if due + after > now_utc:
                        break  # business time never runs faster than the wall clock
                    fires_utc = calendar._add_utc(due, after)
                    if fires_utc > now_utc:
                        break
                    fires_at = fires_utc.astimezone(zone)
                else:
                    fires_at = shown_due  # a late open clock: `due` is before `now`
                recipient = step.fixed
                if recipient is None:
                    if step.reclaim:
                        recipient = partner_id or (owner.partner_id or "" if owner else "")
                    elif partner_id is not None:
                        recipient = book.partner_name(partner_id)
                    else:
                        if owner_name is None:
                            owner_name = str(owner) if owner is not None else ""
                        recipient = owner_name
                steps.append(
                    _make_escalation(
                        name,
                        started,
                        shown_due,
                        step.index,
                        step.action,
                        fires_at,
                        partner_id if partner_id is not None else recipient,
                        recipient,
                        partner_id,
                    )
                )
        result.append(
            _make_breach(
                deadline,
                now,
                lateness,
                is_open,
                tuple(steps),
                done.escalated(name, started, len(all_steps[i]), partner_id) if done else (),
                done.recorded(name, started, partner_id) if done else False,
            )
        )
    return tuple(result)


def breaches(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy] | CompiledPolicies,
    calendar: BusinessCalendar,
    now: datetime,
) -> tuple[Breach, ...]:
    """The deadlines missed as of `now`: still unanswered past due, or answered late.

    Why: the shell turns these into ``SlaBreached`` and ``Escalated`` events; analytics
    counts them. An open breach lists the escalation steps whose time has come and which
    of them the history already shows as escalated. A breach or step recorded with a
    `partner_id` counts only for that partner's clock.

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
    return _breaches(history, _book(policies), calendar, now)


def escalation_due(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy] | CompiledPolicies,
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
        for breach in _breaches(history, _book(policies), calendar, now)
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
