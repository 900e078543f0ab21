"""Hypothesis builders for every value, event and lifecycle of leadpipeline.

Import from here in any test module: ``from tests.strategies import leads, events, ...``.
Every datetime is timezone-aware (UTC, fixed offsets and IANA zones mixed) and every float
is finite, so whatever these strategies build is a value the library accepts.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from hypothesis import assume
from hypothesis import strategies as st

from leadpipeline import (
    DEFAULT_PLAYBOOK,
    Accept,
    AddNote,
    AllocateChannel,
    AssignPartner,
    Capture,
    Command,
    Company,
    Complete,
    Contact,
    Disqualify,
    Erase,
    Escalate,
    Event,
    ExpireOffers,
    HandOver,
    Interaction,
    InteractionKind,
    Lead,
    Merge,
    MoveStage,
    Needs,
    Nurture,
    OfferToPartners,
    Outcome,
    PartnerAccept,
    Party,
    PartyKind,
    Playbook,
    ProductHolding,
    Qualify,
    QualifySql,
    Reclaim,
    RecordInteraction,
    Reject,
    ReturnLead,
    Revenue,
    Source,
    TransitionError,
    UpdateProfile,
    ValidationError,
    decide,
)
from leadpipeline.events import (
    Accepted,
    AllocationBlocked,
    CallRequested,
    ChannelAllocated,
    Completed,
    CriterionResult,
    Disqualified,
    Escalated,
    HandedOver,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    NoteAdded,
    Nurtured,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PartnerAccepted,
    PersonalDataErased,
    ProfileUpdated,
    Qualified,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
    StageChanged,
    evolve,
)
from leadpipeline.lead import Offer
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle, Stage, StageSpec
from leadpipeline.rules.heat import HeatPolicy
from leadpipeline.rules.sla import breaches
from leadpipeline.stages import SweepStale

__all__ = [
    "COMMAND_STRATEGIES",
    "DST_ZONES",
    "EVENT_STRATEGIES",
    "aware_datetimes",
    "basic_commands",
    "captured_leads",
    "channels",
    "clock_changes",
    "command_of",
    "commands",
    "commands_for",
    "companies",
    "contacts",
    "criterion_results",
    "custom_lifecycles",
    "dates",
    "decided_batches",
    "event_of",
    "events",
    "histories",
    "identifiers",
    "interactions",
    "leads",
    "lifecycles",
    "needs",
    "offers",
    "parties",
    "parties_for_stage",
    "product_holdings",
    "revenues",
    "rewritten_in",
    "sources",
    "texts",
    "timezones",
    "words",
]

Draw = Callable[[st.SearchStrategy[Any]], Any]

# --- clock changes -------------------------------------------------------------------------

DST_ZONES = (
    "Europe/Berlin",  # 02:00 -> 03:00, 03:00 -> 02:00
    "America/New_York",  # 02:00 -> 03:00, 02:00 -> 01:00
    "Europe/Dublin",  # summer time is its standard time: the "DST" offset is negative
    "America/Santiago",  # changes at midnight: 24:00 -> 23:00, 00:00 -> 01:00
    "America/Havana",  # changes at midnight and at 01:00
    "Australia/Lord_Howe",  # half-hour changes
    "Pacific/Chatham",  # changes at 02:45 and 03:45
)
"""Zones whose clocks change in every way there is: hour and half hour, at midnight or at night."""


@functools.cache
def clock_changes(
    first_year: int = 2025, last_year: int = 2027
) -> tuple[tuple[str, datetime], ...]:
    """Every clock change of those years in `DST_ZONES`: the zone and the UTC instant.

    Found by reading the offset hour by hour and then minute by minute, independently of
    the library's own search.
    """
    found: list[tuple[str, datetime]] = []
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    for name in DST_ZONES:
        zone = ZoneInfo(name)
        at = datetime(first_year, 1, 1, tzinfo=UTC)
        end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
        offset = at.astimezone(zone).utcoffset()
        while at < end:
            nxt = at + hour
            if nxt.astimezone(zone).utcoffset() != offset:
                step = at + minute
                while step.astimezone(zone).utcoffset() == offset:
                    step += minute
                found.append((name, step))
                offset = step.astimezone(zone).utcoffset()
            at = nxt
    return tuple(found)


def rewritten_in(value: Any, zone: Any) -> Any:
    """`value` with every datetime inside it (fields, tuples, nested values) read in `zone`."""
    if isinstance(value, datetime):
        return value.astimezone(zone)
    if isinstance(value, tuple):
        return tuple(rewritten_in(v, zone) for v in value)
    if attrs.has(type(value)):
        changes = {
            f.name.lstrip("_"): rewritten_in(getattr(value, f.name), zone)
            for f in attrs.fields(type(value))
            if f.init
        }
        return attrs.evolve(value, **changes)
    return value


# --- scalars ------------------------------------------------------------------------------

_EARLIEST = datetime(2000, 1, 1)
_LATEST = datetime(2099, 12, 31)


@functools.cache
def timezones() -> st.SearchStrategy[Any]:
    """UTC, whole-minute fixed offsets between -14h and +14h, and IANA zones."""
    fixed = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
        lambda minutes: timezone(timedelta(minutes=minutes))
    )
    return st.one_of(st.just(UTC), fixed, st.timezones())


@functools.cache
def aware_datetimes(
    min_value: datetime = _EARLIEST, max_value: datetime = _LATEST
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes that exist, once, on the wall clock of their zone.

    Wall times repeated when clocks go back are left out: JSON keeps the offset, not the
    zone name, and Python never calls such a time equal to one in another zone (PEP 495).
    """
    return st.datetimes(
        min_value=min_value, max_value=max_value, timezones=timezones(), allow_imaginary=False
    ).filter(_unambiguous)


