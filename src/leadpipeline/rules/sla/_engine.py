"""One pass over a lead's history per evaluation: SLA clocks folded, then read as results.

Built for throughput. Clocks compute their due instant (in UTC, on the calendar's week
tables) only when an answer needs it. Result values are built only for what is returned,
by unchecked constructors: every instant in them was checked when its event or `now` was.

Every duration is real elapsed time and every comparison is between real instants: an
event's time is read in UTC once, as it enters the pass. Python compares two datetimes of
one zone by their wall-clock readings (the two showings of a repeated hour are equal) and
adds a timedelta to the wall clock, so a wall-clock policy worked on the zone an event is
written in would move by an hour across a clock change; the results shown keep the zone
the history (or the calendar) uses.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from leadpipeline._checks import require_aware
from leadpipeline._unchecked import unchecked
from leadpipeline.events import Escalated, Event, LeadCaptured, Merged, SlaBreached
from leadpipeline.lead import InteractionKind, Party
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.sla._book import (
    _ACTOR,
    _CAPTURED,
    _ESCALATED,
    _FIELD,
    _MERGED,
    _OWNER,
    _STAGE,
    _TOUCH,
    _Book,
    _hit,
)
from leadpipeline.rules.sla.calendars import PartyCalendars
from leadpipeline.rules.sla.results import Breach, Deadline, Escalation

_UTC = UTC
_ZERO = timedelta(0)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is _UTC else at.astimezone(_UTC)


class _Clock:
    """A running clock while folding one history; never leaves this module.

    Time left is `remaining` from `since` (a UTC instant). `due` is computed only when
    needed, in UTC: business time on the calendar of the party that must act, or real
    elapsed time.
    """

    __slots__ = (
        "calendar",
        "due",
        "partner",
        "paused_at",
        "remaining",
        "since",
        "start_utc",
        "started",
    )

    def __init__(
        self,
        started: datetime,
        start_utc: datetime,
        remaining: timedelta,
        partner: str | None,
        calendar: BusinessCalendar,
    ) -> None:
        self.calendar = calendar
        self.started = started
        self.start_utc = start_utc
        self.since = start_utc
        self.remaining = remaining
        self.partner = partner
        self.due: datetime | None = None
        self.paused_at: datetime | None = None

    def due_at(self, business: bool) -> datetime:
        """The due instant (UTC) of a running (not paused) clock."""
        due = self.due
        if due is None:
            if business and self.remaining > _ZERO:
                due = self.calendar._add_utc(self.since, self.remaining)
            else:
                due = self.since + self.remaining
            self.due = due
        return due

    def shown(self, due: datetime, business: bool) -> datetime:
        """A due instant as results show it: in the calendar's zone, or the start's."""
        return due.astimezone(self.calendar.zone if business else self.started.tzinfo)

    def public_due(self, business: bool) -> datetime | None:
        """The due instant as `Deadline.due_at` shows it: None while paused."""
        if self.paused_at is not None:
            return None
        return self.shown(self.due_at(business), business)


class _Fold:
    """What the conditions and the escalation need to know about the lead so far."""

    __slots__ = ("breached", "escalated", "interactions", "owner", "stage")

    def __init__(self) -> None:
        self.interactions: list[tuple[datetime, InteractionKind]] = []  # UTC instants
        self.stage = ""
        self.owner: Party | None = None
        self.escalated: list[Escalated] = []
        self.breached: list[SlaBreached] = []


_Record = tuple[int, _Clock, datetime | None, datetime | None, str]
"""A folded clock: policy index, the clock, when it was answered (as written and in UTC),
and by which event."""


Calendars = BusinessCalendar | PartyCalendars
"""One calendar for every clock, or each party's own."""


def _acting(event: Event, fold: _Fold) -> Party | None:
    """Who must answer a clock that names no partner: whom the event hands the lead to."""
    to: Party | None = getattr(event, "to_owner", None)
    return to if to is not None else fold.owner


