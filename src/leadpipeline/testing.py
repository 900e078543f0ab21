"""The adapter contract as importable test classes, for our adapters and a host's own.

Subclass `LeadStoreContract` (or `NotifierContract`) in a test module whose class name
starts with ``Test``, implement the factory, and pytest runs the whole contract against
your adapter::

    class TestMyStore(LeadStoreContract):
        def make_store(self) -> LeadStore:
            return MyStore(...)

This module imports without pytest; the tests import it when they run.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from leadpipeline.adapters.notification import Notifier
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.errors import ConflictError, NotFoundError, ValidationError
from leadpipeline.events import ERASED, Event, NoteAdded, Offered, evolve, replay
from leadpipeline.lead import Company, Contact, Interaction, InteractionKind, Lead, Party, Source
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.serialization import to_json
from leadpipeline.stages.commands import (
    AddNote,
    Capture,
    Command,
    Disqualify,
    Erase,
    Merge,
    MoveStage,
    RecordInteraction,
    UpdateProfile,
)
from leadpipeline.stages.decide import decide
from leadpipeline.stages.notify import Notification
from leadpipeline.stages.transition import Transition, transition

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["LeadStoreContract", "NotifierContract"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Monday morning, when the trade-fair leads are imported."""

_CLOSED = DEFAULT_PLAYBOOK.lifecycle.closed_stages

_EMAIL = "annika.lindqvist@example.com"
_NAME = "Lindqvist"
_PHONE = "+46 8 555 0101"


def _pytest() -> ModuleType:
    import pytest  # noqa: PLC0415  # imported late so this module loads without pytest

    return pytest


def captured(
    lead_id: str,
    *,
    at: datetime = T0,
    email: str | None = None,
    last_name: str = "Berg",
    company: str | None = None,
    domain: str | None = None,
    source_id: str | None = None,
) -> tuple[tuple[Event, ...], Lead]:
    """The events and snapshot of a freshly captured lead, decided as the shell would."""
    lead = Lead(
        id=lead_id,
        source=Source(channel="exhibition", captured_at=at, source_id=source_id),
        contact=Contact(first_name="Eva", last_name=last_name, email=email),
        company=Company(name=company, domain=domain),
    )
    events = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=at)
    return events, replay(events)


def step(lead: Lead, command: Command, at: datetime) -> tuple[tuple[Event, ...], Lead]:
    """The events a command decides on `lead`, and the lead after them."""
    events = decide(lead, command, DEFAULT_PLAYBOOK, now=at)
    after = lead
    for event in events:
        after = evolve(after, event)
    return events, after


def _note(lead: Lead, kind: str, recipient: Party, at: datetime, message: str = "") -> Notification:
    return Notification.about(
        lead_id=lead.id,
        version=lead.version,
        kind=kind,
        recipient=recipient,
        message=message or f"{kind} {lead.id}",
        created_at=at,
        due_at=at + timedelta(hours=4),
    )


