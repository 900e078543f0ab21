"""The basic decisions: given past events, when a command arrives, then events or a refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from leadpipeline import (
    DEFAULT_PLAYBOOK,
    AddNote,
    Capture,
    Command,
    Company,
    Disqualify,
    Erase,
    Event,
    Interaction,
    InteractionKind,
    Lead,
    Merge,
    MoveStage,
    Nurture,
    Party,
    PartyKind,
    Playbook,
    RecordInteraction,
    Source,
    TransitionError,
    UpdateProfile,
    ValidationError,
    decide,
    replay,
)
from leadpipeline.events import (
    Disqualified,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    NoteAdded,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PersonalDataErased,
    ProfileUpdated,
    Rejected,
    StageChanged,
    evolve,
)
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle, Stage, StageSpec

CET = timezone(timedelta(hours=1))
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=CET)
NAIVE = datetime(2026, 3, 2, 9, 0)  # naive on purpose: decide must refuse it
FAIR = Source(channel="exhibition", captured_at=MONDAY, campaign="Hannover Messe")


def new_lead(**fields: object) -> Lead:
    return Lead(id="L-7", source=FAIR, **fields)  # type: ignore[arg-type]


class Journey:
    """A lead's history built by deciding commands one after another."""

    def __init__(self, playbook: Playbook = DEFAULT_PLAYBOOK) -> None:
        self.playbook = playbook
        self.now = MONDAY
        self.history: tuple[Event, ...] = decide(
            None, Capture(lead=new_lead()), playbook, now=self.now
        )

    @property
    def lead(self) -> Lead:
        return replay(self.history)

    def do(self, command: Command, *, hours: int = 1) -> tuple[Event, ...]:
        self.now += timedelta(hours=hours)
        events = decide(self.lead, command, self.playbook, now=self.now)
        self.history = (*self.history, *events)
        return events

    def given(self, *events: Event) -> None:
        self.history = (*self.history, *events)


def offered(journey: Journey, partner_id: str) -> Offered:
    return Offered(
        lead_id="L-7",
        at=journey.now,
        actor=Party.sales(),
        partner_id=partner_id,
        expires_at=journey.now + timedelta(days=3),
    )


def kinds(events: tuple[Event, ...]) -> list[str]:
    return [type(e).__name__ for e in events]


class TestCapture:
    def test_capture_records_the_first_snapshot(self) -> None:
        """Capturing a new lead gives one LeadCaptured whose actor is its owner, marketing."""
        (event,) = decide(None, Capture(lead=new_lead()), DEFAULT_PLAYBOOK, now=MONDAY)
        assert isinstance(event, LeadCaptured)
        assert (event.lead_id, event.at, event.actor) == ("L-7", MONDAY, Party.marketing())
        assert event.lead.source == FAIR

    def test_capture_starts_clean(self) -> None:
        """Whatever version the incoming lead claims, the history starts at version 1."""
        (event,) = decide(None, Capture(lead=new_lead(version=9)), DEFAULT_PLAYBOOK, now=MONDAY)
        assert evolve(None, event).version == 1

    def test_capture_refuses_a_lead_past_the_first_stage(self) -> None:
        """A new lead cannot arrive as an SQL; the error names the first stage."""
        with pytest.raises(TransitionError) as info:
            decide(None, Capture(lead=new_lead(stage="sql")), DEFAULT_PLAYBOOK, now=MONDAY)
        assert (info.value.stage, info.value.allowed) == ("sql", ("inquiry",))

    def test_capture_refuses_an_owner_that_cannot_own_inquiries(self) -> None:
        """An inquiry owned by sales is refused at lead.owner."""
        lead = new_lead(owner=Party.sales())
        with pytest.raises(ValidationError) as info:
            decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=MONDAY)
        assert info.value.paths == ("lead.owner",)

    def test_capturing_an_existing_lead_is_refused(self) -> None:
        """A second capture of the same lead is refused: duplicates are merged."""
        journey = Journey()
        with pytest.raises(TransitionError, match="merge the duplicate"):
            journey.do(Capture(lead=new_lead()))