def _unambiguous(value: datetime) -> bool:
    return value.replace(fold=1 - value.fold).utcoffset() == value.utcoffset()


@functools.cache
def dates() -> st.SearchStrategy[date]:
    """Calendar dates in this century."""
    return st.dates(min_value=_EARLIEST.date(), max_value=_LATEST.date())


@functools.cache
def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Free text, possibly empty: any Unicode a value holds (valid UTF-8, no NUL)."""
    chars = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00")
    return st.text(chars, max_size=max_size)


@functools.cache
def words(max_size: int = 24) -> st.SearchStrategy[str]:
    """Non-blank text: reasons, names, notes (anything a `not_blank` field accepts)."""
    visible = st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"])
    side = max_size // 2
    return st.tuples(texts(side), visible, texts(side)).map("".join)


@functools.cache
def identifiers(prefix: str = "") -> st.SearchStrategy[str]:
    """Readable ids such as ``L-4711`` or ``p-17``."""
    return st.integers(min_value=1, max_value=99_999).map(lambda n: f"{prefix}{n}")


@functools.cache
def channels() -> st.SearchStrategy[str]:
    """Lead source channels, the real ones first, then anything non-blank."""
    return st.one_of(
        st.sampled_from(["exhibition", "web", "webinar", "referral", "purchased list", "call"]),
        words(),
    )


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@functools.cache
def _amounts(max_value: float = 1e12) -> st.SearchStrategy[float]:
    return st.floats(min_value=0, max_value=max_value, allow_nan=False, allow_infinity=False)


# --- values -------------------------------------------------------------------------------


@st.composite
def parties(draw: Draw, kinds: frozenset[PartyKind] | None = None) -> Party:
    """Any valid owner: marketing, sales (with or without team and rep), a partner, CM."""
    allowed = sorted(kinds if kinds is not None else PartyKind)
    kind = draw(st.sampled_from(allowed))
    if kind is PartyKind.SALES:
        team = draw(_optional(st.sampled_from(["inside-sales", "pre-sales", "direct"]) | words()))
        return Party.sales(team=team, rep=draw(_optional(words())))
    if kind is PartyKind.PARTNER:
        return Party.partner(draw(identifiers("p-")))
    if kind is PartyKind.MARKETING:
        return Party.marketing()
    return Party.customer_marketing()


def parties_for_stage(lifecycle: Lifecycle, stage: str) -> st.SearchStrategy[Party]:
    """Parties allowed to own a lead in `stage` of `lifecycle`."""
    return parties(kinds=lifecycle.spec(stage).owners)


@st.composite
def sources(draw: Draw, captured_at: datetime | None = None) -> Source:
    """Where a lead came from."""
    return Source(
        channel=draw(channels()),
        captured_at=captured_at if captured_at is not None else draw(aware_datetimes()),
        campaign=draw(_optional(texts())),
        source_id=draw(_optional(identifiers("src-"))),
    )


@st.composite
def contacts(draw: Draw) -> Contact:
    """A person, with any of its fields known."""
    return Contact(
        first_name=draw(_optional(texts(20))),
        last_name=draw(_optional(texts(20))),
        email=draw(_optional(st.emails())),
        phone=draw(_optional(st.from_regex(r"\+[1-9][0-9]{6,12}", fullmatch=True))),
        job_title=draw(_optional(texts(20))),
    )


@st.composite
def revenues(draw: Draw) -> Revenue:
    """An annual revenue with its data source."""
    return Revenue(
        amount=draw(_amounts()),
        currency=draw(st.sampled_from(["EUR", "USD", "CHF", "GBP"])),
        source=draw(st.sampled_from(["broker", "self-reported", "registry"]) | words()),
        as_of=draw(_optional(dates())),
    )


@st.composite
def companies(draw: Draw) -> Company:
    """Firmographics, any of them known."""
    return Company(
        name=draw(_optional(texts(30))),
        domain=draw(_optional(st.from_regex(r"[a-z]{1,12}\.(de|com|ch)", fullmatch=True))),
        industry=draw(_optional(st.sampled_from(["manufacturing", "retail", "software"]))),
        employees=draw(_optional(st.integers(min_value=0, max_value=500_000))),
        country=draw(_optional(st.sampled_from(["DE", "AT", "CH", "FR", "US"]))),
        region=draw(_optional(texts(10))),
        annual_revenue=draw(_optional(revenues())),
    )


@st.composite
def needs(draw: Draw) -> Needs:
    """Budget, needs and timing (the MQL criteria)."""
    return Needs(
        budget=draw(_optional(_amounts(1e9))),
        needs=tuple(draw(st.lists(words(), max_size=3))),
        purchase_decision=draw(_optional(dates())),
        expected_volume=draw(_optional(_amounts(1e9))),
        current_product=draw(_optional(texts(20))),
        sales_cycle_months=draw(_optional(st.integers(min_value=1, max_value=60))),
    )


@st.composite
def product_holdings(draw: Draw) -> ProductHolding:
    """A product the prospect already runs."""
    return ProductHolding(
        product=draw(words()),
        vendor=draw(_optional(texts(20))),
        since=draw(_optional(dates())),
    )


@st.composite
def interactions(draw: Draw, at: datetime | None = None) -> Interaction:
    """One touch of any kind."""
    return Interaction(
        kind=draw(st.sampled_from(InteractionKind)),
        at=at if at is not None else draw(aware_datetimes()),
        detail=draw(texts()),
    )


@st.composite
def offers(draw: Draw) -> Offer:
    """An open offer to one partner that expires after it was made."""
    offered_at = draw(aware_datetimes(max_value=datetime(2098, 1, 1)))
    lasts = draw(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=60)))
    return Offer(
        partner_id=draw(identifiers("p-")),
        offered_at=offered_at,
        expires_at=offered_at + lasts,
    )


@st.composite
def leads(
    draw: Draw,
    *,
    stage: str | None = None,
    owner: Party | None = None,
    lifecycle: Lifecycle | None = None,
) -> Lead:
    """A lead snapshot; by default any stage name, owner and version.

    Pass `lifecycle` to get a stage of that lifecycle and an owner allowed for it.
    """
    if lifecycle is not None:
        stage = stage or draw(st.sampled_from([s.name for s in lifecycle.stages]))
        owner = owner or draw(parties_for_stage(lifecycle, stage))
    return Lead(
        id=draw(identifiers("L-")),
        source=draw(sources()),
        contact=draw(contacts()),
        company=draw(companies()),
        needs=draw(needs()),
        holdings=tuple(draw(st.lists(product_holdings(), max_size=2))),
        interactions=tuple(draw(st.lists(interactions(), max_size=3))),
        interests=tuple(draw(st.lists(words(), max_size=3))),
        notes=tuple(draw(st.lists(words(), max_size=2))),
        stage=stage if stage is not None else draw(st.sampled_from(list(Stage)).map(str) | words()),
        owner=owner if owner is not None else draw(parties()),
        channel=draw(_optional(st.sampled_from(["direct", "partner"]))),
        offers=tuple(draw(st.lists(offers(), max_size=2))),
        returned_by=tuple(draw(st.lists(identifiers("p-"), max_size=2, unique=True))),
        lapsed_offers=tuple(draw(st.lists(identifiers("p-"), max_size=2, unique=True))),
        merged_sources=tuple(draw(st.lists(sources(), max_size=2))),
        erased=draw(st.booleans()),
        version=draw(st.integers(min_value=0, max_value=10_000)),
    )


@st.composite
def heat_policies(draw: Draw) -> HeatPolicy:
    """A hot-lead rule: how many touches in which window, how recent, and the call window."""
    hot = draw(st.integers(min_value=1, max_value=6))
    return HeatPolicy(
        window_days=draw(st.sampled_from([3, 7, 14, 30])),
        hot_touches=hot,
        warm_touches=draw(st.integers(min_value=1, max_value=hot)),
        hot_recent_days=draw(st.sampled_from([0.5, 1, 3, 7])),
        call_within=draw(
            st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=2))
        ),
    )


@st.composite
def touches_before(draw: Draw, submit: datetime) -> tuple[Interaction, ...]:
    """Up to eight touches of any kind within twenty days before (or at) `submit`."""
    spans = draw(
        st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)), max_size=8)
    )
    return tuple(draw(interactions(at=submit - span)) for span in spans)


def captured_leads(lifecycle: Lifecycle = STANDARD_LIFECYCLE) -> st.SearchStrategy[Lead]:
    """A brand-new lead as `Capture` expects it: first stage, version 0, no offers."""
    return leads(stage=lifecycle.initial, lifecycle=lifecycle).map(_fresh)


def _fresh(lead: Lead) -> Lead:
    return attrs.evolve(
        lead, version=0, offers=(), returned_by=(), lapsed_offers=(), channel=None, erased=False
    )


@st.composite
def criterion_results(draw: Draw) -> CriterionResult:
    """Evidence for one qualification criterion."""
    return CriterionResult(
        criterion=draw(st.sampled_from(["budget", "need", "timing", "authority"]) | words()),
        met=draw(st.booleans()),
        observed=draw(texts()),
    )


# --- events -------------------------------------------------------------------------------


@st.composite
def _base(draw: Draw) -> dict[str, Any]:
    return {
        "lead_id": draw(identifiers("L-")),
        "at": draw(aware_datetimes()),
        "actor": draw(parties()),
    }


@functools.cache
def _scores() -> st.SearchStrategy[float | None]:
    return _optional(st.floats(min_value=-1000, max_value=1000, allow_nan=False))


@st.composite
def _lead_captured(draw: Draw) -> LeadCaptured:
    base = draw(_base())
    return LeadCaptured(**base, lead=draw(leads()))


@st.composite
def _interaction_recorded(draw: Draw) -> InteractionRecorded:
    return InteractionRecorded(**draw(_base()), interaction=draw(interactions()))


@st.composite
def _call_requested(draw: Draw) -> CallRequested:
    base = draw(_base())
    within = draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=2)))
    earlier = draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
    # real elapsed time, shown in the event's zone: never a wall time the clocks skipped
    zone = base["at"].tzinfo
    submitted = (base["at"].astimezone(UTC) - earlier).astimezone(zone)
    due = (submitted.astimezone(UTC) + within).astimezone(zone)
    assume(_unambiguous(submitted) and _unambiguous(due))
    return CallRequested(
        **base,
        to=draw(parties(frozenset({PartyKind.SALES}))),
        submitted_at=submitted,
        due_at=due,
        reason=draw(texts()),
    )


@st.composite
def _profile_updated(draw: Draw) -> ProfileUpdated:
    return ProfileUpdated(
        **draw(_base()),
        contact=draw(_optional(contacts())),
        company=draw(_optional(companies())),
        needs=draw(_optional(needs())),
        interests=draw(_optional(st.lists(words(), max_size=3).map(tuple))),
    )


@st.composite
def _note_added(draw: Draw) -> NoteAdded:
    return NoteAdded(**draw(_base()), text=draw(words()))


@st.composite
def _stage_changed(draw: Draw) -> StageChanged:
    names = st.sampled_from(list(Stage)).map(str) | words()
    return StageChanged(
        **draw(_base()), from_stage=draw(names), to_stage=draw(names), reason=draw(texts())
    )


@st.composite
def _owner_changed(draw: Draw) -> OwnerChanged:
    return OwnerChanged(
        **draw(_base()), from_owner=draw(parties()), to_owner=draw(parties()), reason=draw(texts())
    )


@st.composite
def _qualified(draw: Draw) -> Qualified:
    return Qualified(
        **draw(_base()),
        definition=draw(st.sampled_from(["mql", "sql"]) | words()),
        score=draw(_scores()),
        grade=draw(_optional(st.sampled_from(["A", "B", "C", "D"]))),
        criteria=tuple(draw(st.lists(criterion_results(), max_size=4))),
    )


@st.composite
def _handed_over(draw: Draw) -> HandedOver:
    return HandedOver(
        **draw(_base()),
        to_owner=draw(parties(kinds=frozenset({PartyKind.SALES}))),
        score=draw(_scores()),
        grade=draw(_optional(st.sampled_from(["A", "B", "C", "D"]))),
        expected_quality=draw(texts()),
    )


@st.composite
def _accepted(draw: Draw) -> Accepted:
    return Accepted(**draw(_base()))


@st.composite
def _rejected(draw: Draw) -> Rejected:
    return Rejected(**draw(_base()), reason=draw(words()), comment=draw(texts()))


@st.composite
def _channel_allocated(draw: Draw) -> ChannelAllocated:
    return ChannelAllocated(
        **draw(_base()),
        channel=draw(st.sampled_from(["direct", "partner"])),
        rule=draw(texts()),
        value=draw(texts()),
        data_source=draw(texts()),
    )


@st.composite
def _allocation_blocked(draw: Draw) -> AllocationBlocked:
    return AllocationBlocked(
        **draw(_base()),
        reason=draw(st.sampled_from(["authoritative revenue missing"]) | texts()),
        data_source=draw(texts()),
    )


@st.composite
def _offered(draw: Draw) -> Offered:
    base = draw(_base())
    lasts = draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30)))
    expires = (base["at"].astimezone(UTC) + lasts).astimezone(base["at"].tzinfo)
    assume(_unambiguous(expires))  # real elapsed time: never a wall time the clocks skipped
    return Offered(**base, partner_id=draw(identifiers("p-")), expires_at=expires)


@st.composite
def _offer_withdrawn(draw: Draw) -> OfferWithdrawn:
    return OfferWithdrawn(
        **draw(_base()),
        partner_id=draw(identifiers("p-")),
        reason=draw(texts()),
        expired=draw(st.booleans()),
    )


@st.composite
def _partner_accepted(draw: Draw) -> PartnerAccepted:
    return PartnerAccepted(**draw(_base()), partner_id=draw(identifiers("p-")))


@st.composite
def _returned(draw: Draw) -> Returned:
    return Returned(
        **draw(_base()),
        partner_id=draw(identifiers("p-")),
        reason=draw(st.sampled_from(["no_budget", "unreachable"]) | words()),
        comment=draw(words()),
        routing=draw(texts()),
    )


@st.composite
def _reclaimed(draw: Draw) -> Reclaimed:
    return Reclaimed(
        **draw(_base()),
        partner_id=draw(identifiers("p-")),
        reason=draw(texts()),
        routing=draw(texts()),
    )


@st.composite
def _completed(draw: Draw) -> Completed:
    return Completed(
        **draw(_base()),
        outcome=draw(st.sampled_from(Outcome)),
        reason=draw(texts()),
        revenue=draw(_optional(_amounts())),
    )


@st.composite
def _nurtured(draw: Draw) -> Nurtured:
    return Nurtured(**draw(_base()), reason=draw(words()))


@st.composite
def _disqualified(draw: Draw) -> Disqualified:
    return Disqualified(**draw(_base()), reason=draw(words()))


@st.composite
def _sla_breached(draw: Draw) -> SlaBreached:
    return SlaBreached(
        **draw(_base()),
        policy=draw(st.sampled_from(["sal_response", "partner_accept"]) | words()),
        started_at=draw(aware_datetimes()),
        due_at=draw(aware_datetimes()),
    )


@st.composite
def _escalated(draw: Draw) -> Escalated:
    return Escalated(
        **draw(_base()),
        policy=draw(words()),
        started_at=draw(aware_datetimes()),
        step=draw(st.integers(min_value=0, max_value=10)),
        action=draw(st.sampled_from(["remind", "escalate", "reassign"])),
        target=draw(texts()),
    )


@st.composite
def _merged(draw: Draw) -> Merged:
    return Merged(
        **draw(_base()),
        source=draw(sources()),
        interactions=tuple(draw(st.lists(interactions(), max_size=3))),
    )


@st.composite
def _personal_data_erased(draw: Draw) -> PersonalDataErased:
    return PersonalDataErased(**draw(_base()))


EVENT_STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    LeadCaptured: _lead_captured(),
    InteractionRecorded: _interaction_recorded(),
    CallRequested: _call_requested(),
    ProfileUpdated: _profile_updated(),
    NoteAdded: _note_added(),
    StageChanged: _stage_changed(),
    OwnerChanged: _owner_changed(),
    Qualified: _qualified(),
    HandedOver: _handed_over(),
    Accepted: _accepted(),
    Rejected: _rejected(),
    ChannelAllocated: _channel_allocated(),
    AllocationBlocked: _allocation_blocked(),
    Offered: _offered(),
    OfferWithdrawn: _offer_withdrawn(),
    PartnerAccepted: _partner_accepted(),
    Returned: _returned(),
    Reclaimed: _reclaimed(),
    Completed: _completed(),
    Nurtured: _nurtured(),
    Disqualified: _disqualified(),
    SlaBreached: _sla_breached(),
    Escalated: _escalated(),
    Merged: _merged(),
    PersonalDataErased: _personal_data_erased(),
}
"""One strategy per member of `leadpipeline.Event`; a test checks none is missing."""


def event_of(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Events of exactly the class `cls` (a member of `Event`)."""
    try:
        return EVENT_STRATEGIES[cls]
    except KeyError:
        raise LookupError(f"tests/strategies.py has no strategy for {cls.__name__}") from None


