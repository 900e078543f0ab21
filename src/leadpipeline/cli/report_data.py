"""The figures of the manager's report, gathered once and rendered as text, JSON, CSV or HTML.

Why: each rendering reads the same gathered value, so the text a manager reads, the JSON a
dashboard loads and the page with charts never disagree. Every figure comes from the
stored histories alone; names and descriptions come from the playbook, so the report says
"Nordlicht Systems" and "Sales accepts or rejects ... within one working day", not ids.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from leadpipeline._typed import typed
from leadpipeline._words import duration_in_words, working_day_of
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.analytics import (
    ThresholdSweep,
    partner_scorecard,
    scored_outcomes,
    sla_attainment,
    threshold_sweep,
    waterfall,
)
from leadpipeline.analytics.attainment import SlaStats
from leadpipeline.analytics.funnel import Funnel
from leadpipeline.analytics.partners import PartnerStats
from leadpipeline.errors import StoreError
from leadpipeline.events import (
    Completed,
    Disqualified,
    Escalated,
    Event,
    HandedOver,
    Nurtured,
    Offered,
    Outcome,
    OwnerChanged,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
)
from leadpipeline.playbook import Playbook
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.hours import Weekday
from leadpipeline.rules.sla import SlaPolicy, TimeBasis
from leadpipeline.stages import STALE_RULE

__all__ = [
    "START",
    "Journey",
    "PartnerLine",
    "ReportData",
    "Simulation",
    "SlaLine",
    "gather",
    "to_csv",
    "to_json_data",
]

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
"""When the demo's clock starts, and so the instant a report of an empty store is as of."""

_log = logging.getLogger("leadpipeline.cli")


@attrs.frozen(kw_only=True, field_transformer=typed)
class Simulation:
    """What the demo simulated: its seed and how many leads (the period comes from the data)."""

    seed: int
    leads: int


@attrs.frozen(kw_only=True, field_transformer=typed)
class Journey:
    """Turns a lead's journey took; `offered_leads` and `offers` are told apart.

    One lead offered to three partners is one offered lead and three offers. A breach is
    one missed (or late) SLA deadline; each breach can take several escalation steps
    (remind the owner, alert the manager, take the lead back), so steps outnumber breaches.
    """

    rejected: int
    nurtured: int
    disqualified: int
    stale_recycled: int
    stale_dropped: int
    offered_leads: int
    offers: int
    returned: int
    returns_by_routing: tuple[tuple[str, int], ...]
    reclaimed: int
    rerouted: int
    breaches: int
    breached_leads: int
    escalation_steps: int
    completed: int
    won: int
    lost: int


@attrs.frozen(kw_only=True, field_transformer=typed)
class SlaLine:
    """One SLA policy's attainment, with the words the playbook gives it."""

    policy: str
    description: str
    allowed: str
    stats: SlaStats


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerLine:
    """One partner's scorecard, under the name the roster gives it."""

    name: str
    grade: str
    stats: PartnerStats


@attrs.frozen(kw_only=True, field_transformer=typed)
class ReportData:
    """Everything a report shows; `simulation` is set when the data came from the demo."""

    playbook: str
    leads: int
    first_capture: datetime | None
    last_capture: datetime | None
    as_of: datetime
    simulation: Simulation | None
    funnel: Funnel
    journey: Journey
    sla: tuple[SlaLine, ...]
    partners: tuple[PartnerLine, ...]
    return_reasons: tuple[tuple[str, int], ...]
    went_next: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    calendars: tuple[tuple[str, str, str], ...]
    rejection_reasons: tuple[tuple[str, int], ...]
    sweep: ThresholdSweep


def _histories(store: LeadStore) -> list[tuple[Event, ...]]:
    """Every readable history; one a damaged row makes unreadable is left out and logged."""
    found = []
    for lead in store.query():
        try:
            found.append(store.history(lead.id))
        except StoreError as exc:
            _log.warning("%s", exc, extra={"lead_id": lead.id})
    return found


def working_day(calendar: BusinessCalendar) -> timedelta:
    """One working day of `calendar`: its weekly hours over the days that have hours."""
    days = sum(1 for day in Weekday if calendar.hours.on(day))
    return working_day_of(calendar.week_total, days)


def allowed_in_words(policy: SlaPolicy, calendar: BusinessCalendar) -> str:
    """An SLA's allowed time for people: "1 working day", "5 min", "90 days"."""
    business = policy.basis is TimeBasis.BUSINESS
    return duration_in_words(
        policy.allowed, working_day=working_day(calendar) if business else None
    )