class TestNow:
    @pytest.mark.parametrize(
        "command",
        [
            Capture(lead=new_lead()),
            AddNote(text="call back"),
            MoveStage(to_stage="mql"),
            Nurture(reason="no budget this year"),
            Disqualify(reason="student"),
            Erase(),
        ],
        ids=lambda c: type(c).__name__,
    )
    def test_decide_refuses_a_naive_now(self, command: Command) -> None:
        """A `now` without a timezone is refused at `now`, before anything is decided."""
        lead = None if isinstance(command, Capture) else Journey().lead
        with pytest.raises(ValidationError) as info:
            decide(lead, command, DEFAULT_PLAYBOOK, now=NAIVE)
        assert info.value.paths == ("now",)

    def test_commands_need_an_existing_lead(self) -> None:
        """Only a capture may come without a lead; anything else is refused at `lead`."""
        with pytest.raises(ValidationError) as info:
            decide(None, AddNote(text="hello"), DEFAULT_PLAYBOOK, now=MONDAY)
        assert info.value.paths == ("lead",)

    def test_events_carry_the_given_now_and_zone(self) -> None:
        """Events are stamped with exactly the `now` passed in, zone included."""
        tokyo = datetime(2026, 3, 3, 18, 0, tzinfo=timezone(timedelta(hours=9)))
        (event,) = decide(Journey().lead, AddNote(text="hi"), DEFAULT_PLAYBOOK, now=tokyo)
        assert event.at == tokyo
        assert event.at.utcoffset() == timedelta(hours=9)


class TestProfileCommands:
    def test_recording_a_webinar_visit(self) -> None:
        """A webinar attendance is recorded as an InteractionRecorded by the owner."""
        touch = Interaction(kind=InteractionKind.WEBINAR, at=MONDAY, detail="pricing")
        journey = Journey()
        (event,) = journey.do(RecordInteraction(interaction=touch))
        assert isinstance(event, InteractionRecorded)
        assert (event.interaction, event.actor) == (touch, Party.marketing())
        assert journey.lead.interactions == (touch,)

    def test_profile_update_names_who_did_it(self) -> None:
        """An explicit actor is recorded instead of the owner."""
        rep = Party.sales(team="inside-sales", rep="kim")
        journey = Journey()
        (event,) = journey.do(UpdateProfile(company=Company(name="Acme"), actor=rep))
        assert isinstance(event, ProfileUpdated)
        assert event.actor == rep
        assert journey.lead.company.name == "Acme"

    def test_note_is_added(self) -> None:
        """A note is recorded and kept on the lead."""
        journey = Journey()
        assert kinds(journey.do(AddNote(text="prefers calls after 4pm"))) == ["NoteAdded"]
        assert journey.lead.notes == ("prefers calls after 4pm",)

    def test_duplicate_from_a_webinar_is_merged(self) -> None:
        """A duplicate capture keeps the exhibition as the source and adds the webinar."""
        webinar = Source(channel="webinar", captured_at=MONDAY + timedelta(days=3))
        journey = Journey()
        (event,) = journey.do(Merge(source=webinar))
        assert isinstance(event, Merged)
        assert journey.lead.source == FAIR
        assert journey.lead.sources == (FAIR, webinar)

    def test_erasing_twice_records_one_erasure(self) -> None:
        """Erasure is idempotent: the second request decides nothing."""
        journey = Journey()
        assert kinds(journey.do(Erase())) == ["PersonalDataErased"]
        assert journey.do(Erase()) == ()
        assert journey.lead.erased