def events() -> st.SearchStrategy[Event]:
    """Any event of any type, each with arbitrary (valid) field values."""
    return st.one_of(*(EVENT_STRATEGIES[cls] for cls in typing.get_args(Event)))


# --- lifecycles ---------------------------------------------------------------------------


@st.composite
def custom_lifecycles(draw: Draw) -> Lifecycle:
    """A valid lifecycle built from the standard one: renamed stages, extra stages, moves.

    Every extra stage is reachable (it gets an incoming move from a reachable stage), has at
    least one owner kind, and has a unique name, so the result always passes validation.
    """
    standard = STANDARD_LIFECYCLE
    old_names = [s.name for s in standard.stages]
    n_extra = draw(st.integers(min_value=0, max_value=4))
    fresh = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True),
            min_size=len(old_names) + n_extra,
            max_size=len(old_names) + n_extra,
            unique=True,
        )
    )
    keep = draw(st.lists(st.booleans(), min_size=len(old_names), max_size=len(old_names)))
    rename = {
        old: (old if kept and old not in fresh else new)
        for old, new, kept in zip(old_names, fresh, keep, strict=False)
    }
    # A kept standard name might collide with a fresh name used for another stage.
    used = set(rename.values())
    extras = [n for n in fresh[len(old_names) :] if n not in used]
    owner_sets = st.frozensets(st.sampled_from(PartyKind), min_size=1)
    stages: list[StageSpec] = []
    for spec in standard.stages:
        owners = spec.owners if draw(st.booleans()) else draw(owner_sets)
        stages.append(
            StageSpec(
                name=rename[spec.name], owners=owners, role=spec.role, description=spec.description
            )
        )
    moves = {(rename[a], rename[b]) for a, b in standard.moves}
    reachable = [rename[n] for n in old_names]
    for name in extras:
        stages.insert(
            draw(st.integers(min_value=0, max_value=len(stages))),
            StageSpec(name=name, owners=draw(owner_sets), description=draw(texts(30))),
        )
        moves.add((draw(st.sampled_from(reachable)), name))
        reachable.append(name)
    all_names = [s.name for s in stages]
    extra_moves = draw(
        st.lists(st.tuples(st.sampled_from(all_names), st.sampled_from(all_names)), max_size=6)
    )
    moves.update((a, b) for a, b in extra_moves if a != b)
    return Lifecycle(stages=tuple(stages), moves=frozenset(moves), initial=rename["inquiry"])


