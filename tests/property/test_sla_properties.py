"""The fast SLA evaluation agrees with a plain, policy-by-policy reading of the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline.events import (
    Accepted,
    CallRequested,
    Completed,
    Disqualified,
    Escalated,
    Event,
    HandedOver,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    NoteAdded,
    Nurtured,
    Offered,
    OfferWithdrawn,
    Outcome,
    OwnerChanged,
    PartnerAccepted,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
    StageChanged,
)
from leadpipeline.lead import Interaction, InteractionKind, Lead, Party, PartyKind, Source
from leadpipeline.rules.calendar import STANDARD_CALENDAR, BusinessCalendar, Weekday
from leadpipeline.rules.sla import (
    DEFAULT_SLA_POLICIES,
    AssignedTo,
    Breach,
    CompiledPolicies,
    Condition,
    Deadline,
    Escalation,
    EscalationAction,
    EscalationStep,
    EventMatch,
    HotLead,
    InStage,
    InteractionIs,
    PartyCalendars,
    SlaPolicy,
    TimeBasis,
    breaches,
    deadlines,
)
from tests.strategies import DST_ZONES, clock_changes, rewritten_in

LEAD = "L-9"
ZONES = (UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"))
PARTNERS = ("p-1", "p-2")
ACTORS = (
    Party.marketing(),
    Party.sales(team="inside-sales"),
    Party.partner("p-1"),
    Party.partner("p-2"),
)
KINDS = (
    InteractionKind.SITE_VISIT,
    InteractionKind.FORM_SUBMIT,
    InteractionKind.CALL,
    InteractionKind.EMAIL_REPLY,
)
GAPS = tuple(
    timedelta(minutes=m) for m in (0, 0, 1, 4, 6, 60, 7 * 60, 24 * 60, 3 * 24 * 60, 12 * 24 * 60)
)

WAITING = SlaPolicy(
    name="waiting_on_customer",
    starts_on="HandedOver",
    stops_on=(EventMatch(event="Accepted"),),
    ends_on=(EventMatch(event="Disqualified"),),
    pauses_on=(EventMatch(event="NoteAdded", actor=PartyKind.SALES),),
    resumes_on=(
        EventMatch(event="InteractionRecorded", kinds=frozenset({InteractionKind.EMAIL_REPLY})),
    ),
    allowed=timedelta(hours=8),
    escalation=(
        EscalationStep(action=EscalationAction.NOTIFY_OWNER),
        EscalationStep(action=EscalationAction.REASSIGN, after=timedelta(hours=3), target="desk"),
    ),
)
WAITING_WALL = SlaPolicy(
    name="waiting_wall_clock",
    starts_on="Offered",
    stops_on=(EventMatch(event="PartnerAccepted"),),
    pauses_on=(EventMatch(event="NoteAdded", actor=PartyKind.PARTNER),),
    resumes_on=(EventMatch(event="InteractionRecorded", actor=PartyKind.PARTNER),),
    allowed=timedelta(days=2),
    basis=TimeBasis.WALL_CLOCK,
    recurring=True,
    escalation=(
        EscalationStep(action=EscalationAction.NOTIFY_OWNER),
        EscalationStep(action=EscalationAction.RECLAIM_FROM_PARTNER, after=timedelta(days=1)),
    ),
)
IN_SQL = SlaPolicy(
    name="sql_touch",
    starts_on="InteractionRecorded",
    conditions=(InStage(stages=frozenset({"sql"})),),
    stops_on=(EventMatch(event="InteractionRecorded", actor=PartyKind.SALES),),
    allowed=timedelta(hours=4),
    escalation=(EscalationStep(action=EscalationAction.RETURN_TO_MARKETING),),
)
POLICIES = (*DEFAULT_SLA_POLICIES, WAITING, WAITING_WALL, IN_SQL)
CALENDARS = (
    STANDARD_CALENDAR,
    BusinessCalendar.weekly(
        hours=(("08:00", "12:00"), ("13:00", "18:00")), time_zone="America/New_York"
    ),
    BusinessCalendar.weekly(days=tuple(Weekday), hours=(("00:00", "24:00"),)),
)


# --- the reference: each policy on its own, every event checked with EventMatch.matches ---
# Durations are real elapsed time and instants are compared as real instants (in UTC):
# within one zone Python compares and adds on the wall clock, which a clock change skews.


def _u(at: datetime) -> datetime:
    return at.astimezone(UTC)


def _partner_of(event: Event) -> str | None:
    if isinstance(event, Offered | OfferWithdrawn | PartnerAccepted | Returned | Reclaimed):
        return event.partner_id
    if isinstance(event, OwnerChanged):
        return event.to_owner.partner_id
    return event.actor.partner_id


def _holds(
    cond: Condition, event: Event, stage: str, touches: list[tuple[datetime, InteractionKind]]
) -> bool:
    if isinstance(cond, InteractionIs):
        return isinstance(event, InteractionRecorded) and event.interaction.kind in cond.kinds
    if isinstance(cond, InStage):
        return stage in cond.stages
    if isinstance(cond, AssignedTo):
        return isinstance(event, OwnerChanged) and event.to_owner.kind is cond.kind
    assert isinstance(cond, HotLead)
    since = _u(event.at) - cond.window
    count = sum(
        1
        for at, kind in touches
        if since <= _u(at) <= _u(event.at) and (not cond.kinds or kind in cond.kinds)
    )
    return count >= cond.min_interactions


class _RefClock:
    def __init__(self, at: datetime, allowed: timedelta, partner: str | None) -> None:
        self.started = at
        self.since = at
        self.remaining = allowed
        self.partner = partner
        self.paused_at: datetime | None = None


def _due(policy: SlaPolicy, clock: _RefClock, cal: BusinessCalendar) -> datetime:
    if policy.basis is TimeBasis.BUSINESS:
        return cal.add(clock.since, clock.remaining)
    return (_u(clock.since) + clock.remaining).astimezone(clock.started.tzinfo)


_RefRecord = tuple[tuple[object, ...], int, _RefClock, datetime | None, str]


def _reference_clocks(
    history: tuple[Event, ...], cal: BusinessCalendar
) -> list[tuple[int, _RefClock, datetime | None, str]]:
    """Every clock, ordered by start; ties in the order the clocks closed, open ones last."""
    found: list[_RefRecord] = []
    for index, policy in enumerate(POLICIES):
        open_: dict[str | None, _RefClock] = {}
        last_stop: dict[str | None, datetime] = {}
        stage = ""
        touches: list[tuple[datetime, InteractionKind]] = []
        for n, event in enumerate(history):
            name, at, partner = type(event).__name__, event.at, _partner_of(event)
            stop = any(m.matches(event) for m in policy.stops_on)
            end = stop or any(m.matches(event) for m in policy.ends_on)
            if end and not policy.recurring:
                last_stop[partner] = _u(at)
            for key, clock in list(open_.items()):
                if partner is not None and key is not None and partner != key:
                    continue
                if end:
                    del open_[key]
                    found.append(((at := event.at, n, index, len(found)), index, clock, at, name))
                    if stop and policy.recurring:
                        open_[key] = _RefClock(at, policy.allowed, key)
                elif clock.paused_at is None and any(m.matches(event) for m in policy.pauses_on):
                    due = _due(policy, clock, cal)
                    if _u(at) < _u(due):
                        business = policy.basis is TimeBasis.BUSINESS
                        clock.remaining = cal.between(at, due) if business else _u(due) - _u(at)
                        clock.paused_at = at
                elif clock.paused_at is not None and any(
                    m.matches(event) for m in policy.resumes_on
                ):
                    clock.paused_at, clock.since = None, at
            if (
                name == policy.starts_on
                and partner not in open_
                and all(_holds(c, event, stage, touches) for c in policy.conditions)
            ):
                # a call request counts from the submit's own time
                started = event.submitted_at if isinstance(event, CallRequested) else at
                clock = _RefClock(started, policy.allowed, partner)
                if last_stop.get(partner) == _u(at):
                    found.append(((at, n, index, len(found)), index, clock, at, name))
                else:
                    open_[partner] = clock
            if isinstance(event, LeadCaptured):
                stage = event.lead.stage
                touches += [(x.at, x.kind) for x in event.lead.interactions]
            elif isinstance(event, StageChanged):
                stage = event.to_stage
            elif isinstance(event, InteractionRecorded):
                touches.append((event.interaction.at, event.interaction.kind))
            elif isinstance(event, Merged):
                touches += [(x.at, x.kind) for x in event.interactions]
        for clock in open_.values():
            found.append(((None, len(history), index, len(found)), index, clock, None, ""))
    # Closing order first (event, then policy), open clocks after; then a stable sort by start.
    found.sort(key=lambda r: r[0][1:])
    found.sort(key=lambda r: _u(r[2].started))
    return [(index, clock, met_at, by) for _, index, clock, met_at, by in found]


def _calendar_name(policy: SlaPolicy, cal: BusinessCalendar) -> str:
    """A business-time clock names the calendar it counts in; a wall-clock one none."""
    return cal.name if policy.basis is TimeBasis.BUSINESS else ""


def reference_deadlines(history: tuple[Event, ...], cal: BusinessCalendar) -> tuple[Deadline, ...]:
    return tuple(
        Deadline(
            policy=POLICIES[index].name,
            lead_id=LEAD,
            started_at=clock.started,
            due_at=None if clock.paused_at else _due(POLICIES[index], clock, cal),
            partner_id=clock.partner,
            met_at=met_at,
            stopped_by=by,
            paused_at=clock.paused_at,
            remaining=clock.remaining if clock.paused_at else None,
            calendar=_calendar_name(POLICIES[index], cal),
        )
        for index, clock, met_at, by in _reference_clocks(history, cal)
    )


def _recipient(step: EscalationStep, partner_id: str | None, owner: Party | None) -> str:
    if step.target:
        return step.target
    if step.action is EscalationAction.RECLAIM_FROM_PARTNER:
        return partner_id or (owner.partner_id or "" if owner else "")
    if step.action is EscalationAction.RETURN_TO_MARKETING:
        return "marketing"
    if step.action is EscalationAction.NOTIFY_MANAGER:
        return "manager"
    if step.action is EscalationAction.REASSIGN:
        return ""
    if partner_id is not None:
        return f"partner/{partner_id}"
    return str(owner) if owner is not None else ""


def _step_recorded(
    history: tuple[Event, ...], policy: str, started: datetime, n: int, partner: str | None
) -> bool:
    for e in history:
        if not (
            isinstance(e, Escalated)
            and (e.policy, _u(e.started_at), e.step) == (policy, _u(started), n)
        ):
            continue
        if e.partner_id is not None:
            if e.partner_id == partner:
                return True
        elif partner is None or e.target == partner:
            return True
    return False


def _breach_recorded(
    history: tuple[Event, ...], policy: str, started: datetime, partner: str | None
) -> bool:
    return any(
        isinstance(e, SlaBreached)
        and (e.policy, _u(e.started_at)) == (policy, _u(started))
        and (e.partner_id is None or e.partner_id == partner)
        for e in history
    )


def reference_breaches(
    history: tuple[Event, ...], cal: BusinessCalendar, now: datetime
) -> tuple[Breach, ...]:
    owner: Party | None = None
    for event in history:
        if isinstance(event, LeadCaptured):
            owner = event.lead.owner
        elif isinstance(event, OwnerChanged):
            owner = event.to_owner
    found = []
    for index, clock, met_at, by in _reference_clocks(history, cal):
        policy = POLICIES[index]
        if clock.paused_at is not None or _u(clock.started) > _u(now):
            continue
        answered = met_at is not None and _u(met_at) <= _u(now)
        at = met_at if answered and met_at is not None else now
        due = _due(policy, clock, cal)
        if _u(at) <= _u(due):
            continue
        steps = []
        for n, step in enumerate(policy.escalation if not answered else ()):
            if policy.basis is TimeBasis.BUSINESS:
                fires_at = cal.add(due, step.after)
            else:
                fires_at = (_u(due) + step.after).astimezone(clock.started.tzinfo)
            if _u(fires_at) > _u(now):
                break
            recipient = _recipient(step, clock.partner, owner)
            steps.append(
                Escalation(
                    policy=policy.name,
                    started_at=clock.started,
                    due_at=due,
                    step=n,
                    action=step.action,
                    fires_at=fires_at,
                    target=clock.partner if clock.partner is not None else recipient,
                    recipient=recipient,
                    partner_id=clock.partner,
                )
            )
        deadline = Deadline(
            policy=policy.name,
            lead_id=LEAD,
            started_at=clock.started,
            due_at=due,
            partner_id=clock.partner,
            met_at=met_at,
            stopped_by=by,
            calendar=_calendar_name(policy, cal),
        )
        found.append(
            Breach(
                deadline=deadline,
                now=now,
                late=at.astimezone(UTC) - due.astimezone(UTC),
                open=not answered,
                due_steps=tuple(steps),
                escalated=tuple(
                    n
                    for n in range(len(policy.escalation))
                    if _step_recorded(history, policy.name, clock.started, n, clock.partner)
                ),
                recorded=_breach_recorded(history, policy.name, clock.started, clock.partner),
            )
        )
    return tuple(found)


# --- random histories -------------------------------------------------------------------


def _event(draw: st.DrawFn, at: datetime, starts: list[datetime]) -> Event:
    """One random event at `at`; Escalated and SlaBreached name a clock start seen so far."""
    actor = draw(st.sampled_from(ACTORS))
    pid = draw(st.sampled_from(PARTNERS))
    choice = draw(st.integers(0, 21))
    if choice <= 3:
        kind = draw(st.sampled_from(KINDS))
        touch = Interaction(kind=kind, at=at)
        return InteractionRecorded(lead_id=LEAD, at=at, actor=actor, interaction=touch)
    if choice == 4:
        return HandedOver(lead_id=LEAD, at=at, actor=actor, to_owner=ACTORS[1])
    if choice == 5:
        to_owner = draw(st.sampled_from(ACTORS))
        return OwnerChanged(lead_id=LEAD, at=at, actor=actor, from_owner=actor, to_owner=to_owner)
    if choice == 6:
        return Accepted(lead_id=LEAD, at=at, actor=actor)
    if choice == 7:
        return Rejected(lead_id=LEAD, at=at, actor=actor, reason="no budget")
    if choice == 8:
        expires = at + timedelta(days=5)
        return Offered(lead_id=LEAD, at=at, actor=actor, partner_id=pid, expires_at=expires)
    if choice == 9:
        return PartnerAccepted(lead_id=LEAD, at=at, actor=actor, partner_id=pid)
    if choice == 10:
        ended: tuple[Event, ...] = (
            OfferWithdrawn(lead_id=LEAD, at=at, actor=actor, partner_id=pid, reason="x"),
            Returned(lead_id=LEAD, at=at, actor=actor, partner_id=pid, reason="no_fit"),
            Reclaimed(lead_id=LEAD, at=at, actor=actor, partner_id=pid, reason="idle"),
        )
        return draw(st.sampled_from(ended))
    if choice in (11, 18):
        return NoteAdded(lead_id=LEAD, at=at, actor=actor, text="status")
    if choice == 19:  # a call request counts from the submit, which may lie before it
        submitted = at - draw(
            st.sampled_from((timedelta(0), timedelta(minutes=3), timedelta(hours=2)))
        )
        return CallRequested(
            lead_id=LEAD,
            at=at,
            actor=actor,
            to=ACTORS[1],
            submitted_at=submitted,
            due_at=submitted + timedelta(minutes=5),
        )
    if choice == 12:
        stage = draw(st.sampled_from(("mql", "sql")))
        return StageChanged(lead_id=LEAD, at=at, actor=actor, from_stage="mql", to_stage=stage)
    if choice == 13:
        closed: tuple[Event, ...] = (
            Completed(lead_id=LEAD, at=at, actor=actor, outcome=Outcome.WON),
            Nurtured(lead_id=LEAD, at=at, actor=actor, reason="not now"),
            Disqualified(lead_id=LEAD, at=at, actor=actor, reason="student"),
        )
        return draw(st.sampled_from(closed))
    if choice == 14:
        touches = tuple(
            Interaction(kind=InteractionKind.SITE_VISIT, at=at - timedelta(hours=h))
            for h in range(draw(st.integers(0, 3)))
        )
        source = Source(channel="fair", captured_at=at)
        return Merged(lead_id=LEAD, at=at, actor=actor, source=source, interactions=touches)
    policy = draw(st.sampled_from(POLICIES)).name
    started_at = draw(st.sampled_from(starts))
    partner_id = draw(st.sampled_from((None, *PARTNERS)))
    if choice <= 17:
        return Escalated(
            lead_id=LEAD,
            at=at,
            actor=actor,
            policy=policy,
            started_at=started_at,
            step=draw(st.integers(0, 2)),
            action="notify_owner",
            target=draw(st.sampled_from(("", "manager", *PARTNERS))),
            partner_id=partner_id,
        )
    return SlaBreached(
        lead_id=LEAD,
        at=at,
        actor=actor,
        policy=policy,
        started_at=started_at,
        due_at=at,
        partner_id=partner_id,
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[Event, ...]:
    """A lead's history: a capture, then 0-25 events of every kind the policies react to."""
    zone = draw(st.sampled_from(ZONES))
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 60 * 24 * 300))
    )
    at = at.astimezone(zone)
    lead = Lead(id=LEAD, source=Source(channel="web", captured_at=at))
    events: list[Event] = [LeadCaptured(lead_id=LEAD, at=at, actor=ACTORS[0], lead=lead)]
    starts = [at]
    for _ in range(draw(st.integers(0, 25))):
        at = (at + draw(st.sampled_from(GAPS))).astimezone(draw(st.sampled_from(ZONES)))
        events.append(_event(draw, at, starts))
        starts.append(at)
    return tuple(events)


