"""What evaluating SLA policies over a history returns: deadlines, breaches, escalation steps.

Built by the evaluation alone, from instants already checked; a host reads them, and the
escalation `decide` turns them into events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from leadpipeline._checks import aware, require_aware
from leadpipeline._typed import typed
from leadpipeline._words import duration_in_words, working_day_of
from leadpipeline.errors import ValidationError
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.hours import Weekday
from leadpipeline.rules.sla.policy import EscalationAction

__all__ = ["Breach", "Deadline", "Escalation"]


@attrs.frozen(kw_only=True, field_transformer=typed)
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
    calendar: str = ""
    """The name of the calendar a business-time clock counts in (that of the party that
    must act); empty for a wall-clock policy."""

    @property
    def awaiting_response(self) -> bool:
        """No stop event has arrived yet."""
        return self.met_at is None

    @property
    def late(self) -> timedelta | None:
        """How late the response came (real elapsed time); None when on time or unanswered."""
        if self.met_at is None or self.due_at is None:
            return None
        # In UTC: within one zone Python compares wall-clock readings, and the two
        # showings of a repeated hour would look equal.
        late = self.met_at.astimezone(UTC) - self.due_at.astimezone(UTC)
        return late if late > timedelta(0) else None

    def explain(self, *, now: datetime, calendar: BusinessCalendar | None = None) -> str:
        """The clock in words as of `now`: "due in 3 h", "2 working days overdue".

        Give the `calendar` of a business-time policy to count working time (working
        hours, weekends and holidays left out); without it, time is counted on the clock.

        Example:
            >>> start = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
            >>> d = Deadline(policy="mql", lead_id="L-1", started_at=start,
            ...              due_at=start + timedelta(hours=8))
            >>> d.explain(now=start + timedelta(hours=5))
            'due in 3 h'
            >>> d.explain(now=start + timedelta(days=3))
            '2.7 days overdue'
        """
        require_aware("now", now)
        return _clock_in_words(self, now, calendar)


@attrs.frozen(kw_only=True, field_transformer=typed)
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


def _has_due(_: object, attribute: attrs.Attribute[Deadline], deadline: Deadline) -> None:
    if deadline.due_at is None:
        raise ValidationError.at(f"{attribute.name}.due_at", "a breach always has a due instant")


@attrs.frozen(kw_only=True, field_transformer=typed)
class Breach:
    """A deadline that passed without a response (or got one late), seen at `now`.

    `due_steps` are the escalation steps whose time has come (only while the breach is
    still open); `escalated` lists the step indexes already recorded in the history;
    `recorded` says whether an `SlaBreached` event is already there.
    """

    deadline: Deadline = attrs.field(validator=_has_due)
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

    def explain(self, *, calendar: BusinessCalendar | None = None) -> str:
        """The breach in words as of its `now`: "2 working days overdue", "answered 3 h late".

        Give the `calendar` of a business-time policy to count working time.
        """
        return _clock_in_words(self.deadline, self.now, calendar)

    @property
    def calendar(self) -> str:
        """The name of the calendar the breached clock counted in (empty: wall clock)."""
        return self.deadline.calendar

    @property
    def pending(self) -> tuple[Escalation, ...]:
        """Due steps not yet escalated."""
        if not self.escalated:
            return self.due_steps
        return tuple(s for s in self.due_steps if s.step not in self.escalated)


def _clock_in_words(deadline: Deadline, now: datetime, calendar: BusinessCalendar | None) -> str:
    """A deadline's state as of `now`, its durations counted on `calendar` if given."""
    working_day = None
    if calendar is not None:
        days = sum(1 for day in Weekday if calendar.hours.on(day))
        working_day = working_day_of(calendar.week_total, days)

    def span(start: datetime, end: datetime) -> str:
        elapsed = calendar.between(start, end) if calendar is not None else end - start
        return duration_in_words(elapsed, working_day=working_day)

    if deadline.due_at is None:  # paused
        left = duration_in_words(deadline.remaining or timedelta(0), working_day=working_day)
        return f"paused, {left} left"
    if deadline.met_at is not None:
        if deadline.met_at <= deadline.due_at:
            return "answered on time"
        return f"answered {span(deadline.due_at, deadline.met_at)} late"
    if now < deadline.due_at:
        return f"due in {span(now, deadline.due_at)}"
    return f"{span(deadline.due_at, now)} overdue"