class LeadStoreContract:
    """Every `LeadStore` behaves like this; subclass it and implement `make_store`."""

    store: LeadStore

    def make_store(self) -> LeadStore:
        """A new, empty store for one test."""
        raise NotImplementedError

    def close_store(self, store: LeadStore) -> None:
        """Release the store after a test; calls ``store.close()`` when it has one."""
        close = getattr(store, "close", None)
        if callable(close):
            close()

    def setup_method(self, method: Any) -> None:
        """Give each test its own empty store."""
        self.store = self.make_store()

    def teardown_method(self, method: Any) -> None:
        """Release the test's store."""
        self.close_store(self.store)

    # -- helpers ------------------------------------------------------------------

    def record(
        self,
        lead_id: str,
        *,
        expected_version: int,
        events: tuple[Event, ...],
        after: Lead,
        notifications: Sequence[Notification] = (),
        due_at: datetime | None = None,
    ) -> None:
        """Record a transition built by hand, as a test of the store alone needs."""
        self.store.record(
            Transition(
                lead_id=lead_id,
                expected_version=expected_version,
                events=events,
                after=after,
                notifications=tuple(notifications),
                due_at=due_at,
            )
        )

    def new(self, lead_id: str, **fields: Any) -> Lead:
        """Capture a lead into the store and return its snapshot."""
        events, lead = captured(lead_id, **fields)
        self.record(lead_id, expected_version=0, events=events, after=lead)
        return lead

    def do(
        self,
        lead: Lead,
        command: Command,
        at: datetime,
        *,
        notifications: Sequence[Notification] = (),
        due_at: datetime | None = None,
    ) -> Lead:
        """Decide `command` on `lead`, append the events, and return the new snapshot."""
        events, after = step(lead, command, at)
        self.record(
            lead.id,
            expected_version=lead.version,
            events=events,
            after=after,
            notifications=notifications,
            due_at=due_at,
        )
        return after

    def to_opportunity(self, lead: Lead, owner: Party, at: datetime) -> Lead:
        """Walk a lead down the waterfall to an opportunity held by `owner`."""
        for stage in ("mql", "sal", "sql"):
            lead = self.do(lead, MoveStage(to_stage=stage), at)
        return self.do(lead, MoveStage(to_stage="opportunity", owner=owner), at)

    def offer(self, lead: Lead, partner_id: str, at: datetime) -> Lead:
        """Record an open offer of the lead to one partner."""
        event = Offered(
            lead_id=lead.id,
            at=at,
            actor=Party.sales(),
            partner_id=partner_id,
            expires_at=at + timedelta(days=3),
        )
        after = evolve(lead, event)
        self.record(lead.id, expected_version=lead.version, events=(event,), after=after)
        return after

    # -- load, append, history ----------------------------------------------------

    def test_unknown_lead_is_not_found(self) -> None:
        """Loading, reading the history or the outbox of an unknown lead raises NotFoundError."""
        pytest = _pytest()
        with pytest.raises(NotFoundError):
            self.store.load("L-404")
        with pytest.raises(NotFoundError):
            self.store.history("L-404")
        with pytest.raises(NotFoundError):
            self.store.outbox("L-404")

    def test_append_then_load_round_trips(self) -> None:
        """A captured lead loads back equal to its snapshot, with its history at version 1."""
        events, lead = captured("L-1", email="eva.berg@example.com", source_id="badge-1")
        self.record("L-1", expected_version=0, events=events, after=lead)
        assert self.store.load("L-1") == lead
        assert self.store.load("L-1").version == 1
        assert self.store.history("L-1") == events

    def test_later_appends_continue_the_history(self) -> None:
        """Appends on the current version extend the history in order and bump the version."""
        lead = self.new("L-1")
        touch = Interaction(kind=InteractionKind.SITE_VISIT, at=T0, detail="pricing page")
        lead = self.do(lead, RecordInteraction(interaction=touch), T0 + timedelta(hours=1))
        lead = self.do(lead, MoveStage(to_stage="mql", reason="visited pricing"), T0)
        assert self.store.load("L-1") == lead
        assert lead.version == 3
        assert replay(self.store.history("L-1")) == lead

    def test_stale_version_conflicts_and_writes_nothing(self) -> None:
        """An append on a stale version raises ConflictError and leaves everything as it was."""
        pytest = _pytest()
        lead = self.new("L-1")
        current = self.do(lead, AddNote(text="called, no answer"), T0)
        history, outbox = self.store.history("L-1"), self.store.outbox("L-1")
        events, after = step(lead, MoveStage(to_stage="mql"), T0)
        with pytest.raises(ConflictError) as caught:
            self.record(
                "L-1",
                expected_version=lead.version,
                events=events,
                after=after,
                notifications=(_note(after, "handed_over", Party.sales(team="inside-sales"), T0),),
            )
        assert (caught.value.lead_id, caught.value.expected, caught.value.actual) == ("L-1", 1, 2)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == current
        assert self.store.outbox("L-1") == outbox
        assert self.store.pending(now=T0 + timedelta(days=1)) == ()

    def test_capturing_an_existing_lead_conflicts(self) -> None:
        """Expecting version 0 for a lead that exists raises ConflictError naming its version."""
        pytest = _pytest()
        first = self.new("L-1", email="eva.berg@example.com")
        events, lead = captured("L-1", email="other@example.com")
        with pytest.raises(ConflictError) as caught:
            self.record("L-1", expected_version=0, events=events, after=lead)
        assert caught.value.actual == 1
        assert self.store.load("L-1") == first

    def test_appending_to_an_unknown_lead_conflicts(self) -> None:
        """Expecting a version of a lead the store has never seen raises ConflictError."""
        pytest = _pytest()
        lead = replay(captured("L-1")[0])
        events, after = step(lead, AddNote(text="follow up"), T0)
        with pytest.raises(ConflictError) as caught:
            self.record("L-1", expected_version=1, events=events, after=after)
        assert caught.value.actual is None
        with pytest.raises(NotFoundError):
            self.store.load("L-1")

    def test_snapshot_must_follow_the_events(self) -> None:
        """A snapshot whose version does not match the events is refused and nothing lands."""
        pytest = _pytest()
        lead = self.new("L-1")
        events, _ = step(lead, AddNote(text="follow up"), T0)
        with pytest.raises(ValidationError) as caught:
            self.record("L-1", expected_version=1, events=events, after=lead)
        assert "after.version" in caught.value.paths
        assert self.store.load("L-1") == lead
        assert len(self.store.history("L-1")) == 1

    def test_append_many_is_all_or_nothing(self) -> None:
        """A batch with one stale request writes none of its requests."""
        pytest = _pytest()
        self.new("L-1")
        good_events, good = captured("L-2", source_id="badge-2")
        stale_events, stale = captured("L-1", email="second.capture@example.com")
        batch = [
            Transition(
                lead_id="L-2",
                expected_version=0,
                events=good_events,
                after=good,
                notifications=(_note(good, "captured", Party.marketing(), T0),),
            ),
            Transition(lead_id="L-1", expected_version=0, events=stale_events, after=stale),
        ]
        with pytest.raises(ConflictError):
            self.store.record_many(batch)
        with pytest.raises(NotFoundError):
            self.store.load("L-2")
        assert self.store.find_by_source_id("badge-2") is None
        assert self.store.pending(now=T0 + timedelta(days=1)) == ()
        self.store.record_many(batch[:1])
        assert self.store.load("L-2") == good

    def test_append_many_chains_requests_for_one_lead(self) -> None:
        """Requests for the same lead in one batch apply in order, each on the previous."""
        first_events, first = captured("L-1")
        note_events, noted = step(first, AddNote(text="met at the booth"), T0)
        self.store.record_many(
            [
                Transition(lead_id="L-1", expected_version=0, events=first_events, after=first),
                Transition(lead_id="L-1", expected_version=1, events=note_events, after=noted),
            ]
        )
        assert self.store.load("L-1") == noted
        assert self.store.history("L-1") == (*first_events, *note_events)

    # -- queries ------------------------------------------------------------------

    def test_query_by_stage(self) -> None:
        """Querying by stage returns exactly the leads in that stage."""
        self.new("L-1")
        mql = self.do(self.new("L-2"), MoveStage(to_stage="mql"), T0)
        assert self.store.query(stage="mql") == (mql,)
        assert [x.id for x in self.store.query(stage="inquiry")] == ["L-1"]
        assert self.store.query(stage="customer") == ()

    def test_query_by_owner(self) -> None:
        """Querying by owner matches the owning party exactly, team included."""
        self.new("L-1")
        lead = self.do(self.new("L-2"), MoveStage(to_stage="mql"), T0)
        team = Party.sales(team="inside-sales")
        lead = self.do(lead, MoveStage(to_stage="sal", owner=team), T0)
        assert [x.id for x in self.store.query(owner=team)] == ["L-2"]
        assert self.store.query(owner=Party.sales(team="pre-sales")) == ()
        assert [x.id for x in self.store.query(owner=Party.marketing())] == ["L-1"]

    def test_query_by_partner_finds_held_and_offered_leads(self) -> None:
        """A partner sees the leads it holds and those with an open offer to it."""
        held = self.to_opportunity(self.new("L-1"), Party.partner("p-7"), T0)
        offered = self.offer(self.to_opportunity(self.new("L-2"), Party.sales(), T0), "p-7", T0)
        self.offer(self.to_opportunity(self.new("L-3"), Party.sales(), T0), "p-9", T0)
        assert self.store.query(partner_id="p-7") == (held, offered)
        assert [x.id for x in self.store.query(partner_id="p-9")] == ["L-3"]
        assert self.store.query(partner_id="p-1") == ()

    def test_query_due_before_orders_by_urgency(self) -> None:
        """Leads due before a time come back most urgent first, and `limit` keeps the first."""
        later = self.do(self.new("L-1"), AddNote(text="a"), T0, due_at=T0 + timedelta(hours=8))
        sooner = self.do(self.new("L-2"), AddNote(text="b"), T0, due_at=T0 + timedelta(hours=2))
        self.do(self.new("L-3"), AddNote(text="c"), T0, due_at=T0 + timedelta(days=2))
        self.new("L-4")
        cutoff = T0 + timedelta(days=1)
        assert self.store.query(due_before=cutoff) == (sooner, later)
        assert self.store.query(due_before=cutoff, limit=1) == (sooner,)
        assert [x.id for x in self.store.query()] == ["L-2", "L-1", "L-3", "L-4"]

    def test_count_agrees_with_query(self) -> None:
        """`count` with any filters is the number of leads `query` returns with them."""
        held = self.to_opportunity(self.new("L-1"), Party.partner("p-7"), T0)
        self.offer(self.to_opportunity(self.new("L-2"), Party.sales(), T0), "p-7", T0)
        self.do(self.new("L-3"), AddNote(text="a"), T0, due_at=T0 + timedelta(hours=2))
        self.new("L-4")
        filters: list[dict[str, Any]] = [
            {},
            {"stage": "opportunity"},
            {"stage": "inquiry"},
            {"owner": held.owner},
            {"owner": Party.marketing()},
            {"partner_id": "p-7"},
            {"partner_id": "p-8"},
            {"due_before": T0 + timedelta(days=1)},
            {"stage": "inquiry", "due_before": T0 + timedelta(days=1)},
        ]
        for given in filters:
            assert self.store.count(**given) == len(self.store.query(**given)), given
        assert self.store.count(partner_id="p-7") == 2

    def test_due_at_is_replaced_by_each_append(self) -> None:
        """An append without a deadline clears the lead's previous one."""
        lead = self.do(self.new("L-1"), AddNote(text="a"), T0, due_at=T0 + timedelta(hours=1))
        self.do(lead, AddNote(text="b"), T0)
        assert self.store.query(due_before=T0 + timedelta(days=9)) == ()

    def test_find_by_source_id_covers_merged_sources(self) -> None:
        """A captured or merged source record finds its lead; an unknown one finds nothing."""
        lead = self.new("L-1", source_id="badge-1")
        merged = Source(channel="web", captured_at=T0, source_id="form-77")
        self.do(lead, Merge(source=merged), T0)
        assert self.store.find_by_source_id("badge-1") == "L-1"
        assert self.store.find_by_source_id("form-77") == "L-1"
        assert self.store.find_by_source_id("form-78") is None

    def test_find_by_source_ids_answers_a_batch_at_once(self) -> None:
        """Many source ids are looked up at once; only the known ones come back."""
        lead = self.new("L-1", source_id="badge-1")
        self.new("L-2", source_id="badge-2")
        merged = Source(channel="web", captured_at=T0, source_id="form-77")
        self.do(lead, Merge(source=merged), T0)
        found = self.store.find_by_source_ids(["badge-2", "form-77", "nope", "badge-1", "nope"])
        assert found == {"badge-1": "L-1", "badge-2": "L-2", "form-77": "L-1"}
        assert self.store.find_by_source_ids([]) == {}
        many = [f"unknown-{n}" for n in range(1200)] + ["badge-2"]
        assert self.store.find_by_source_ids(iter(many)) == {"badge-2": "L-2"}

    def test_find_by_source_ids_agrees_with_single_lookups(self) -> None:
        """Each answer is `find_by_source_id`'s: a record two leads hold finds the smaller id.

        The larger id holds the record first, so "the first holder" is not mistaken for
        "the smallest id".
        """
        self.new("L-2", source_id="badge-1")
        smaller = self.new("L-1", source_id="badge-2")
        merged = Source(channel="web", captured_at=T0, source_id="badge-1")
        self.do(smaller, Merge(source=merged), T0)
        asked = ["badge-1", "badge-2", "badge-3"]
        found = self.store.find_by_source_ids(asked)
        assert found == {"badge-1": "L-1", "badge-2": "L-1"}
        for source_id in asked:
            assert found.get(source_id) == self.store.find_by_source_id(source_id)

    def test_find_by_source_ids_refuses_a_lone_string(self) -> None:
        """A single string is refused rather than looked up letter by letter; so is a number."""
        pytest = _pytest()
        self.new("L-1", source_id="b")
        with pytest.raises(ValidationError) as caught:
            self.store.find_by_source_ids("badge-1")
        assert caught.value.paths == ("source_ids",)
        with pytest.raises(ValidationError) as caught:
            self.store.find_by_source_ids(["b", 7])  # type: ignore[list-item]
        assert caught.value.paths == ("source_ids[1]",)

    def test_find_duplicate_by_email_or_company(self) -> None:
        """A duplicate matches the normalised email, or both domain and company name."""
        self.new("L-1", email="Eva.Berg@Example.com", company="Acme Tools", domain="acme.example")
        self.new("L-2", company="Nordic Pumps AB", domain="nordicpumps.example")
        find = functools.partial(self.store.find_duplicate, closed_stages=_CLOSED)
        assert find(email=" eva.berg@example.COM", domain=None, company_name=None) == "L-1"
        by_company = find(
            email=None, domain="WWW.nordicpumps.example", company_name="nordic  pumps ab"
        )
        assert by_company == "L-2"
        assert find(email=None, domain="nordicpumps.example", company_name=None) is None
        assert find(email="nobody@example.com", domain=None, company_name=None) is None

    def test_find_duplicate_ignores_closed_leads(self) -> None:
        """A disqualified lead is not a duplicate of a new capture."""
        lead = self.new("L-1", email="eva.berg@example.com")
        self.do(lead, Disqualify(reason="student"), T0)
        found = self.store.find_duplicate(
            email="eva.berg@example.com", domain=None, company_name=None, closed_stages=_CLOSED
        )
        assert found is None

    # -- the outbox ---------------------------------------------------------------

    def test_outbox_entries_land_with_the_append(self) -> None:
        """Notifications appended with events are pending from their creation time on."""
        lead = self.new("L-1")
        at = T0 + timedelta(minutes=5)
        events, after = step(lead, MoveStage(to_stage="mql"), at)
        first = _note(after, "handed_over", Party.sales(team="inside-sales"), at)
        second = _note(after, "handed_over", Party.sales(team="pre-sales"), at)
        self.record(
            "L-1",
            expected_version=1,
            events=events,
            after=after,
            notifications=(first, second),
        )
        entries = self.store.outbox("L-1")
        assert [e.notification for e in entries] == [first, second]
        assert all(e.attempts == 0 and e.delivered_at is None for e in entries)
        assert self.store.pending(now=at - timedelta(seconds=1)) == ()
        assert self.store.pending(now=at) == entries
        assert self.store.pending(now=at, limit=1) == entries[:1]

    def test_mark_delivered_takes_an_entry_out_of_pending(self) -> None:
        """A delivered entry is no longer pending and keeps its delivery time."""
        lead = self.new("L-1")
        note = _note(lead, "captured", Party.marketing(), T0)
        self.do(lead, AddNote(text="x"), T0, notifications=(note,))
        (entry,) = self.store.pending(now=T0)
        delivered_at = T0 + timedelta(seconds=3)
        self.store.mark_delivered(entry.id, delivered_at)
        self.store.mark_delivered(entry.id, delivered_at + timedelta(hours=1))
        assert self.store.pending(now=T0 + timedelta(days=1)) == ()
        (after,) = self.store.outbox("L-1")
        assert after.delivered_at == delivered_at
        assert after.attempts == 1

    def test_mark_failed_retries_at_the_given_time(self) -> None:
        """A failed entry counts the attempt, keeps the error and is pending again at retry_at."""
        lead = self.new("L-1")
        self.do(
            lead,
            AddNote(text="x"),
            T0,
            notifications=(_note(lead, "offered", Party.partner("p"), T0),),
        )
        (entry,) = self.store.pending(now=T0)
        retry_at = T0 + timedelta(minutes=5)
        self.store.mark_failed(entry.id, error="portal down", retry_at=retry_at)
        assert self.store.pending(now=retry_at - timedelta(seconds=1)) == ()
        (again,) = self.store.pending(now=retry_at)
        assert (again.id, again.attempts, again.last_error) == (entry.id, 1, "portal down")
        assert again.next_attempt_at == retry_at

    def test_marking_an_unknown_entry_is_not_found(self) -> None:
        """Marking an outbox entry that does not exist raises NotFoundError."""
        pytest = _pytest()
        with pytest.raises(NotFoundError):
            self.store.mark_delivered(999, T0)
        with pytest.raises(NotFoundError):
            self.store.mark_failed(999, error="x", retry_at=T0)

    # -- erasure ------------------------------------------------------------------

    def _personal_lead(self) -> Lead:
        lead = self.new("L-1", email=_EMAIL, last_name=_NAME, company="Acme", domain="acme.example")
        touch = Interaction(
            kind=InteractionKind.FORM_SUBMIT, at=T0, detail=f"quote request from {_EMAIL}"
        )
        lead = self.do(lead, RecordInteraction(interaction=touch), T0)
        lead = self.do(
            lead,
            UpdateProfile(contact=Contact(last_name=_NAME, email=_EMAIL, phone=_PHONE)),
            T0 + timedelta(minutes=1),
        )
        lead = self.do(lead, AddNote(text=f"{_NAME} prefers calls on {_PHONE}"), T0)
        note = _note(
            lead, "handed_over", Party.sales(team="inside-sales"), T0, f"Call {_NAME} on {_PHONE}"
        )
        return self.do(lead, MoveStage(to_stage="mql"), T0, notifications=(note,))

    def plan_erasure(self, lead_id: str, at: datetime) -> Transition:
        """The erasure the core decides for the lead as stored, as the shell asks for it."""
        return transition(
            self.store.load(lead_id),
            Erase(),
            DEFAULT_PLAYBOOK,
            now=at,
            history=self.store.history(lead_id),
            outbox=self.store.outbox(lead_id),
        )

    def erase(self, lead_id: str, at: datetime) -> tuple[Event, ...]:
        """Erase a lead the way the shell does; returns the history before erasure."""
        before = self.store.history(lead_id)
        self.store.record(self.plan_erasure(lead_id, at))
        return before

    def test_erase_removes_personal_data_everywhere(self) -> None:
        """After erasure no stored event, snapshot or outbox entry holds the personal data."""
        self._personal_lead()
        self.erase("L-1", T0 + timedelta(days=30))
        stored = [
            to_json(self.store.history("L-1"), tuple[Event, ...]),
            to_json(self.store.load("L-1")),
            *(to_json(e) for e in self.store.outbox("L-1")),
        ]
        for text in stored:
            for secret in (_EMAIL, _NAME, _PHONE):
                assert secret not in text
        lead = self.store.load("L-1")
        assert lead.erased
        assert lead.contact.email == ERASED

    def test_erase_keeps_stages_and_timings(self) -> None:
        """Erasure keeps every event's kind, time and stage, and appends the erasure event."""
        before_lead = self._personal_lead()
        before = self.erase("L-1", T0 + timedelta(days=30))
        after = self.store.history("L-1")
        assert len(after) == len(before) + 1
        assert [(type(e), e.at) for e in after[:-1]] == [(type(e), e.at) for e in before]
        assert type(after[-1]).__name__ == "PersonalDataErased"
        lead = self.store.load("L-1")
        assert (lead.stage, lead.owner, lead.version) == (
            before_lead.stage,
            before_lead.owner,
            before_lead.version + 1,
        )
        assert self.store.query(stage="mql") == (lead,)

    def test_erased_lead_is_no_duplicate(self) -> None:
        """An erased person is never matched to a new capture, by email or by company."""
        self._personal_lead()
        find = functools.partial(self.store.find_duplicate, closed_stages=_CLOSED)
        assert find(email=None, domain="acme.example", company_name="Acme") == "L-1"
        self.erase("L-1", T0 + timedelta(days=30))
        assert find(email=_EMAIL, domain=None, company_name=None) is None
        assert find(email=None, domain="acme.example", company_name="Acme") is None

    def test_erase_keeps_each_entrys_delivery_state(self) -> None:
        """Erasure rewrites an outbox entry's text and error, never its attempts or delivery."""
        self._personal_lead()
        (entry,) = self.store.outbox("L-1")
        retry_at = T0 + timedelta(minutes=5)
        self.store.mark_failed(entry.id, error=f"mailbox of {_EMAIL} full", retry_at=retry_at)
        self.erase("L-1", T0 + timedelta(days=30))
        (after,) = self.store.outbox("L-1")
        assert (after.id, after.attempts, after.next_attempt_at) == (entry.id, 1, retry_at)
        assert after.delivered_at is None
        assert after.last_error == ERASED
        assert _NAME not in after.notification.message
        assert after.notification.key == entry.notification.key

    def test_erase_after_a_concurrent_write_conflicts(self) -> None:
        """An erasure planned before another write landed conflicts and changes nothing."""
        pytest = _pytest()
        self._personal_lead()
        planned = self.plan_erasure("L-1", T0 + timedelta(days=30))
        lead = self.do(self.store.load("L-1"), AddNote(text=f"call {_NAME} again"), T0)
        history = self.store.history("L-1")
        with pytest.raises(ConflictError) as caught:
            self.store.record(planned)
        assert (caught.value.expected, caught.value.actual) == (lead.version - 1, lead.version)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == lead

    def test_erase_with_a_negative_version_is_invalid(self) -> None:
        """A negative expected version is a programming error, not a retryable conflict."""
        pytest = _pytest()
        lead = self._personal_lead()
        planned = self.plan_erasure("L-1", T0)
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(planned, expected_version=-1)
        assert "expected_version" in caught.value.paths
        assert self.store.load("L-1") == lead

    def test_erase_on_a_stale_version_conflicts(self) -> None:
        """An erasure decided on a stale version raises ConflictError and changes nothing."""
        pytest = _pytest()
        lead = self._personal_lead()
        history = self.store.history("L-1")
        stale = replay(history[:-1])
        planned = transition(stale, Erase(), DEFAULT_PLAYBOOK, now=T0, history=history[:-1])
        with pytest.raises(ConflictError) as caught:
            self.store.record(planned)
        assert (caught.value.expected, caught.value.actual) == (stale.version, lead.version)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == lead

    # -- concurrency --------------------------------------------------------------

    def test_concurrent_writers_never_lose_an_update(self) -> None:
        """Eight threads appending to two leads either land or conflict; retries converge."""
        threads_n, appends_each = 8, 6
        for lead_id in ("L-1", "L-2"):
            self.new(lead_id)
        barrier = threading.Barrier(threads_n)
        conflicts = [0] * threads_n
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                barrier.wait()
                for i in range(appends_each):
                    lead_id = ("L-1", "L-2")[(n + i) % 2]
                    while True:
                        lead = self.store.load(lead_id)
                        events, after = step(lead, AddNote(text=f"writer {n} note {i}"), T0)
                        try:
                            self.record(
                                lead_id,
                                expected_version=lead.version,
                                events=events,
                                after=after,
                            )
                            break
                        except ConflictError:
                            conflicts[n] += 1
            except BaseException as exc:  # surfaced below, on the test's thread
                errors.append(exc)

        workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        notes = [
            e.text
            for lead_id in ("L-1", "L-2")
            for e in self.store.history(lead_id)
            if isinstance(e, NoteAdded)
        ]
        assert len(notes) == threads_n * appends_each
        assert len(set(notes)) == len(notes)
        total = sum(self.store.load(lead_id).version for lead_id in ("L-1", "L-2"))
        assert total == 2 + threads_n * appends_each