def lifecycles() -> st.SearchStrategy[Lifecycle]:
    """The standard lifecycle or a generated custom one."""
    return st.just(STANDARD_LIFECYCLE) | custom_lifecycles()


# --- commands and histories ---------------------------------------------------------------

_UNKNOWN_STAGES = ("won", "closed", "INQUIRY", "lost ", "partner")
_BACKWARD_ROLES = (Stage.INQUIRY, Stage.NURTURE, Stage.DISQUALIFIED)
# Moves dominate so generated leads walk deep into the waterfall before they drop out.
_COMMAND_MIX = (
    *("move",) * 8,
    "interaction",
    "profile",
    "note",
    "nurture",
    "disqualify",
    "merge",
    "erase",
)


@st.composite
def commands_for(draw: Draw, lead: Lead, lifecycle: Lifecycle, *, legal_moves: bool) -> Command:
    """One basic command for `lead`; with `legal_moves`, moves follow an allowed edge."""
    allowed = lifecycle.allowed_from(lead.stage)
    kind = draw(st.sampled_from(_COMMAND_MIX))
    if kind == "move":
        if legal_moves and allowed:
            onward = [d for d in allowed if lifecycle.role_of(d) not in _BACKWARD_ROLES]
            target = draw(st.sampled_from(onward or allowed) | st.sampled_from(allowed))
        else:
            names = [s.name for s in lifecycle.stages]
            target = draw(st.sampled_from(names + list(_UNKNOWN_STAGES)))
        owner = None
        if lifecycle.has(target) and draw(st.booleans()):
            owner = draw(
                parties_for_stage(lifecycle, target) if legal_moves else parties(),
            )
        return MoveStage(to_stage=target, reason=draw(texts(20)), owner=owner)
    if kind == "interaction":
        return RecordInteraction(interaction=draw(interactions()))
    if kind == "profile":
        return UpdateProfile(
            contact=draw(_optional(contacts())),
            company=draw(_optional(companies())),
            needs=draw(_optional(needs())),
            interests=draw(_optional(st.lists(words(), max_size=2).map(tuple))),
        )
    if kind == "note":
        return AddNote(text=draw(words()))
    if kind == "nurture":
        return Nurture(reason=draw(words()))
    if kind == "disqualify":
        return Disqualify(reason=draw(words()))
    if kind == "merge":
        return Merge(
            source=draw(sources()), interactions=tuple(draw(st.lists(interactions(), max_size=2)))
        )
    return Erase()