nows = st.tuples(
    st.sampled_from(tuple(timedelta(hours=h) for h in (0, 1, 5, 30, 24 * 4, 24 * 20, 24 * 120))),
    st.sampled_from(ZONES),
)


class TestFastEvaluationAgreesWithTheReference:
    @settings(max_examples=300, deadline=None)
    @given(history=histories(), cal=st.sampled_from(CALENDARS))
    def test_deadlines_match(self, history: tuple[Event, ...], cal: BusinessCalendar) -> None:
        """Every clock, its due instant, zone and answer come out as the plain reading says."""
        expected = reference_deadlines(history, cal)
        found = deadlines(history, POLICIES, cal)
        assert found == expected
        assert repr(found) == repr(expected)

    @settings(max_examples=300, deadline=None)
    @given(history=histories(), cal=st.sampled_from(CALENDARS), when=nows)
    def test_breaches_match(
        self, history: tuple[Event, ...], cal: BusinessCalendar, when: tuple[timedelta, ZoneInfo]
    ) -> None:
        """Breaches, due steps, recipients and recorded flags equal the plain reading's."""
        later, zone = when
        now = (history[-1].at + later).astimezone(zone)
        expected = reference_breaches(history, cal, now)
        found = breaches(history, CompiledPolicies(policies=POLICIES), cal, now=now)
        assert found == expected
        assert repr(found) == repr(expected)
        assert breaches(history, POLICIES, cal, now=now) == found

    @settings(max_examples=200, deadline=None)
    @given(
        history=histories(),
        cal=st.sampled_from(CALENDARS),
        when=nows,
        how=st.lists(st.integers(0, 5), min_size=8, max_size=8),
    )
    def test_recorded_breaches_and_steps_match(
        self,
        history: tuple[Event, ...],
        cal: BusinessCalendar,
        when: tuple[timedelta, ZoneInfo],
        how: list[int],
    ) -> None:
        """Breaches and steps recorded with or without a partner id are told apart alike."""
        later, zone = when
        now = (history[-1].at + later).astimezone(zone)
        actor = ACTORS[1]
        records: list[Event] = []
        for n, breach in enumerate(reference_breaches(history, cal, now)[:8]):
            # 0: nothing; 1-2: recorded as the escalation stage does; 3: without partner id;
            # 4: another partner's id; 5: partner id and target disagree.
            way = how[n]
            partner_id = {1: breach.partner_id, 2: breach.partner_id, 4: "p-9"}.get(way)
            if way == 5:
                partner_id = "p-1" if breach.partner_id != "p-1" else "p-2"
            if way == 0:
                continue
            records.append(
                SlaBreached(
                    lead_id=LEAD,
                    at=now,
                    actor=actor,
                    policy=breach.policy,
                    started_at=breach.started_at,
                    due_at=breach.due_at,
                    partner_id=partner_id,
                )
            )
            records.extend(
                Escalated(
                    lead_id=LEAD,
                    at=now,
                    actor=actor,
                    policy=step.policy,
                    started_at=step.started_at,
                    step=step.step,
                    action=step.action.value,
                    target=step.target if way != 5 else (breach.partner_id or "manager"),
                    partner_id=partner_id,
                )
                for step in breach.due_steps[: way % 3 + 1]
            )
        recorded = (*history, *records)
        expected = reference_breaches(recorded, cal, now)
        assert breaches(recorded, POLICIES, cal, now=now) == expected


