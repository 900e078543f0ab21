"""The SLA policy vocabulary: what starts a clock, what stops it, how long, and then what.

Plain data: a policy round-trips through the converter and is refused with
`ConfigurationError` when it cannot work. Each policy compiles its own conditions once,
when built (`_Plan`), so evaluating it beside any other policies reuses that work; the
compiled checks are module functions bound with `functools.partial`, so a policy (and a
playbook) pickles for `multiprocessing` workers.
"""

from __future__ import annotations

import enum
import functools
import typing
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs

from leadpipeline._checks import not_blank
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError
from leadpipeline.events import Event, InteractionRecorded, OwnerChanged
from leadpipeline.lead import InteractionKind, PartyKind

__all__ = [
    "EVENT_TYPE_NAMES",
    "AssignedTo",
    "Condition",
    "EscalationAction",
    "EscalationStep",
    "EventMatch",
    "HotLead",
    "InStage",
    "InteractionIs",
    "SlaPolicy",
    "TimeBasis",
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


def leaves(event: Event, party: PartyKind) -> bool:
    """Whether `event` takes the lead away from `party` (an owner change to another kind)."""
    return (
        isinstance(event, OwnerChanged)
        and event.from_owner.kind is party
        and event.to_owner.kind is not party
    )


@attrs.frozen(kw_only=True, field_transformer=typed)
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
    leaves: PartyKind | None = None
    """For ``OwnerChanged``: only a change that takes the lead away from this kind of
    party, so a clock waiting on that party closes when the lead leaves it."""

    def __attrs_post_init__(self) -> None:
        if self.kinds and self.event != "InteractionRecorded":
            raise ConfigurationError.at("kinds", "interaction kinds apply to InteractionRecorded")
        if self.leaves is not None and self.event != "OwnerChanged":
            raise ConfigurationError.at("leaves", "leaving a party applies to OwnerChanged")

    def matches(self, event: Event) -> bool:
        """Whether `event` is one of these."""
        if type(event).__name__ != self.event:
            return False
        if self.actor is not None and event.actor.kind is not self.actor:
            return False
        if self.leaves is not None and not leaves(event, self.leaves):
            return False
        if self.kinds:
            return isinstance(event, InteractionRecorded) and event.interaction.kind in self.kinds
        return True


@attrs.frozen(kw_only=True, field_transformer=typed)
class InteractionIs:
    """The starting event is an interaction of one of these kinds."""

    kinds: frozenset[InteractionKind]


@attrs.frozen(kw_only=True, field_transformer=typed)
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


@attrs.frozen(kw_only=True, field_transformer=typed)
class InStage:
    """The lead is in one of these stages when the starting event arrives."""

    stages: frozenset[str]


@attrs.frozen(kw_only=True, field_transformer=typed)
class AssignedTo:
    """The starting event hands the lead to this kind of party (``OwnerChanged``)."""

    kind: PartyKind


Condition = InteractionIs | HotLead | InStage | AssignedTo
"""A condition on the starting event; all of a policy's conditions must hold."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class EscalationStep:
    """One rung of the ladder: `action`, fired `after` the due instant.

    `after` is measured like the policy's allowed duration (business or wall-clock).
    `target` names who receives the step (a manager, a team to reassign to); empty means
    the default for the action: the owner, the partner, or marketing.
    """

    action: EscalationAction
    after: timedelta = attrs.field(default=_ZERO, validator=_non_negative_duration)
    target: str = ""


@attrs.frozen(kw_only=True, field_transformer=typed)
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


class _Seen(typing.Protocol):
    """What a condition may ask about the lead before the starting event."""

    stage: str
    interactions: list[tuple[datetime, InteractionKind]]


_Check = Callable[[Event, _Seen], bool]


# Each check is a module-level function bound to its condition's values with `partial`,
# never a closure, so a compiled policy (and a playbook holding it) pickles for workers.
def _interaction_is(kinds: frozenset[InteractionKind], event: Event, _: _Seen) -> bool:
    return isinstance(event, InteractionRecorded) and event.interaction.kind in kinds


def _in_stage(stages: frozenset[str], _: Event, fold: _Seen) -> bool:
    return fold.stage in stages


def _assigned_to(party_kind: PartyKind, event: Event, _: _Seen) -> bool:
    return isinstance(event, OwnerChanged) and event.to_owner.kind is party_kind


def _hot(
    n: int, window: timedelta, kinds: frozenset[InteractionKind], event: Event, fold: _Seen
) -> bool:
    # Real elapsed time: the touches are UTC instants (see `_engine`), and so is `until`.
    until = event.at.astimezone(UTC)
    since = until - window
    count = 0
    for at, kind in fold.interactions:
        if since <= at <= until and (not kinds or kind in kinds):
            count += 1
    return count >= n


def _condition_check(cond: Condition) -> _Check:
    match cond:
        case InteractionIs(kinds=kinds):
            return functools.partial(_interaction_is, kinds)
        case InStage(stages=stages):
            return functools.partial(_in_stage, stages)
        case AssignedTo(kind=party_kind):
            return functools.partial(_assigned_to, party_kind)
        case HotLead(min_interactions=n, window=window, kinds=kinds):
            return functools.partial(_hot, n, window, kinds)
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