class TestMoveStage:
    def test_sales_cannot_move_an_inquiry_straight_to_customer(self) -> None:
        """Inquiry to customer is refused; the error names the lead, stage and allowed moves."""
        journey = Journey()
        before = journey.lead
        with pytest.raises(TransitionError) as info:
            journey.do(MoveStage(to_stage="customer", actor=Party.sales()))
        error = info.value
        assert (error.lead_id, error.stage) == ("L-7", "inquiry")
        assert error.allowed == (
            "inquiry -> disqualified",
            "inquiry -> mql",
            "inquiry -> nurture",
        )
        assert journey.lead == before

    def test_unknown_stage_is_refused(self) -> None:
        """A move to a stage the lifecycle does not have is refused with the reason."""
        with pytest.raises(TransitionError) as info:
            Journey().do(MoveStage(to_stage="won"))
        assert info.value.reason == "unknown stage 'won'"
        assert info.value.allowed == ("disqualified", "mql", "nurture")

    def test_marketing_qualifies_an_inquiry(self) -> None:
        """Inquiry to MQL keeps marketing as the owner: one StageChanged, no owner change."""
        journey = Journey()
        events = journey.do(MoveStage(to_stage="mql", reason="score 72"))
        assert kinds(events) == ["StageChanged"]
        assert (journey.lead.stage, journey.lead.owner) == ("mql", Party.marketing())

    def test_accepting_an_mql_hands_it_to_sales(self) -> None:
        """MQL to SAL moves the lead to sales, the only kind that may own a SAL."""
        journey = Journey()
        journey.do(MoveStage(to_stage="mql"))
        events = journey.do(MoveStage(to_stage="sal"))
        assert kinds(events) == ["StageChanged", "OwnerChanged"]
        change = events[1]
        assert isinstance(change, OwnerChanged)
        assert (change.from_owner, change.to_owner) == (Party.marketing(), Party.sales())

    def test_the_whole_waterfall_to_customer(self) -> None:
        """Inquiry to customer step by step ends with customer marketing as the owner."""
        journey = Journey()
        for stage in ("mql", "sal", "sql"):
            journey.do(MoveStage(to_stage=stage))
        journey.do(MoveStage(to_stage="opportunity", owner=Party.sales(team="direct")))
        assert journey.lead.owner == Party.sales(team="direct")
        journey.do(MoveStage(to_stage="customer", reason="contract signed"))
        lead = journey.lead
        assert (lead.stage, lead.owner) == ("customer", Party.customer_marketing())
        assert lead.version == len(journey.history)

    def test_a_partner_can_work_an_opportunity(self) -> None:
        """An SQL handed to partner p-17 as an opportunity is owned by that partner."""
        journey = Journey()
        for stage in ("mql", "sal", "sql"):
            journey.do(MoveStage(to_stage=stage))
        journey.do(MoveStage(to_stage="opportunity", owner=Party.partner("p-17")))
        assert journey.lead.owner == Party.partner("p-17")

    def test_a_partner_cannot_own_an_sal(self) -> None:
        """Naming a partner as SAL owner is refused; the error lists who may own a SAL."""
        journey = Journey()
        journey.do(MoveStage(to_stage="mql"))
        with pytest.raises(TransitionError) as info:
            journey.do(MoveStage(to_stage="sal", owner=Party.partner("p-17")))
        assert info.value.allowed == ("sales",)
        assert "cannot own" in info.value.reason

    def test_reassigning_within_a_stage_changes_only_the_owner(self) -> None:
        """A move to the current stage with a new owner records only the owner change."""
        journey = Journey()
        journey.do(MoveStage(to_stage="mql"))
        events = journey.do(MoveStage(to_stage="mql", owner=Party.sales(team="inside-sales")))
        assert kinds(events) == ["OwnerChanged"]

    def test_moving_to_the_current_stage_with_no_owner_does_nothing(self) -> None:
        """Asking for the stage the lead is already in, with no new owner, decides nothing."""
        assert Journey().do(MoveStage(to_stage="inquiry")) == ()


class TestNurtureAndDisqualify:
    def test_exhibition_lead_keeps_its_source_after_nurture_and_requalification(self) -> None:
        """An exhibition lead keeps 'exhibition' as its source after nurture and requalifying."""
        journey = Journey()
        journey.do(MoveStage(to_stage="mql"))
        journey.do(Nurture(reason="no budget until Q3"), hours=24)
        journey.do(MoveStage(to_stage="mql", reason="budget released"), hours=24 * 90)
        lead = journey.lead
        assert lead.stage == "mql"
        assert lead.source.channel == "exhibition"
        assert lead.source == FAIR

    def test_nurture_returns_the_lead_to_marketing(self) -> None:
        """Sales nurturing an SQL records the catalogue reason and gives the lead back."""
        journey = Journey()
        for stage in ("mql", "sal", "sql"):
            journey.do(MoveStage(to_stage=stage))
        events = journey.do(Nurture(reason="wrong_timing", comment="next fiscal year"))
        assert kinds(events) == ["Rejected", "Nurtured", "StageChanged", "OwnerChanged"]
        assert isinstance(events[0], Rejected)
        assert (events[0].reason, events[0].comment) == ("wrong_timing", "next fiscal year")
        assert (journey.lead.stage, journey.lead.owner) == ("nurture", Party.marketing())

    def test_disqualifying_withdraws_open_offers(self) -> None:
        """Disqualifying a lead on offer to two partners withdraws both offers first."""
        journey = Journey()
        for stage in ("mql", "sal", "sql"):
            journey.do(MoveStage(to_stage=stage))
        journey.given(offered(journey, "p-1"), offered(journey, "p-2"))
        events = journey.do(Disqualify(reason="duplicate company"))
        assert kinds(events) == [
            "OfferWithdrawn",
            "OfferWithdrawn",
            "Disqualified",
            "StageChanged",
            "OwnerChanged",
        ]
        withdrawn = [e for e in events if isinstance(e, OfferWithdrawn)]
        assert {e.partner_id for e in withdrawn} == {"p-1", "p-2"}
        assert all(e.reason == "lead disqualified" for e in withdrawn)
        lead = journey.lead
        assert (lead.stage, lead.owner, lead.offers) == ("disqualified", Party.marketing(), ())

    def test_nurturing_withdraws_open_offers(self) -> None:
        """Nurturing a lead on offer withdraws the offer too."""
        journey = Journey()
        for stage in ("mql", "sal", "sql"):
            journey.do(MoveStage(to_stage=stage))
        journey.given(offered(journey, "p-3"))
        events = journey.do(Nurture(reason="no_budget", comment="budget frozen"))
        assert kinds(events)[:3] == ["OfferWithdrawn", "Rejected", "Nurtured"]
        assert journey.lead.offers == ()

    def test_a_customer_cannot_be_disqualified(self) -> None:
        """A won customer has no moves left; disqualifying it is refused and nothing changes."""
        journey = Journey()
        for stage in ("mql", "sal", "sql", "opportunity", "customer"):
            journey.do(MoveStage(to_stage=stage))
        before = journey.lead
        with pytest.raises(TransitionError) as info:
            journey.do(Disqualify(reason="wrong"))
        assert (info.value.stage, info.value.allowed) == ("customer", ())
        assert journey.lead == before

    def test_disqualifying_a_disqualified_lead_records_only_the_reason(self) -> None:
        """A second disqualification adds its reason but moves nothing."""
        journey = Journey()
        journey.do(Disqualify(reason="student"))
        events = journey.do(Disqualify(reason="also a competitor"))
        assert kinds(events) == ["Disqualified"]
        assert isinstance(events[0], Disqualified)

    def test_a_disqualified_lead_can_be_nurtured_again(self) -> None:
        """Disqualified to nurture is an allowed way back."""
        journey = Journey()
        journey.do(Disqualify(reason="no need"))
        journey.do(Nurture(reason="new project announced"))
        assert journey.lead.stage == "nurture"