# --- SLA results do not depend on the zone a history is written in ------------------------

CHANGE_ZONES = tuple(ZoneInfo(name) for name in ("Europe/Berlin", "America/New_York"))


@st.composite
def histories_near_changes(draw: st.DrawFn) -> tuple[Event, ...]:
    """A history that starts up to three hours before a Berlin or New York clock change."""
    name, change = draw(
        st.sampled_from(
            [c for c in clock_changes() if c[0] in ("Europe/Berlin", "America/New_York")]
        )
    )
    at = (change - timedelta(minutes=draw(st.integers(0, 180)))).astimezone(ZoneInfo(name))
    lead = Lead(id=LEAD, source=Source(channel="web", captured_at=at))
    events: list[Event] = [LeadCaptured(lead_id=LEAD, at=at, actor=ACTORS[0], lead=lead)]
    starts = [at]
    for _ in range(draw(st.integers(0, 25))):
        zone = draw(st.sampled_from((*ZONES, *CHANGE_ZONES)))
        at = (at + draw(st.sampled_from(GAPS))).astimezone(zone)
        events.append(_event(draw, at, starts))
        starts.append(at)
    return tuple(events)


rewrite_zones = st.sampled_from(
    (UTC, timezone(timedelta(hours=-3, minutes=-30)), *(ZoneInfo(n) for n in DST_ZONES))
)