def _journey(histories: Sequence[Sequence[Event]]) -> Journey:
    count: Counter[str] = Counter()
    routings: Counter[str] = Counter()
    for history in histories:
        offered = breached = False
        for event in history:
            match event:
                case Rejected():
                    count["rejected"] += 1
                case Nurtured(rule=rule):
                    count["nurtured"] += 1
                    count["stale_recycled"] += rule == STALE_RULE
                case Disqualified(rule=rule):
                    count["disqualified"] += 1
                    count["stale_dropped"] += rule == STALE_RULE
                case Offered():
                    count["offers"] += 1
                    offered = True
                case Returned(routing=routing):
                    count["returned"] += 1
                    routings[routing or "-"] += 1
                    count["rerouted"] += routing == "next_partner"
                case Reclaimed(routing=routing):
                    count["reclaimed"] += 1
                    count["rerouted"] += routing == "next_partner"
                case SlaBreached():
                    count["breaches"] += 1
                    breached = True
                case Escalated():
                    count["escalation_steps"] += 1
                case Completed(outcome=outcome):
                    count["completed"] += 1
                    count["won" if outcome is Outcome.WON else "lost"] += 1
                case _:
                    pass
        count["offered_leads"] += offered
        count["breached_leads"] += breached
    counted = {
        f.name: count[f.name] for f in attrs.fields(Journey) if f.name != "returns_by_routing"
    }
    return Journey(**counted, returns_by_routing=tuple(sorted(routings.items())))


def went_next(history: Sequence[Event], index: int) -> str:
    """Where the lead returned at `history[index]` went: the partner offered it, or who holds it.

    The return and its routing are one decision, recorded at the same instant.
    """
    returned = history[index]
    holder = ""
    for event in history[index + 1 :]:
        if event.at != returned.at:
            break
        match event:
            case Offered(partner_id=pid):
                return pid
            case Disqualified():
                return "disqualified"
            case Nurtured():
                return "nurture"
            case OwnerChanged(to_owner=owner):
                holder = str(owner)
            case _:
                pass
    return holder or "-"


def _routes(
    histories: Sequence[Sequence[Event]], label: Callable[[str], str], name: Callable[[str], str]
) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    """Per return reason (by its label), where the leads returned with it went next."""
    went: dict[str, Counter[str]] = {}
    for history in histories:
        for i, event in enumerate(history):
            if isinstance(event, Returned):
                went.setdefault(label(event.reason), Counter())[name(went_next(history, i))] += 1
    ranked = sorted(went.items(), key=lambda rc: (-sum(rc[1].values()), rc[0]))
    return tuple((reason, tuple(sorted(to.items()))) for reason, to in ranked)


def _calendars(playbook: Playbook) -> tuple[tuple[str, str, str], ...]:
    """Which calendar each party's SLA clocks count in, where it is not the default.

    Each entry: the party, the calendar's name, and its zone with whose holidays it keeps.
    """
    own = [(f"partner/{p.id}", p.calendar) for p in playbook.partners if p.calendar]
    own += list(playbook.team_calendars)
    if not own:
        return ()
    default = playbook.calendar
    found = [("default", default.name or "-", default.time_zone)]
    named = {c.name: c for c in playbook.calendars}
    for party, name in own:
        cal = named[name]
        country = "/".join(x for x in (cal.country, cal.subdivision) if x)
        days = f"holidays of {country}" if country else f"{len(cal.holidays)} listed holidays"
        found.append((party, name, f"{cal.time_zone}, {days}"))
    return tuple(found)


def _handed_over_or_captured(history: Sequence[Event]) -> datetime:
    """The instant a lead's score decided its handover (or its capture, if never handed over)."""
    return next((e.at for e in history if isinstance(e, HandedOver)), history[0].at)


