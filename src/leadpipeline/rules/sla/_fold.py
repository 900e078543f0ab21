"""One pass over a lead's history folding its SLA clocks, resumable where it left off.

Built for throughput. Clocks compute their due instant (in UTC, on the calendar's week
tables) only when an answer needs it. Every duration is real elapsed time and every
comparison is between real instants: an event's time is read in UTC once, as it enters
the pass (Python compares two datetimes of one zone by their wall-clock readings, and
adds a timedelta to the wall clock).

The pass over a history of n events can go on from an `SlaFold` of its first k events,
folding only the last n - k: a command on a lead with a long history folds its own
events only. The fold a pass starts from is copied first, never changed; the copy of its
lists of touches and answered clocks still grows with the history, at a list copy's
cost.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

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

__all__ = ["SlaFold"]

_UTC = UTC
_ZERO = timedelta(0)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is _UTC else at.astimezone(_UTC)


class _Clock:
    """A running clock while folding one history; never leaves the SLA package.

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

    def copy(self) -> _Clock:
        """A clock in the same state, to go on folding without changing this one."""
        twin = _Clock.__new__(_Clock)
        for name in _Clock.__slots__:
            setattr(twin, name, getattr(self, name))
        return twin

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

    def copy(self) -> _Fold:
        twin = _Fold()
        twin.interactions = self.interactions.copy()
        twin.stage, twin.owner = self.stage, self.owner
        twin.escalated = self.escalated.copy()
        twin.breached = self.breached.copy()
        return twin


_Record = tuple[int, _Clock, datetime | None, datetime | None, str]
"""A folded clock: policy index, the clock, when it was answered (as written and in UTC),
and by which event."""


Calendars = BusinessCalendar | PartyCalendars
"""One calendar for every clock, or each party's own."""


def _acting(event: Event, fold: _Fold) -> Party | None:
    """Who must answer a clock that names no partner: whom the event hands the lead to."""
    to: Party | None = getattr(event, "to_owner", None)
    return to if to is not None else fold.owner


class SlaFold:
    """Where a lead's SLA clocks stand after its first events: a memo to go on from.

    Why: a lead's next deadline folds its whole history, so a command on a lead with a
    thousand touches would fold a thousand events to add one. `transition` returns the
    fold of the history it leaves (`Transition.sla_fold`); handed back with that history
    (``transition(..., history=..., sla_fold=...)``), only the new events are folded.

    Opaque and never part of an answer: it is used only where it continues the history
    it comes with (at most as many events, the very event object it last folded at that
    place, the same compiled policies and equal calendars); a fold of another history,
    or of the same history read again from a store, is not used, and the history is
    folded from its start. It does not travel: a pickled or copied fold becomes None.
    """

    __slots__ = (
        "_book",
        "_calendars",
        "_clocks",
        "_count",
        "_fold",
        "_last",
        "_last_stop",
        "_records",
    )

    def __init__(self, book: _Book, calendars: Calendars) -> None:
        self._book = book
        self._calendars = calendars
        self._count = 0
        self._last: Event | None = None
        self._clocks: list[dict[str | None, _Clock] | None] = [None] * book.size
        self._records: list[_Record] = []  # clocks answered so far, in the order answered
        self._last_stop: dict[tuple[int, str | None], datetime] = {}
        self._fold = _Fold()

    def __repr__(self) -> str:
        return f"<SlaFold of {self._count} events>"

    def __reduce__(self) -> tuple[type[None], tuple[()]]:
        # A memo of objects in this process: identity is how it knows its history.
        return type(None), ()

    def _continues(self, history: Sequence[Event], book: _Book, calendars: Calendars) -> bool:
        """Whether this fold is of the first events of `history`, under the same policies."""
        count = self._count
        return (
            0 < count <= len(history)
            and history[count - 1] is self._last
            and self._book is book
            and (self._calendars is calendars or self._calendars == calendars)
        )

    def _copy(self) -> SlaFold:
        twin = SlaFold.__new__(SlaFold)
        twin._book, twin._calendars = self._book, self._calendars
        twin._count, twin._last = self._count, self._last
        twin._clocks = [
            {key: clock.copy() for key, clock in open_.items()} if open_ is not None else None
            for open_ in self._clocks
        ]
        twin._records = self._records.copy()  # answered clocks never change again
        twin._last_stop = self._last_stop.copy()
        twin._fold = self._fold.copy()
        return twin

    def _every_record(self) -> list[_Record]:
        """Every clock: answered ones in the order answered, then the open ones."""
        records = self._records.copy()
        for i, open_ in enumerate(self._clocks):
            if open_:
                records.extend((i, clock, None, None, "") for clock in open_.values())
        return records

    def running_due(self) -> list[datetime]:
        """When each open, running clock falls due, as `deadlines` shows and orders them."""
        opened = [
            (i, clock) for i, open_ in enumerate(self._clocks) if open_ for clock in open_.values()
        ]
        if len(opened) > 1:
            opened.sort(key=_open_start)  # stable, as `deadlines` sorts every clock
        business = self._book.business
        return [
            clock.shown(clock.due_at(business[i]), business[i])
            for i, clock in opened
            if clock.paused_at is None
        ]


def _open_start(item: tuple[int, _Clock]) -> datetime:
    return item[1].start_utc


def fold_history(
    history: Sequence[Event], book: _Book, calendars: Calendars, start: SlaFold | None = None
) -> SlaFold:
    """The fold of `history`, going on from `start` where it continues it."""
    if start is not None and start._continues(history, book, calendars):
        state = start._copy()
        events = history[start._count :]
    else:
        state = SlaFold(book, calendars)
        events = history
    if events:
        _fold_events(events, state)
        state._count = len(history)
        state._last = history[-1]
    return state


def _fold(
    history: Sequence[Event], book: _Book, calendars: Calendars
) -> tuple[list[_Record], _Fold]:
    """Every clock of `history` (see `SlaFold._every_record`) and what the pass knows."""
    state = fold_history(history, book, calendars)
    return state._every_record(), state._fold


def _fold_events(history: Sequence[Event], state: SlaFold) -> None:  # noqa: PLR0915  # one pass, kept flat for speed
    """Fold `history` onto `state`, in place."""
    book, calendars = state._book, state._calendars
    single = calendars if isinstance(calendars, BusinessCalendar) else calendars.single
    handlers = book.handlers
    fold = state._fold
    clocks = state._clocks
    records = state._records
    last_stop = state._last_stop
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