class TestResultsDoNotDependOnTheZoneWritten:
    @settings(max_examples=200, deadline=None)
    @given(
        history=histories() | histories_near_changes(),
        cal=st.sampled_from(CALENDARS),
        zone=rewrite_zones,
    )
    def test_deadlines_are_the_same_instants(
        self, history: tuple[Event, ...], cal: BusinessCalendar, zone: ZoneInfo
    ) -> None:
        """Every deadline is the same when each timestamp of the history is written in a zone."""
        found = deadlines(rewritten_in(history, zone), POLICIES, cal)
        assert rewritten_in(found, UTC) == rewritten_in(deadlines(history, POLICIES, cal), UTC)

    @settings(max_examples=200, deadline=None)
    @given(
        history=histories() | histories_near_changes(),
        cal=st.sampled_from(CALENDARS),
        when=nows,
        zone=rewrite_zones,
    )
    def test_breaches_are_the_same(
        self,
        history: tuple[Event, ...],
        cal: BusinessCalendar,
        when: tuple[timedelta, ZoneInfo],
        zone: ZoneInfo,
    ) -> None:
        """Breaches, lateness and due steps do not change when the history changes zone."""
        later, now_zone = when
        now = (history[-1].at.astimezone(UTC) + later).astimezone(now_zone)
        expected = breaches(history, POLICIES, cal, now=now)
        found = breaches(rewritten_in(history, zone), POLICIES, cal, now=now.astimezone(zone))
        assert rewritten_in(found, UTC) == rewritten_in(expected, UTC)


