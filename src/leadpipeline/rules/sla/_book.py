"""SLA policies compiled for the pass over a history: what each event type does, and to which.

Why: the pass dispatches on an event's type name once and finds every policy that reacts
to it (start, stop, end, pause, resume), what it must remember about the lead, and each
escalation step's recipient where that does not depend on the lead.
"""

from __future__ import annotations

from leadpipeline.events import Event, InteractionRecorded
from leadpipeline.lead import InteractionKind, Party
from leadpipeline.rules.sla.policy import (
    EVENT_TYPE_NAMES,
    EscalationAction,
    EscalationStep,
    EventMatch,
    InteractionIs,
    SlaPolicy,
    leaves,
)

_PARTNER_FIELD = frozenset(
    {"Offered", "OfferWithdrawn", "PartnerAccepted", "Returned", "Reclaimed"}
)
_Matcher = bool | tuple[EventMatch, ...]
"""True: every event of the name matches; False: none; a tuple: check actor and kinds."""
_MARKETING = str(Party.marketing())
_NAME_MEMO_LIMIT = 4_096


def _matcher(matches: tuple[EventMatch, ...], name: str) -> _Matcher:
    relevant = tuple(m for m in matches if m.event == name)
    if not relevant:
        return False
    if any(m.actor is None and not m.kinds and m.leaves is None for m in relevant):
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
        if m.leaves is not None and not leaves(event, m.leaves):
            continue
        return True
    return False


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

    __slots__ = ("entries", "name", "own_time", "partner", "touch", "update")

    def __init__(self, name: str, entries: tuple[_Entry, ...], update: int) -> None:
        self.name = name
        self.entries = entries
        self.update = update
        self.touch = name == "InteractionRecorded"
        # A call request counts from the submit's own time, not from when it was recorded.
        self.own_time = name == "CallRequested"
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
