"""The manager's report as plain text: what was simulated, the funnel, the journey, SLAs.

Why: the text speaks to a sales manager: what the data is and the period it covers,
policies by their description with the time they allow, partners by name, leads and
offers told apart, and a word on why escalation steps outnumber breaches.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadpipeline._words import duration_in_words
from leadpipeline.cli.report_data import ReportData

__all__ = ["RETURNS", "render_text"]

RETURNS = "return reasons (and where each lead went next)"


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(start: datetime, end: datetime) -> str:
    days = (end - start) / timedelta(days=1)
    weeks = days / 7
    return f"{weeks:.1f} weeks" if weeks >= 2 else duration_in_words(end - start)


def _header(data: ReportData) -> list[str]:
    lines = []
    if data.simulation is not None:
        lines += [
            "SIMULATED DATA: the demo's seeded simulation, not real leads",
            f"  seed {data.simulation.seed}, {data.simulation.leads} leads;"
            " the same seed always gives this report",
        ]
    if data.first_capture is not None and data.last_capture is not None:
        lines += [
            f"  captured {_when(data.first_capture)} to {_when(data.last_capture)}"
            f" ({_span(data.first_capture, data.last_capture)}), followed until"
            f" {_when(data.as_of)} ({_span(data.first_capture, data.as_of)} in all)",
        ]
    head = f"leads: {data.leads} (as of {data.as_of.isoformat()}, playbook {data.playbook!r})"
    if data.simulation is not None:
        return [*lines, head]
    return [head, *lines]


def _journey(data: ReportData) -> list[str]:
    j = data.journey
    routings = ", ".join(f"{r} {c}" for r, c in j.returns_by_routing) or "-"
    return [
        "journey (how often each turn happened; a lead can take a turn more than once)",
        f"  rejected by sales        {j.rejected:>5}",
        f"  nurtured                 {j.nurtured:>5}",
        f"  disqualified             {j.disqualified:>5}",
        f"  recycled as stale        {j.stale_recycled:>5}  (no progress, low score: to nurture)",
        f"  dropped as stale         {j.stale_dropped:>5}  (still stale after a recycle)",
        f"  offered to partners      {j.offered_leads:>5} leads, in {j.offers} offers"
        " (one offer per partner asked)",
        f"  returned by partners     {j.returned:>5}  ({routings})",
        f"  reclaimed from partners  {j.reclaimed:>5}",
        f"  re-routed to a partner   {j.rerouted:>5}",
        f"  SLA breaches             {j.breaches:>5}  missed deadlines,"
        f" on {j.breached_leads} leads",
        f"  escalation steps         {j.escalation_steps:>5}  reminders, alerts, take-backs"
        " (a breach can take several)",
        f"  completed                {j.completed:>5}  (won {j.won}, lost {j.lost})",
    ]


def _sla(data: ReportData) -> list[str]:
    lines = ["SLA attainment (share of answered deadlines met on time)"]
    for line in data.sla:
        s = line.stats
        lines += [
            f"  {line.description}",
            f"    on time {s.on_time:>4}  late {s.late:>4}  open {s.open:>4}"
            f"  overdue {s.overdue:>4}  {_pct(s.attainment):>5}",
        ]
    return lines


def _partners(data: ReportData) -> list[str]:
    lines = ["partner scorecard"]
    for line in data.partners:
        p = line.stats
        grade = f" ({line.grade})" if line.grade else ""
        lines += [
            f"  {line.name}{grade}",
            f"    offers {p.offers:>4}  accepted {p.accepts:>4} ({_pct(p.acceptance_rate):>4})"
            f"  returns {p.returns:>3}  reclaimed {p.reclaims:>3}  completed {p.completed:>3}"
            f"  won {p.wins:>3} ({_pct(p.win_rate)})",
        ]
    return lines if data.partners else [*lines, "  none"]


def render_text(data: ReportData) -> str:
    """The report as text, one section after another."""
    lines = [*_header(data), "", "waterfall (leads reaching each stage)"]
    for step in data.funnel.conversions:
        lines.append(
            f"  {step.from_stage:>12} -> {step.to_stage:<12} "
            f"{step.from_leads:>5} -> {step.to_leads:<5} {_pct(step.rate):>5}"
        )
    lines += ["", *_journey(data), "", *_sla(data), "", *_partners(data)]
    if data.calendars:
        lines += ["", "calendars (SLA clocks count in the calendar of the party that must act)"]
        lines += [f"  {party:<18} {name:<10} {where}" for party, name, where in data.calendars]
    lines += ["", RETURNS]
    went = dict(data.went_next)
    for reason, n in data.return_reasons:
        nexts = ", ".join(f"{to} {k}" for to, k in went.get(reason, ()))
        lines.append(f"  {reason:<30} {n:>5}  -> {nexts}")
    if not data.return_reasons:
        lines.append("  none")
    lines += ["", "rejection reasons"]
    lines += [f"  {reason:<30} {n:>5}" for reason, n in data.rejection_reasons] or ["  none"]
    return "\n".join(lines)