def basic_commands(lifecycle: Lifecycle = STANDARD_LIFECYCLE) -> st.SearchStrategy[Command]:
    """Any basic command for a lead in any stage of `lifecycle` (legal or not)."""
    return st.sampled_from([s.name for s in lifecycle.stages]).flatmap(
        lambda stage: commands_for(
            Lead(
                id="L-1",
                source=Source(channel="web", captured_at=datetime(2026, 1, 1, tzinfo=UTC)),
                stage=stage,
            ),
            lifecycle,
            legal_moves=False,
        )
    )


@st.composite
def decided_batches(
    draw: Draw,
    playbook: Playbook = DEFAULT_PLAYBOOK,
    *,
    max_commands: int = 16,
) -> tuple[tuple[Event, ...], ...]:
    """A history as the batches `decide` returned, one batch per accepted command.

    The first batch is the `LeadCaptured` of a fresh lead; each later batch is what `decide`
    answered to a random basic command at a later `now`. Refused commands leave no batch.
    """
    lifecycle = playbook.lifecycle
    first = draw(captured_leads(lifecycle))
    now = first.source.captured_at
    batches = [decide(None, Capture(lead=first), playbook, now=now)]
    lead = evolve(None, batches[0][0])
    for _ in range(draw(st.integers(min_value=0, max_value=max_commands))):
        now = now + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)))
        now = now.astimezone(draw(timezones()))
        legal = draw(st.integers(0, 3)) > 0
        command = draw(commands_for(lead, lifecycle, legal_moves=legal))
        try:
            batch = decide(lead, command, playbook, now=now)
        except (TransitionError, ValidationError):
            continue
        for event in batch:
            lead = evolve(lead, event)
        if batch:
            batches.append(batch)
    return tuple(batches)


