"""Reading SLA policies over a lead's history: every deadline, the breaches, what to escalate.

Everything here is a pure function of the history, the policies, the calendar and an
explicit `now`. Escalation is idempotent: a step already recorded as an `Escalated`
event is never due again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from leadpipeline.errors import ValidationError
from leadpipeline.events import Event
from leadpipeline.rules.sla._engine import _breaches, _deadlines
from leadpipeline.rules.sla._fold import Calendars, SlaFold, fold_history
from leadpipeline.rules.sla.compiled import CompiledPolicies, _book
from leadpipeline.rules.sla.policy import SlaPolicy
from leadpipeline.rules.sla.results import Breach, Deadline, Escalation

__all__ = ["breaches", "deadlines", "escalation_due", "fold_clocks"]


def deadlines(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy] | CompiledPolicies,
    calendar: Calendars,
) -> tuple[Deadline, ...]:
    """Every SLA clock in a lead's history, in the order the clocks started.

    Why: one place answers "what was promised, by when, and was it kept?" for the shell,
    for analytics (SLA attainment) and for escalation.

    `calendar` is one `BusinessCalendar` for every clock, or `PartyCalendars`: then each
    business-time clock counts in the calendar of the party that must act (the partner a
    clock waits on; otherwise the party the starting event hands the lead to, or the
    owner), and each deadline names it.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import HandedOver, Accepted
        >>> from leadpipeline.lead import Party
        >>> from leadpipeline.rules.calendar import STANDARD_CALENDAR
        >>> from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES
        >>> at = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)  # Friday 16:00 in Berlin
        >>> history = (
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ... )
        >>> (d,) = deadlines(history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR)
        >>> d.policy, d.due_at.isoformat(), d.awaiting_response
        ('mql_handover_response', '2026-03-09T16:00:00+01:00', True)
    """
    return _deadlines(history, _book(policies), calendar)


def fold_clocks(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy] | CompiledPolicies,
    calendar: Calendars,
    *,
    since: SlaFold | None = None,
) -> SlaFold:
    """Every SLA clock of `history` folded, going on from `since` where it continues it.

    Why: the deadline a store indexes a lead by is worked out on every command; folding
    only the events since the last command keeps that cost flat as a history grows. The
    result's `running_due()` lists when each open, running clock falls due, as
    `deadlines` would show them; `since` never changes the answer (see `SlaFold`).

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import Accepted, HandedOver
        >>> from leadpipeline.lead import Party
        >>> from leadpipeline.rules.calendar import STANDARD_CALENDAR
        >>> from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES
        >>> at = datetime(2026, 3, 6, 15, 0, tzinfo=timezone.utc)  # Friday 16:00 in Berlin
        >>> handed = (
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ... )
        >>> fold = fold_clocks(handed, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR)
        >>> [due.isoformat() for due in fold.running_due()]
        ['2026-03-09T16:00:00+01:00']
        >>> accepted = (*handed, Accepted(lead_id="L-1", at=at, actor=Party.sales()))
        >>> fold_clocks(accepted, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, since=fold).running_due()
        []
    """
    if since is not None and not isinstance(since, SlaFold):
        raise ValidationError.at("since", f"expected an SlaFold, got {type(since).__name__}")
    return fold_history(history, _book(policies), calendar, since)


def breaches(
    history: Sequence[Event],
    policies: Iterable[SlaPolicy] | CompiledPolicies,
    calendar: Calendars,
    *,
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
        >>> from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES
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
    calendar: Calendars,
    *,
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
        >>> from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES
        >>> at = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
        >>> history = (
        ...     HandedOver(lead_id="L-1", at=at, actor=Party.marketing(), to_owner=Party.sales()),
        ... )
        >>> now = at + timedelta(hours=9)
        >>> policies, calendar = DEFAULT_SLA_POLICIES, STANDARD_CALENDAR
        >>> ((breach, step),) = escalation_due(history, policies, calendar, now=now)
        >>> done = Escalated(lead_id="L-1", at=now, actor=Party.marketing(), policy=step.policy,
        ...                  started_at=step.started_at, step=step.step,
        ...                  action=step.action.value, target=step.target)
        >>> escalation_due((*history, done), policies, calendar, now=now)
        ()
    """
    return tuple(
        (breach, step)
        for breach in _breaches(history, _book(policies), calendar, now)
        for step in breach.pending
    )