def _fold(  # noqa: PLR0915  # one pass over the history, kept flat for speed
    history: Sequence[Event], book: _Book, calendars: Calendars
) -> tuple[list[_Record], _Fold]:
    single = calendars if isinstance(calendars, BusinessCalendar) else calendars.single
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
            at_utc = at if at.tzinfo is _UTC else at.astimezone(_UTC)
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
                            last_stop[(i, partner)] = at_utc
                        for key, clock in list(open_.items()):
                            if partner is not None and key is not None and partner != key:
                                continue
                            if end:
                                del open_[key]
                                records.append((i, clock, at, at_utc, handler.name))
                                if stop and entry.recurring:
                                    open_[key] = _Clock(
                                        at, at_utc, entry.allowed, key, clock.calendar
                                    )
                            elif clock.paused_at is None and _hit(entry.pauses, event):
                                due = clock.due_at(entry.business)
                                if at_utc < due:
                                    if entry.business:
                                        clock.remaining = clock.calendar._between_utc(at_utc, due)
                                    else:
                                        clock.remaining = due - at_utc
                                    clock.paused_at = at
                                    clock.due = None
                            elif clock.paused_at is not None and _hit(entry.resumes, event):
                                clock.paused_at = None
                                clock.since = at_utc
                elif entry.watch_stops and (_hit(entry.stops, event) or _hit(entry.ends, event)):
                    last_stop[(i, partner)] = at_utc
                if entry.start and (open_ is None or partner not in open_):
                    for check in entry.checks:
                        if not check(event, fold):
                            break
                    else:
                        if single is not None:
                            calendar = single
                        else:
                            assert isinstance(calendars, PartyCalendars)  # not single
                            if partner is not None:
                                calendar = calendars.for_partner(partner)
                            else:
                                calendar = calendars.for_party(_acting(event, fold))
                        started = event.submitted_at if handler.own_time else at  # type: ignore[union-attr]  # CallRequested
                        clock = _Clock(started, _utc(started), entry.allowed, partner, calendar)
                        if last_stop and last_stop.get((i, partner)) == at_utc:
                            # The answer was recorded at the same instant, just before.
                            records.append((i, clock, at, at_utc, handler.name))
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
                fold.interactions.append((_utc(touch.at), touch.kind))
            elif update == _CAPTURED:
                lead = typing.cast("LeadCaptured", event).lead
                fold.stage, fold.owner = lead.stage, lead.owner
                fold.interactions.extend((_utc(x.at), x.kind) for x in lead.interactions)
            elif update == _STAGE:
                fold.stage = event.to_stage  # type: ignore[union-attr]  # StageChanged
            elif update == _MERGED:
                fold.interactions.extend(
                    (_utc(x.at), x.kind) for x in typing.cast("Merged", event).interactions
                )
            elif update == _ESCALATED:
                fold.escalated.append(typing.cast("Escalated", event))
            else:
                fold.breached.append(typing.cast("SlaBreached", event))
    for i, open_ in enumerate(clocks):
        if open_:
            records.extend((i, clock, None, None, "") for clock in open_.values())
    return records, fold


# The validators would only re-check instants already checked. Fields are named in the
# order the call sites pass them, so reordering a class's fields cannot misplace a value.
_make_deadline = unchecked(
    Deadline,
    (
        "policy",
        "lead_id",
        "started_at",
        "due_at",
        "partner_id",
        "met_at",
        "stopped_by",
        "paused_at",
        "remaining",
        "calendar",
    ),
)
_make_escalation = unchecked(
    Escalation,
    (
        "policy",
        "started_at",
        "due_at",
        "step",
        "action",
        "fires_at",
        "target",
        "recipient",
        "partner_id",
    ),
)
_make_breach = unchecked(
    Breach, ("deadline", "now", "late", "open", "due_steps", "escalated", "recorded")
)