def histories(
    playbook: Playbook = DEFAULT_PLAYBOOK, *, max_commands: int = 16
) -> st.SearchStrategy[tuple[Event, ...]]:
    """A valid history: `LeadCaptured` followed by events `decide` accepted, in order."""
    return decided_batches(playbook, max_commands=max_commands).map(
        lambda batches: tuple(e for batch in batches for e in batch)
    )


# --- every command ------------------------------------------------------------------------


def _actors() -> st.SearchStrategy[Party | None]:
    return _optional(parties())


@st.composite
def _escalate(draw: Draw) -> Escalate:
    if draw(st.booleans()):
        return Escalate()
    history = draw(histories(max_commands=6))
    later = history[-1].at + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(60)))
    found = breaches(history, DEFAULT_PLAYBOOK.sla_policies, DEFAULT_PLAYBOOK.calendar, now=later)
    return Escalate(breaches=found)


_SEEDS = st.integers(min_value=0, max_value=2**31)

COMMAND_STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    Capture: st.builds(Capture, lead=leads(), actor=_actors()),
    RecordInteraction: st.builds(RecordInteraction, interaction=interactions(), actor=_actors()),
    UpdateProfile: st.builds(
        UpdateProfile,
        contact=_optional(contacts()),
        company=_optional(companies()),
        needs=_optional(needs()),
        interests=_optional(st.lists(words(), max_size=3).map(tuple)),
        actor=_actors(),
    ),
    AddNote: st.builds(AddNote, text=words(), actor=_actors()),
    MoveStage: st.builds(
        MoveStage,
        to_stage=st.sampled_from(list(Stage)).map(str) | words(),
        reason=texts(),
        owner=_optional(parties()),
        actor=_actors(),
    ),
    Nurture: st.builds(Nurture, reason=words(), actor=_actors()),
    Disqualify: st.builds(Disqualify, reason=words(), actor=_actors()),
    Qualify: st.builds(Qualify, actor=_actors()),
    HandOver: st.builds(HandOver, to=parties(kinds=frozenset({PartyKind.SALES})), actor=_actors()),
    Accept: st.builds(Accept, actor=_actors()),
    Reject: st.builds(Reject, reason=words(), comment=texts(), actor=_actors()),
    QualifySql: st.builds(QualifySql, actor=_actors()),
    AllocateChannel: st.builds(AllocateChannel, actor=_actors()),
    AssignPartner: st.builds(
        AssignPartner, partner_id=_optional(identifiers("p-")), seed=_SEEDS, actor=_actors()
    ),
    OfferToPartners: st.builds(
        OfferToPartners,
        partner_ids=st.lists(identifiers("p-"), max_size=3, unique=True).map(tuple),
        expires_in=_optional(
            st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=90))
        ),
        seed=_SEEDS,
        actor=_actors(),
    ),
    PartnerAccept: st.builds(PartnerAccept, partner_id=identifiers("p-")),
    ReturnLead: st.builds(
        ReturnLead, partner_id=identifiers("p-"), reason=words(), comment=texts(), seed=_SEEDS
    ),
    ExpireOffers: st.builds(ExpireOffers, seed=_SEEDS),
    Reclaim: st.builds(Reclaim, partner_id=identifiers("p-"), reason=words(), seed=_SEEDS),
    Complete: st.builds(
        Complete,
        outcome=st.sampled_from(Outcome),
        reason=texts(),
        revenue=_optional(_amounts()),
        actor=_actors(),
    ),
    Escalate: _escalate(),
    Merge: st.builds(
        Merge,
        source=sources(),
        interactions=st.lists(interactions(), max_size=2).map(tuple),
        actor=_actors(),
    ),
    Erase: st.builds(Erase, actor=_actors()),
    SweepStale: st.just(SweepStale()),
}
"""One strategy per member of `leadpipeline.Command`, any field values the command accepts."""