def gather(
    store: LeadStore,
    playbook: Playbook,
    *,
    now: datetime | None = None,
    simulation: Simulation | None = None,
) -> ReportData:
    """Read every history of `store` once and compute each figure of the report.

    `now` (default: the last recorded event) decides which SLA clocks count as still open.
    The threshold sweep scores each lead as its handover saw it, against how it ended.
    """
    histories = _histories(store)
    instants = [e.at for h in histories for e in h]
    at = max(instants, default=START) if now is None else now
    labels = {r.code: r.label for r in playbook.rejection_reasons}
    labels |= {r.code: r.label for r in playbook.return_policy.reasons}
    policies = {p.name: p for p in playbook.sla_policies}
    sla = tuple(
        SlaLine(
            policy=s.policy,
            description=policies[s.policy].description or s.policy,
            allowed=allowed_in_words(policies[s.policy], playbook.calendar),
            stats=s,
        )
        for s in sla_attainment(
            histories, playbook.sla_policies, playbook.party_calendars, now=at
        ).policies
    )
    partners = []
    for p in partner_scorecard(histories).partners:
        entry = playbook.partner(p.partner_id)
        name = entry.name if entry is not None and entry.name else p.partner_id
        partners.append(PartnerLine(name=name, grade=entry.grade if entry else "", stats=p))

    def reasons(kind: type[Returned] | type[Rejected]) -> tuple[tuple[str, int], ...]:
        found = Counter(
            labels.get(e.reason, e.reason) for h in histories for e in h if isinstance(e, kind)
        )
        return tuple(sorted(found.items(), key=lambda rc: (-rc[1], rc[0])))

    def partner_name(to: str) -> str:
        entry = playbook.partner(to)
        return entry.name if entry is not None and entry.name else to

    scored = scored_outcomes(histories, playbook.scoring, now=_handed_over_or_captured)
    return ReportData(
        playbook=playbook.name,
        leads=len(histories),
        first_capture=min((h[0].at for h in histories), default=None),
        last_capture=max((h[0].at for h in histories), default=None),
        as_of=at,
        simulation=simulation,
        funnel=waterfall(histories, stages=playbook.lifecycle.waterfall).total,
        journey=_journey(histories),
        sla=sla,
        partners=tuple(partners),
        return_reasons=reasons(Returned),
        calendars=_calendars(playbook),
        went_next=_routes(histories, lambda code: labels.get(code, code), partner_name),
        rejection_reasons=reasons(Rejected),
        sweep=threshold_sweep(scored),
    )


def _plain(value: Any) -> Any:
    """JSON-ready: instants as ISO 8601, durations in seconds, values as objects."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def to_json_data(data: ReportData) -> dict[str, Any]:
    """The report as plain JSON data (``report --json``); the sweep as its points."""
    out: dict[str, Any] = _plain(attrs.evolve(data, sweep=threshold_sweep([])))
    out["sweep"] = {
        "leads": data.sweep.leads,
        "wins": data.sweep.total_wins,
        "points": [_plain(p) for p in data.sweep],
    }
    out["return_reasons"] = [{"reason": r, "count": n} for r, n in data.return_reasons]
    out["went_next"] = [
        {"reason": r, "to": [{"to": to, "count": n} for to, n in went]}
        for r, went in data.went_next
    ]
    out["rejection_reasons"] = [{"reason": r, "count": n} for r, n in data.rejection_reasons]
    out["journey"]["returns_by_routing"] = [
        {"routing": r, "count": n} for r, n in data.journey.returns_by_routing
    ]
    return out


def _csv_rows(data: ReportData) -> list[tuple[str, str, str, object]]:
    rows: list[tuple[str, str, str, object]] = [
        ("summary", "", "leads", data.leads),
        ("summary", "", "as_of", data.as_of.isoformat()),
    ]
    if data.simulation is not None:
        rows += [
            ("simulation", "", "seed", data.simulation.seed),
            ("simulation", "", "leads", data.simulation.leads),
        ]
    rows += [("funnel", r.stage, "leads", r.leads) for r in data.funnel.reached]
    for field in attrs.fields(Journey):
        if field.name != "returns_by_routing":
            rows.append(("journey", "", field.name, getattr(data.journey, field.name)))
    for line in data.sla:
        for measure in ("on_time", "late", "open", "overdue", "attainment"):
            rows.append(("sla", line.description, measure, getattr(line.stats, measure)))
    for partner in data.partners:
        for measure in ("offers", "accepts", "returns", "reclaims", "completed", "wins"):
            rows.append(("partner", partner.name, measure, getattr(partner.stats, measure)))
    rows += [("return_reason", r, "count", n) for r, n in data.return_reasons]
    rows += [("went_next", r, to, n) for r, went in data.went_next for to, n in went]
    rows += [("rejection_reason", r, "count", n) for r, n in data.rejection_reasons]
    return rows


def to_csv(data: ReportData) -> str:
    """The report as one long CSV table: section, item, measure, value (``report --csv``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "item", "measure", "value"))
    for section, item, measure, value in _csv_rows(data):
        writer.writerow((section, item, measure, "" if value is None else value))
    return buffer.getvalue()
