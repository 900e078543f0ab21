"""Events and the fold: how each fact changes the lead, and erasure of personal data."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import (
    Company,
    Contact,
    Event,
    Interaction,
    InteractionKind,
    Lead,
    Party,
    Source,
    ValidationError,
    replay,
)
from leadpipeline.events import (
    ERASED,
    Accepted,
    ChannelAllocated,
    Disqualified,
    Escalated,
    InteractionRecorded,
    LeadCaptured,
    Merged,
    NoteAdded,
    Offered,
    OfferWithdrawn,
    OwnerChanged,
    PartnerAccepted,
    PersonalDataErased,
    ProfileUpdated,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
    StageChanged,
    evolve,
    redact,
)
from tests.strategies import event_of

AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
NAIVE = datetime(2026, 3, 4, 10, 0)  # naive on purpose: the refusals are the point
MKT = Party.marketing()
FAIR = Source(channel="exhibition", captured_at=AT, source_id="badge-4711")


def captured(**lead_fields: Any) -> LeadCaptured:
    lead = Lead(
        id="L-1",
        source=FAIR,
        contact=Contact(first_name="Ada", last_name="Meyer", email="ada@acme.de"),
        notes=("met at booth 7",),
        **lead_fields,
    )
    return LeadCaptured(lead_id="L-1", at=AT, actor=MKT, lead=lead)


def base(minutes: int = 1) -> dict[str, Any]:
    return {"lead_id": "L-1", "at": AT + timedelta(minutes=minutes), "actor": MKT}


def start() -> Lead:
    return evolve(None, captured())


class TestEvolve:
    def test_capture_starts_the_lead_at_version_one(self) -> None:
        """Folding LeadCaptured into nothing gives its snapshot at version 1."""
        lead = start()
        assert (lead.id, lead.stage, lead.version) == ("L-1", "inquiry", 1)

    def test_history_must_start_with_capture(self) -> None:
        """A history whose first event is not LeadCaptured is refused at events[0]."""
        with pytest.raises(ValidationError) as info:
            evolve(None, NoteAdded(**base(), text="hello"))
        assert info.value.paths == ("events[0]",)

    def test_capturing_twice_is_refused(self) -> None:
        """A lead is captured once; duplicates are merged instead."""
        with pytest.raises(ValidationError) as info:
            evolve(start(), captured())
        assert info.value.paths == ("event",)

    def test_event_for_another_lead_is_refused(self) -> None:
        """An event naming another lead cannot be folded in."""
        with pytest.raises(ValidationError) as info:
            evolve(start(), NoteAdded(lead_id="L-2", at=AT, actor=MKT, text="x"))
        assert info.value.paths == ("lead_id",)

    def test_interaction_is_appended(self) -> None:
        """A recorded touch is kept in order."""
        touch = Interaction(kind=InteractionKind.WEBINAR, at=AT, detail="pricing webinar")
        lead = evolve(start(), InteractionRecorded(**base(), interaction=touch))
        assert lead.interactions == (touch,)

    def test_profile_update_replaces_only_given_parts(self) -> None:
        """Updating the company leaves contact and needs as they were."""
        before = start()
        company = Company(name="Acme", employees=250)
        lead = evolve(before, ProfileUpdated(**base(), company=company))
        assert (lead.company, lead.contact, lead.needs) == (company, before.contact, before.needs)

    def test_stage_and_owner_change(self) -> None:
        """A stage move and an owner change update the lead and bump the version each."""
        lead = evolve(start(), StageChanged(**base(), from_stage="inquiry", to_stage="mql"))
        lead = evolve(lead, OwnerChanged(**base(2), from_owner=MKT, to_owner=Party.sales()))
        assert (lead.stage, lead.owner, lead.version) == ("mql", Party.sales(), 3)

    def test_offer_then_withdrawal(self) -> None:
        """An offer opens at the event time; withdrawing it closes it."""
        expires = AT + timedelta(days=3)
        lead = evolve(start(), Offered(**base(), partner_id="p-1", expires_at=expires))
        assert [(o.partner_id, o.offered_at, o.expires_at) for o in lead.offers] == [
            ("p-1", AT + timedelta(minutes=1), expires)
        ]
        lead = evolve(lead, OfferWithdrawn(**base(2), partner_id="p-1", reason="won by p-2"))
        assert lead.offers == ()

    def test_reoffer_replaces_the_open_offer(self) -> None:
        """Offering to the same partner again keeps one offer with the new expiry."""
        lead = evolve(start(), Offered(**base(), partner_id="p-1", expires_at=AT + timedelta(1)))
        lead = evolve(lead, Offered(**base(2), partner_id="p-1", expires_at=AT + timedelta(2)))
        assert [o.expires_at for o in lead.offers] == [AT + timedelta(2)]

    def test_partner_acceptance_closes_its_offer(self) -> None:
        """The accepting partner's offer is no longer open."""
        lead = evolve(start(), Offered(**base(), partner_id="p-1", expires_at=AT + timedelta(1)))
        lead = evolve(lead, PartnerAccepted(**base(2), partner_id="p-1"))
        assert lead.offered_to == ()

    @pytest.mark.parametrize("kind", ["returned", "reclaimed"])
    def test_partners_that_gave_a_lead_back_are_remembered(self, kind: str) -> None:
        """A returned or reclaimed lead remembers the partner, so it is not offered again."""
        given_back: Event = (
            Returned(**base(), partner_id="p-1", reason="no_budget", comment="budget frozen")
            if kind == "returned"
            else Reclaimed(**base(), partner_id="p-1", reason="inactive")
        )
        lead = evolve(start(), given_back)
        lead = evolve(lead, attrs.evolve(given_back, at=AT + timedelta(hours=1)))
        assert lead.returned_by == ("p-1",)

    def test_merge_keeps_the_original_source_first(self) -> None:
        """A duplicate from a webinar adds its source and touches; the fair stays first."""
        webinar = Source(channel="webinar", captured_at=AT + timedelta(days=2))
        touch = Interaction(kind=InteractionKind.WEBINAR, at=AT + timedelta(days=2))
        lead = evolve(start(), Merged(**base(), source=webinar, interactions=(touch,)))
        assert lead.source == FAIR
        assert lead.sources == (FAIR, webinar)
        assert lead.interactions == (touch,)

    def test_erasure_tombstones_contact_and_drops_notes(self) -> None:
        """After erasure the name and email are tombstones; the job title and stage remain."""
        lead = attrs.evolve(start(), contact=Contact(last_name="Meyer", job_title="CTO"))
        erased = evolve(lead, PersonalDataErased(**base()))
        assert erased.contact == Contact(last_name=ERASED, job_title="CTO")
        assert (erased.notes, erased.erased, erased.stage) == ((), True, "inquiry")

    @pytest.mark.parametrize(
        "event",
        [
            Accepted(**base()),
            Rejected(**base(), reason="no_need"),
            Disqualified(**base(), reason="student"),
            SlaBreached(**base(), policy="sal", started_at=AT, due_at=AT),
            Escalated(**base(), policy="sal", started_at=AT, step=1, action="remind"),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_record_only_events_bump_the_version(self, event: Event) -> None:
        """Events that only record a fact change nothing but the version."""
        before = start()
        assert evolve(before, event) == attrs.evolve(before, version=2)

    def test_channel_allocation_is_remembered(self) -> None:
        """The allocated channel is kept on the lead."""
        event = ChannelAllocated(
            **base(), channel="partner", rule="revenue < 5m", value="2.5e6", data_source="broker"
        )
        assert evolve(start(), event).channel == "partner"


class TestReplay:
    def test_empty_history_has_no_lead(self) -> None:
        """Replaying nothing is refused at events."""
        with pytest.raises(ValidationError) as info:
            replay(())
        assert info.value.paths == ("events",)

    def test_replay_counts_events(self) -> None:
        """Three events give version three."""
        history = (
            captured(),
            NoteAdded(**base(), text="call back Tuesday"),
            StageChanged(**base(2), from_stage="inquiry", to_stage="mql"),
        )
        assert replay(history).version == 3
        assert replay(history).notes == ("met at booth 7", "call back Tuesday")


class TestRedact:
    def test_capture_is_redacted_but_keeps_its_source(self) -> None:
        """The captured snapshot loses name and notes but keeps where it came from."""
        event = redact(captured())
        assert isinstance(event, LeadCaptured)
        assert event.lead.contact.last_name == ERASED
        assert event.lead.notes == ()
        assert event.lead.source == FAIR

    def test_notes_and_comments_are_tombstoned(self) -> None:
        """Free text that may hold personal data is replaced; reasons stay for the figures."""
        assert redact(NoteAdded(**base(), text="Ada's mobile 0170")).text == ERASED  # type: ignore[union-attr]
        returned = redact(
            Returned(**base(), partner_id="p-1", reason="no_budget", comment="Ada left")
        )
        assert isinstance(returned, Returned)
        assert (returned.reason, returned.comment) == ("no_budget", ERASED)

    def test_stage_changes_are_kept_as_they_are(self) -> None:
        """Stage moves carry no personal data and are not touched."""
        event = StageChanged(**base(), from_stage="inquiry", to_stage="mql", reason="score 80")
        assert redact(event) is event

    def test_replayed_redacted_history_keeps_stage_and_owner(self) -> None:
        """Redacting every event keeps the stage, owner and version of the replayed lead."""
        history = (
            captured(),
            NoteAdded(**base(), text="Ada's mobile 0170"),
            StageChanged(**base(2), from_stage="inquiry", to_stage="mql"),
        )
        plain, redacted = replay(history), replay(tuple(redact(e) for e in history))
        assert (redacted.stage, redacted.owner, redacted.version) == (
            plain.stage,
            plain.owner,
            plain.version,
        )
        assert redacted.notes == (ERASED,)


DATETIME_FIELDS = [
    (cls, field.name)
    for cls in typing.get_args(Event)
    for field in attrs.fields(cls)
    if "datetime" in str(field.type)
]


class TestNaiveDatetimes:
    @pytest.mark.parametrize(
        ("cls", "field"), DATETIME_FIELDS, ids=[f"{c.__name__}.{f}" for c, f in DATETIME_FIELDS]
    )
    @given(data=st.data())
    def test_every_event_datetime_refuses_naive_values(
        self, cls: type[Any], field: str, data: st.DataObject
    ) -> None:
        """Each datetime field of each event refuses a naive value, naming the field."""
        event = data.draw(event_of(cls))
        with pytest.raises(ValidationError) as info:
            attrs.evolve(event, **{field: NAIVE})
        assert info.value.paths == (field,)

    def test_every_event_has_a_time(self) -> None:
        """Every event type carries `at`, so every fact is placed in time."""
        assert {c for c, f in DATETIME_FIELDS if f == "at"} == set(typing.get_args(Event))