def command_of(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Commands of exactly the class `cls` (a member of `Command`)."""
    try:
        return COMMAND_STRATEGIES[cls]
    except KeyError:
        raise LookupError(f"tests/strategies.py has no strategy for {cls.__name__}") from None


def commands() -> st.SearchStrategy[Command]:
    """Any command of any type, each with arbitrary (valid) field values."""
    return st.one_of(*(COMMAND_STRATEGIES[cls] for cls in typing.get_args(Command)))


def calibrations() -> st.SearchStrategy[Any]:
    """Score calibrations of both methods: a rising Platt curve or rising isotonic steps."""
    from leadpipeline.analytics.learned import (  # noqa: PLC0415  # the learn extra, only when drawn
        CalibrationMethod,
        ScoreCalibration,
    )

    finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)
    platt = st.builds(
        ScoreCalibration,
        method=st.just(CalibrationMethod.PLATT),
        slope=st.floats(min_value=1e-4, max_value=10.0),
        intercept=finite,
    )
    steps = st.lists(finite, min_size=1, max_size=12, unique=True).flatmap(
        lambda scores: st.lists(
            st.floats(min_value=0.0, max_value=1.0), min_size=len(scores), max_size=len(scores)
        ).map(
            lambda chances: ScoreCalibration(
                method=CalibrationMethod.ISOTONIC,
                scores=tuple(sorted(scores)),
                probabilities=tuple(sorted(chances)),
            )
        )
    )
    return st.one_of(platt, steps)
