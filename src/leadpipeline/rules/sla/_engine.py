"""SLA clocks read as results: deadlines and breaches, from one fold of a lead's history.

Result values are built only for what is returned, by unchecked constructors: every
instant in them was checked when its event or `now` was. The results shown keep the
zone the history (or the calendar) uses; every comparison is between real instants (see
`_fold`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from leadpipeline._checks import require_aware
from leadpipeline._unchecked import unchecked
from leadpipeline.events import Event
from leadpipeline.rules.sla._book import _Book
from leadpipeline.rules.sla._fold import Calendars, _Fold, _fold, _Record, _utc
from leadpipeline.rules.sla.results import Breach, Deadline, Escalation

_UTC = UTC


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