def _started(record: _Record) -> datetime:
    return record[1].start_utc


def _deadlines(history: Sequence[Event], book: _Book, calendars: Calendars) -> tuple[Deadline, ...]:
    records, _ = _fold(history, book, calendars)
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
            clock.public_due(business[i]),
            clock.partner,
            met_at,
            stopped_by,
            clock.paused_at,
            clock.remaining if clock.paused_at is not None else None,
            clock.calendar.name if business[i] else "",
        )
        for i, clock, met_at, _, stopped_by in records
    )


class _Recorded:
    """Which breaches and steps a history already records, per partner where it says.

    Clocks are known by their start as a UTC instant, however each event wrote it.
    """

    __slots__ = ("breached", "breached_any", "steps", "steps_by_target")

    def __init__(self, fold: _Fold) -> None:
        self.breached: set[tuple[str, datetime, str]] = set()
        self.breached_any: set[tuple[str, datetime]] = set()
        self.steps: set[tuple[str, datetime, int, str]] = set()
        self.steps_by_target: dict[tuple[str, datetime, int], set[str]] = {}
        for b in fold.breached:
            if b.partner_id is not None:
                self.breached.add((b.policy, _utc(b.started_at), b.partner_id))
            else:  # recorded before events named the partner: it counts for any
                self.breached_any.add((b.policy, _utc(b.started_at)))
        for e in fold.escalated:
            if e.partner_id is not None:
                self.steps.add((e.policy, _utc(e.started_at), e.step, e.partner_id))
            else:  # the old convention: `target` is the partner id on a partner clock
                self.steps_by_target.setdefault((e.policy, _utc(e.started_at), e.step), set()).add(
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
    calendars: Calendars,
    now: datetime,
) -> tuple[Breach, ...]:
    require_aware("now", now)
    records, fold = _fold(history, book, calendars)
    if not records:
        return ()
    business = book.business
    now_utc = now if now.tzinfo is _UTC else now.astimezone(_UTC)
    late: list[tuple[_Record, datetime, timedelta, bool]] = []
    for record in records:
        i, clock, _, met_utc, _ = record
        if clock.paused_at is not None or clock.start_utc > now_utc:
            continue
        if met_utc is not None and met_utc <= now_utc:
            at_utc, is_open = met_utc, False
        else:
            at_utc, is_open = now_utc, True
        if business[i] and at_utc - clock.since <= clock.remaining:
            continue  # business time never runs faster than real time
        due = clock.due_at(business[i])
        if at_utc > due:
            late.append((record, due, at_utc - due, is_open))
    if not late:
        return ()
    if len(late) > 1:
        late.sort(key=lambda item: item[0][1].start_utc)
    done = _Recorded(fold) if fold.escalated or fold.breached else None
    lead_id = history[0].lead_id
    names, all_steps = book.names, book.steps
    owner = fold.owner
    owner_name: str | None = None
    result = []
    for (i, clock, met_at, _, stopped_by), due, lateness, is_open in late:
        name = names[i]
        on_business = business[i]
        shown_due = clock.shown(due, on_business)
        partner_id = clock.partner
        started = clock.started
        calendar = clock.calendar
        deadline = _make_deadline(
            name,
            lead_id,
            started,
            shown_due,
            partner_id,
            met_at,
            stopped_by,
            None,
            None,
            calendar.name if on_business else "",
        )
        steps: list[Escalation] = []
        if is_open:
            for step in all_steps[i]:
                after = step.after
                if not after:
                    fires_at = shown_due  # a late open clock: `due` is before `now`
                else:
                    if due + after > now_utc:
                        break  # steps fire in order; business time never runs faster
                    if on_business:
                        fires_utc = calendar._add_utc(due, after)
                        if fires_utc > now_utc:
                            break
                        fires_at = fires_utc.astimezone(calendar.zone)
                    else:
                        fires_at = clock.shown(due + after, False)
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
