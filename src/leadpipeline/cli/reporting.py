"""The report an operations lead reads: waterfall, journey, SLAs, partners and reasons.

Every figure comes from the stored histories alone, and every stage is named by the
playbook's lifecycle, so a lifecycle with renamed stages reports under its own names.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

from leadpipeline.adapters.ports import LeadStore
from leadpipeline.analytics import partner_scorecard, sla_attainment, waterfall
from leadpipeline.errors import StoreError
from leadpipeline.events import (
    Completed,
    Disqualified,
    Escalated,
    Event,
    Nurtured,
    Offered,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
)
from leadpipeline.playbook import Playbook

__all__ = ["START", "report"]

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
"""When the demo's clock starts, and so the instant a report of an empty store is as of."""


_log = logging.getLogger("leadpipeline.cli")


def _histories(store: LeadStore) -> list[tuple[Event, ...]]:
    """Every readable history; one a damaged row makes unreadable is left out and logged."""
    found = []
    for lead in store.query():
        try:
            found.append(store.history(lead.id))
        except StoreError as exc:
            _log.warning("%s", exc, extra={"lead_id": lead.id})
    return found


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _journey_lines(histories: Sequence[Sequence[Event]]) -> list[str]:
    """Counts of the turns a lead's journey can take, for the report's 'journey' section."""
    count: Counter[str] = Counter()
    returns_by_routing: Counter[str] = Counter()
    for history in histories:
        for event in history:
            match event:
                case Rejected():
                    count["rejected"] += 1
                case Nurtured():
                    count["nurtured"] += 1
                case Disqualified():
                    count["disqualified"] += 1
                case Offered():
                    count["offers"] += 1
                case Returned(routing=routing):
                    count["returned"] += 1
                    returns_by_routing[routing or "-"] += 1
                    count["rerouted"] += routing == "next_partner"
                case Reclaimed(routing=routing):
                    count["reclaimed"] += 1
                    count["rerouted"] += routing == "next_partner"
                case SlaBreached():
                    count["breaches"] += 1
                case Escalated():
                    count["escalations"] += 1
                case Completed(outcome=outcome):
                    count["completed"] += 1
                    count[outcome.value] += 1
                case _:
                    pass
    routings = ", ".join(f"{r} {c}" for r, c in sorted(returns_by_routing.items())) or "-"
    return [
        "journey",
        f"  rejected by sales        {count['rejected']:>5}",
        f"  nurtured                 {count['nurtured']:>5}",
        f"  disqualified             {count['disqualified']:>5}",
        f"  offers to partners       {count['offers']:>5}",
        f"  returned by partners     {count['returned']:>5}  ({routings})",
        f"  reclaimed from partners  {count['reclaimed']:>5}",
        f"  re-routed to a partner   {count['rerouted']:>5}",
        f"  SLA breaches             {count['breaches']:>5}",
        f"  escalation steps         {count['escalations']:>5}",
        f"  completed                {count['completed']:>5}  "
        f"(won {count['won']}, lost {count['lost']})",
    ]


def _as_of(histories: Sequence[Sequence[Event]]) -> datetime:
    """The instant of the last recorded event: a report of a store is a function of it."""
    return max((e.at for h in histories for e in h), default=START)


def report(store: LeadStore, playbook: Playbook, *, now: datetime | None = None) -> str:
    """The waterfall, journey, SLA attainment, partner scorecard and reasons of a store.

    Why: the figures an operations lead reads, from nothing but the stored histories, so
    the same store always prints the same report. `now` (default: the last recorded
    event) decides which SLA clocks count as still open. The waterfall follows the
    playbook's lifecycle, under the names it gives its stages.

    Example:
        >>> from leadpipeline.adapters.memory import MemoryStore
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> print(report(MemoryStore(), DEFAULT_PLAYBOOK).splitlines()[0])
        leads: 0 (as of 2026-01-05T08:00:00+00:00)
    """
    histories = _histories(store)
    at = _as_of(histories) if now is None else now
    lines = [f"leads: {len(histories)} (as of {at.isoformat()})", "", "waterfall"]
    funnel = waterfall(histories, stages=playbook.lifecycle.waterfall).total
    for step in funnel.conversions:
        lines.append(
            f"  {step.from_stage:>12} -> {step.to_stage:<12} "
            f"{step.from_leads:>5} -> {step.to_leads:<5} {_pct(step.rate):>5}"
        )
    lines += ["", *_journey_lines(histories)]
    lines += ["", "SLA attainment"]
    attained = sla_attainment(histories, playbook.sla_policies, playbook.party_calendars, now=at)
    for sla in attained.policies:
        lines.append(
            f"  {sla.policy:<28} on time {sla.on_time:>4}  late {sla.late:>4}  "
            f"open {sla.open:>4}  overdue {sla.overdue:>4}  {_pct(sla.attainment):>5}"
        )
    lines += ["", "partner scorecard"]
    partners = partner_scorecard(histories).partners
    for p in partners:
        lines.append(
            f"  {p.partner_id:<6} offers {p.offers:>4}  accepted {p.accepts:>4} "
            f"({_pct(p.acceptance_rate):>4})  returns {p.returns:>3}  "
            f"reclaimed {p.reclaims:>3}  completed {p.completed:>3}  "
            f"won {p.wins:>3} ({_pct(p.win_rate)})"
        )
    if not partners:
        lines.append("  none")
    lines += _calendar_lines(playbook)
    for title, kind in (("return reasons", Returned), ("rejection reasons", Rejected)):
        reasons = Counter(e.reason for h in histories for e in h if isinstance(e, kind))
        lines += ["", title]
        ranked = sorted(reasons.items(), key=lambda rc: (-rc[1], rc[0]))
        lines += [f"  {reason:<24} {n:>5}" for reason, n in ranked] or ["  none"]
    return "\n".join(lines)


def _calendar_lines(playbook: Playbook) -> list[str]:
    """Which calendar each party's SLA clocks count in, where it is not the default."""
    own = [(f"partner/{p.id}", p.calendar) for p in playbook.partners if p.calendar]
    own += list(playbook.team_calendars)
    if not own:
        return []
    lines = ["", "calendars (SLA clocks count in the calendar of the party that must act)"]
    default = playbook.calendar
    lines.append(f"  {'default':<18} {default.name or '-':<10} {default.time_zone}")
    named = {c.name: c for c in playbook.calendars}
    for party, name in own:
        cal = named[name]
        where = "/".join(x for x in (cal.country, cal.subdivision) if x) or "-"
        lines.append(f"  {party:<18} {name:<10} {cal.time_zone}, holidays of {where}")
    return lines