# --- holidays by rule or by list: the same SLA results ---------------------------------------

RULE_PLACES = (
    ("DE", "BY", "Europe/Berlin"),
    ("DE", "BE", "Europe/Berlin"),
    ("AT", "", "Europe/Vienna"),
    ("CH", "ZH", "Europe/Zurich"),
    ("US", "NY", "America/New_York"),
)


@st.composite
def rule_and_list(draw: st.DrawFn) -> tuple[PartyCalendars, PartyCalendars]:
    """Party calendars twice: holidays by a country's rule, and the same days as a list."""
    country, subdivision, zone = draw(st.sampled_from(RULE_PLACES))
    hours = draw(st.sampled_from(((("09:00", "17:00"),), (("08:00", "12:00"), ("13:00", "18:00")))))
    rule = BusinessCalendar.weekly(
        hours=hours, time_zone=zone, country=country, subdivision=subdivision, name="office"
    )
    days = frozenset().union(*(rule.holidays_in(year) for year in range(2025, 2030)))
    worked = draw(st.frozensets(st.sampled_from(sorted(days)), max_size=3))
    rule = attrs.evolve(rule, holiday_exceptions=worked)
    listed = BusinessCalendar.weekly(
        hours=hours, time_zone=zone, holidays=days - worked, name="office"
    )
    party = draw(st.sampled_from(("partner/p-1", "sales", "marketing")))
    return (
        PartyCalendars(default=STANDARD_CALENDAR, parties=((party, rule),)),
        PartyCalendars(default=STANDARD_CALENDAR, parties=((party, listed),)),
    )


class TestHolidaysByRuleOrByList:
    @settings(max_examples=150, deadline=None)
    @given(history=histories(), pair=rule_and_list(), when=nows)
    def test_results_are_the_same(
        self,
        history: tuple[Event, ...],
        pair: tuple[PartyCalendars, PartyCalendars],
        when: tuple[timedelta, ZoneInfo],
    ) -> None:
        """Deadlines and breaches agree whether a calendar's holidays come by rule or by list."""
        by_rule, by_list = pair
        later, zone = when
        now = (history[-1].at.astimezone(UTC) + later).astimezone(zone)
        assert deadlines(history, POLICIES, by_rule) == deadlines(history, POLICIES, by_list)
        assert breaches(history, POLICIES, by_rule, now=now) == breaches(
            history, POLICIES, by_list, now=now
        )
