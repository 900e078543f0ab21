"""`transition`: everything one command does to a lead, decided at once, as one value.

The shell loads a lead, calls `transition` once and hands the result to the store,
which records it atomically: the events, the lead after them, the notifications of who
must act by when, the lead's next due time, and (for erasure) what to rewrite. Nothing
about a write is decided anywhere else, so every store records the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import attrs

from leadpipeline._checks import aware, non_negative, require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ValidationError
from leadpipeline.events import (
    ERASED,
    Event,
    LeadCaptured,
    Merged,
    PersonalDataErased,
    evolve,
    redact,
)
from leadpipeline.lead import Lead
from leadpipeline.playbook import Playbook
from leadpipeline.rules.sla import SlaFold, fold_clocks
from leadpipeline.stages.commands import (
    AssignPartner,
    Command,
    Erase,
    Escalate,
    ExpireOffers,
    OfferToPartners,
    Reclaim,
    ReturnLead,
)
from leadpipeline.stages.decide import decide
from leadpipeline.stages.notify import Notification, OutboxEntry, notifications_for

__all__ = ["Inputs", "Rewrite", "SlaFold", "Transition", "inputs", "next_due", "transition"]

_WEIGHS_PARTNER_LOADS = (
    AssignPartner,
    OfferToPartners,
    ReturnLead,
    ExpireOffers,
    Reclaim,
    Escalate,
)


@attrs.frozen(kw_only=True, field_transformer=typed)
class Inputs:
    """What a command's decision needs besides the lead and its history.

    `partner_loads`: each partner's current open-lead count (`Playbook.with_loads`).
    `outbox`: the lead's outbox entries (erasure rewrites them).
    """

    partner_loads: bool = False
    outbox: bool = False


def inputs(command: Command) -> Inputs:
    """What the shell must load before calling `transition` with `command`.

    Example:
        >>> from leadpipeline.stages.commands import AssignPartner, Qualify
        >>> inputs(AssignPartner()).partner_loads, inputs(Qualify()).partner_loads
        (True, False)
    """
    return Inputs(
        partner_loads=isinstance(command, _WEIGHS_PARTNER_LOADS),
        outbox=isinstance(command, Erase),
    )


@attrs.frozen(kw_only=True, field_transformer=typed)
class Rewrite:
    """A stored event replaced in place: only erasure does this, with the redacted event."""

    version: int = attrs.field(validator=non_negative)
    event: Event


def _check(t: Transition) -> None:
    problems: list[tuple[str, str]] = []
    lead_id, expected = t.lead_id, t.expected_version
    if t.after.id != lead_id:
        problems.append(("after.id", f"lead {t.after.id!r}, not {lead_id!r}"))
    wanted = expected + len(t.events)
    if t.after.version != wanted:
        problems.append(
            (
                "after.version",
                f"expected {wanted} (expected_version {expected} + {len(t.events)} events), "
                f"got {t.after.version}",
            )
        )
    for i, event in enumerate(t.events):
        if event.lead_id != lead_id:
            problems.append((f"events[{i}].lead_id", f"event for {event.lead_id!r}"))
    if expected == 0:
        if not t.events:
            problems.append(("events", "a new lead needs at least its LeadCaptured event"))
        elif not isinstance(t.events[0], LeadCaptured):
            problems.append(("events[0]", "a new lead's history starts with LeadCaptured"))
    for i, note in enumerate(t.notifications):
        if note.lead_id != lead_id:
            problems.append((f"notifications[{i}].lead_id", f"notification for {note.lead_id!r}"))
    for i, rewrite in enumerate(t.rewrites):
        if not 1 <= rewrite.version <= expected:
            problems.append((f"rewrites[{i}].version", f"no stored event {rewrite.version}"))
        if rewrite.event.lead_id != lead_id:
            problems.append(
                (f"rewrites[{i}].event.lead_id", f"event for {rewrite.event.lead_id!r}")
            )
    for i, entry in enumerate(t.outbox_rewrites):
        if entry.notification.lead_id != lead_id:
            problems.append(
                (f"outbox_rewrites[{i}].notification.lead_id", "an entry of another lead")
            )
    if problems:
        raise ValidationError(problems)


@attrs.frozen(kw_only=True, field_transformer=typed)
class Transition:
    """One command's effect on one lead: the value a store records atomically.

    `expected_version` is the version the decision was made on (0 for a new lead); a
    store refuses it with `ConflictError` when it holds another. `after` is the lead
    once `events` are folded in. `due_at` is its next deadline (an open SLA clock or an
    offer's expiry), which stores index for `query(due_before=...)`. `rewrites` and
    `outbox_rewrites` replace stored events and outbox entries in place (erasure only).
    A transition with no events is a no-op: there is nothing to record.
    Checked when built: everything in it belongs to `lead_id` and the versions add up.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> from leadpipeline.stages.commands import Capture
        >>> now = datetime(2026, 3, 4, 10, 0, tzinfo=timezone.utc)
        >>> new = Lead(id="L-1", source=Source(channel="web", captured_at=now))
        >>> t = transition(None, Capture(lead=new), DEFAULT_PLAYBOOK, now=now)
        >>> [type(e).__name__ for e in t.events], t.after.version, t.expected_version
        (['LeadCaptured'], 1, 0)
    """

    lead_id: str
    expected_version: int = attrs.field(validator=non_negative)
    events: tuple[Event, ...]
    after: Lead
    notifications: tuple[Notification, ...] = ()
    due_at: datetime | None = attrs.field(default=None, validator=aware)
    rewrites: tuple[Rewrite, ...] = ()
    outbox_rewrites: tuple[OutboxEntry, ...] = ()
    _sla_fold: SlaFold | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        _check(self)

    @property
    def sla_fold(self) -> SlaFold | None:
        """The SLA clocks as this write leaves them, when `transition` made it.

        Pass it to the lead's next `transition`, with the history this write leaves, to
        fold only that command's events. A memo: not part of equality or of the JSON,
        and dropped by `attrs.evolve`, pickling and copying.
        """
        return self._sla_fold

    @property
    def changed(self) -> bool:
        """Whether there is anything to record (a no-op decides no events)."""
        return bool(self.events)

    @property
    def claimed_sources(self) -> tuple[str, ...]:
        """The source record ids this write adds to the lead (its capture's, a merge's).

        A source record belongs to one lead per store: a store refuses a claim on a
        record another lead holds (`SourceConflictError`).
        """
        claimed: list[str] = []
        for event in self.events:
            if isinstance(event, LeadCaptured):
                claimed += [s.source_id for s in event.lead.sources if s.source_id]
            elif isinstance(event, Merged) and event.source.source_id:
                claimed.append(event.source.source_id)
        return tuple(dict.fromkeys(claimed))

    @property
    def erases(self) -> bool:
        """Whether this write erases personal data, so a store scrubs its files after it."""
        return any(isinstance(e, PersonalDataErased) for e in self.events)


def next_due(
    history: Sequence[Event], lead: Lead, playbook: Playbook, *, sla_fold: SlaFold | None = None
) -> datetime | None:
    """The lead's next deadline: the earliest open, running SLA clock or offer expiry.

    `sla_fold`, a fold of the history's first events (see `SlaFold`), saves folding
    them again.
    """
    return _earliest(_clocks(history, playbook, sla_fold), lead)


def _clocks(history: Sequence[Event], playbook: Playbook, since: SlaFold | None) -> SlaFold:
    return fold_clocks(history, playbook.sla_policies, playbook.party_calendars, since=since)


def _earliest(clocks: SlaFold, lead: Lead) -> datetime | None:
    due = clocks.running_due()
    due += [o.expires_at for o in lead.offers]
    # Earliest as a real instant: one zone's repeated hour would compare its showings equal.
    return min(due, key=lambda d: d.astimezone(UTC)) if due else None


def _in_order(lead: Lead, history: Sequence[Event], now: datetime, playbook: Playbook) -> datetime:
    """The instant to decide at: `now`, or the last event's time when `now` is a little behind.

    A history in time order is what SLA clocks and velocity figures rely on. Hosts'
    clocks disagree by a little (`Playbook.clock_tolerance`): within that a command takes
    the last event's time; a clock further behind has moved backwards, and is refused.
    """
    if len(history) != lead.version:
        raise ValidationError.at(
            "history",
            f"expected the {lead.version} events lead {lead.id!r} was folded from, "
            f"got {len(history)}",
        )
    last = history[-1].at if history else None
    if last is None or now >= last:
        return now
    if last - now <= playbook.clock_tolerance:
        return last
    raise ValidationError.at(
        "now",
        f"{now.isoformat()} is before lead {lead.id!r}'s last event at "
        f"{last.isoformat()}: a clock that moved backwards is refused",
    )


def _erasure(
    lead: Lead,
    history: Sequence[Event],
    events: tuple[Event, ...],
    outbox: Sequence[OutboxEntry],
) -> tuple[Lead, tuple[Rewrite, ...], tuple[OutboxEntry, ...]]:
    """What erasing rewrites: each stored event with personal data, and every outbox entry."""
    redacted = [redact(e) for e in history]
    rewrites = tuple(
        Rewrite(version=version, event=new)
        for version, (old, new) in enumerate(zip(history, redacted, strict=True), start=1)
        if new != old
    )
    after: Lead | None = None
    for event in (*redacted, *events):
        after = evolve(after, event)
    assert after is not None  # an erased lead has its capture at least
    entries = tuple(
        attrs.evolve(
            entry,
            notification=entry.notification.redacted(),
            last_error=ERASED if entry.last_error else "",
        )
        for entry in outbox
        if entry.notification.lead_id == lead.id
    )
    return after, rewrites, entries


def transition(
    lead: Lead | None,
    command: Command,
    playbook: Playbook,
    *,
    now: datetime,
    history: Sequence[Event] = (),
    outbox: Sequence[OutboxEntry] = (),
    sla_fold: SlaFold | None = None,
) -> Transition:
    """Decide `command` on `lead` and everything that follows from it, as one value.

    `history` is the events `lead` was folded from (empty for a capture): SLA due times
    and escalation read it. `outbox` is the lead's outbox, needed only where `inputs`
    says so (erasure). `sla_fold` is the `Transition.sla_fold` the lead's last transition
    returned: with it, only the new events are folded for the next deadline (a fold
    that does not continue `history` is ignored). Each partner's open-lead count, where
    a decision weighs it, comes in with the playbook (`Playbook.with_loads`).

    Raises:
        TransitionError: the command is not allowed (see `decide`); nothing changes.
        ValidationError: bad input, such as a naive `now` or a history that is not the
            lead's.
    """
    require_aware("now", now)
    if sla_fold is not None and not isinstance(sla_fold, SlaFold):
        raise ValidationError.at("sla_fold", f"expected an SlaFold, got {type(sla_fold).__name__}")
    if lead is not None:
        now = _in_order(lead, history, now, playbook)
    events = decide(lead, command, playbook, now=now, history=history)
    if lead is not None and not events:  # nothing to record: no due time to work out
        return Transition(lead_id=lead.id, expected_version=lead.version, events=(), after=lead)
    rewrites: tuple[Rewrite, ...] = ()
    outbox_rewrites: tuple[OutboxEntry, ...] = ()
    if lead is not None and isinstance(command, Erase):
        after, rewrites, outbox_rewrites = _erasure(lead, history, events, outbox)
    else:
        folded = lead
        for event in events:
            folded = evolve(folded, event)
        assert folded is not None  # a capture decides its LeadCaptured event
        after = folded
    clocks = _clocks((*history, *events), playbook, sla_fold)
    due = _earliest(clocks, after)
    done = Transition(
        lead_id=after.id,
        expected_version=lead.version if lead is not None else 0,
        events=events,
        after=after,
        notifications=notifications_for(lead, events, after, playbook, now=now, due_at=due),
        due_at=due,
        rewrites=rewrites,
        outbox_rewrites=outbox_rewrites,
    )
    object.__setattr__(done, "_sla_fold", clocks)
    return done