def _renamed_lifecycle() -> Lifecycle:
    names = {"nurture": "parked", "disqualified": "dropped"}
    stages = tuple(
        attrs.evolve(s, name=names.get(s.name, s.name)) for s in STANDARD_LIFECYCLE.stages
    )
    moves = frozenset((names.get(a, a), names.get(b, b)) for a, b in STANDARD_LIFECYCLE.moves)
    return Lifecycle(stages=stages, moves=moves, initial="inquiry")


class TestCustomLifecycles:
    def test_nurture_finds_the_renamed_stage_by_role(self) -> None:
        """With nurture renamed 'parked', nurturing moves the lead to 'parked'."""
        journey = Journey(Playbook(name="renamed", lifecycle=_renamed_lifecycle()))
        journey.do(Nurture(reason="no budget"))
        assert journey.lead.stage == "parked"
        assert _renamed_lifecycle().name_of(Stage.NURTURE) == "parked"

    def test_a_partner_only_stage_needs_a_named_partner(self) -> None:
        """Moving into a stage only partners own, without naming one, is refused at owner."""
        partner_desk = StageSpec(name="partner_desk", owners=frozenset({PartyKind.PARTNER}))
        lifecycle = Lifecycle(
            stages=(*STANDARD_LIFECYCLE.stages, partner_desk),
            moves=STANDARD_LIFECYCLE.moves | {("inquiry", "partner_desk")},
            initial="inquiry",
        )
        journey = Journey(Playbook(name="partner-desk", lifecycle=lifecycle))
        with pytest.raises(ValidationError) as info:
            journey.do(MoveStage(to_stage="partner_desk"))
        assert info.value.paths == ("owner",)
        journey.do(MoveStage(to_stage="partner_desk", owner=Party.partner("p-9")))
        assert journey.lead.owner == Party.partner("p-9")


class TestPurity:
    def test_deciding_twice_gives_the_same_events(self) -> None:
        """The same lead, command, playbook and now always decide the same events."""
        lead = Journey().lead
        command = MoveStage(to_stage="mql", reason="score 80")
        now = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
        first = decide(lead, command, DEFAULT_PLAYBOOK, now=now)
        assert decide(lead, command, DEFAULT_PLAYBOOK, now=now) == first
        assert isinstance(first[0], StageChanged)

    def test_deciding_does_not_change_the_lead(self) -> None:
        """Deciding returns events; the lead passed in is untouched."""
        lead = Journey().lead
        snapshot = attrs.evolve(lead)
        decide(lead, Disqualify(reason="spam"), DEFAULT_PLAYBOOK, now=MONDAY)
        assert lead == snapshot

    def test_event_types_of_the_basic_commands(self) -> None:
        """Notes and erasures each decide exactly their own event."""
        lead = Journey().lead
        note = decide(lead, AddNote(text="x"), DEFAULT_PLAYBOOK, now=MONDAY)
        erase = decide(lead, Erase(), DEFAULT_PLAYBOOK, now=MONDAY)
        assert [type(e) for e in note] == [NoteAdded]
        assert [type(e) for e in erase] == [PersonalDataErased]