class NotifierContract:
    """Every `Notifier` behaves like this; implement `make_notifier` and `received`."""

    notifier: Notifier

    def make_notifier(self) -> Notifier:
        """A new notifier for one test."""
        raise NotImplementedError

    def received(self) -> Sequence[Notification]:
        """What the receiving side got from the notifier, in order, duplicates included."""
        raise NotImplementedError

    def setup_method(self, method: Any) -> None:
        """Give each test its own notifier."""
        self.notifier = self.make_notifier()

    @staticmethod
    def notification(key: str, recipient: Party | None = None) -> Notification:
        """A notification as the shell would record it."""
        return Notification(
            key=key,
            lead_id="L-1",
            kind="offered",
            recipient=recipient or Party.partner("p-7"),
            message="New lead offered: Nordic Pumps AB, pumps for a new plant",
            due_at=T0 + timedelta(hours=48),
            created_at=T0,
        )

    def test_delivers_the_notification_unchanged(self) -> None:
        """A delivered notification reaches the receiver with every field intact."""
        note = self.notification("L-1:5:offered:partner/p-7")
        self.notifier.deliver(note)
        assert list(self.received()) == [note]

    def test_redelivery_is_harmless(self) -> None:
        """Delivering the same notification twice succeeds; the key identifies the duplicate."""
        note = self.notification("L-1:5:offered:partner/p-7")
        self.notifier.deliver(note)
        self.notifier.deliver(note)
        got = self.received()
        assert {n.key for n in got} == {note.key}
        assert 1 <= len(got) <= 2

    def test_every_key_arrives(self) -> None:
        """Notifications to several recipients all arrive, each with its own key."""
        notes = [
            self.notification(f"L-1:5:offered:partner/p-{i}", Party.partner(f"p-{i}"))
            for i in (1, 2, 3)
        ]
        for note in notes:
            self.notifier.deliver(note)
        assert {n.key for n in self.received()} == {n.key for n in notes}
