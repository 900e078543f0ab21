"""The Pipeline shell: idempotent capture, merging, batch import, outbox, conflicts, erasure."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from leadpipeline import AddNote, Interaction, InteractionKind, Pipeline, decide
from leadpipeline.adapters import (
    CallbackNotifier,
    DeliveryError,
    MemoryStore,
    SimulatedClock,
    SqliteStore,
)
from leadpipeline.adapters.notification import Notification
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.errors import ConflictError, LeadIdTakenError, TransitionError, ValidationError
from leadpipeline.events import ERASED, HandedOver, Merged, OwnerChanged, evolve
from leadpipeline.lead import Party
from leadpipeline.stages import Transition
from tests.pipeline_support import PLAYBOOK, T0, DedupConsumer, fair_lead


class Wrapper:
    """A store that forwards everything to a real one; subclasses intercept some calls."""

    def __init__(self, inner: LeadStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """Each test runs on the in-memory store and on a SQLite file."""
    if request.param == "memory":
        yield MemoryStore()
    else:
        with SqliteStore(tmp_path / "leads.db") as sqlite:
            yield sqlite


def pipeline_on(store: LeadStore | Wrapper, clock: SimulatedClock | None = None) -> Pipeline:
    return Pipeline(PLAYBOOK, store=store, clock=clock or SimulatedClock(T0))


class TestCapture:
    def test_the_same_badge_scan_twice_is_one_lead(self, store: LeadStore) -> None:
        """Capturing the same source record twice stores one lead and says already_captured."""
        pipeline = pipeline_on(store)
        first = pipeline.capture(fair_lead(1))
        again = pipeline.capture(fair_lead(1, lead_id="L-1-rescan"))
        assert (first.outcome, again.outcome) == ("captured", "already_captured")
        assert again.lead.id == "L-1"
        assert [lead.id for lead in store.query()] == ["L-1"]
        assert len(store.history("L-1")) == 1

    def test_a_duplicate_by_email_is_merged_not_stored_twice(self, store: LeadStore) -> None:
        """A web form from the same person (email in other case) merges into the fair lead."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1, email="ada@acme.example"))
        result = pipeline.capture(
            fair_lead(2, email="  ADA@Acme.Example ", company="Other", domain="other.example")
        )
        assert result.outcome == "merged"
        assert [lead.id for lead in store.query()] == ["L-1"]
        lead = store.load("L-1")
        assert [s.source_id for s in lead.sources] == ["badge-1", "badge-2"]
        assert len(lead.interactions) == 6
        assert isinstance(store.history("L-1")[-1], Merged)

    def test_a_duplicate_by_company_domain_and_name_is_merged(self, store: LeadStore) -> None:
        """A colleague from the same company (same domain and name) merges into the lead."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1, company="Acme Tools", domain="acme.example"))
        result = pipeline.capture(
            fair_lead(2, email="bo@acme.example", company="ACME  tools", domain="www.acme.example")
        )
        assert result.outcome == "merged"
        assert store.load("L-1").sources[1].source_id == "badge-2"

    def test_a_merged_source_rescanned_is_already_captured(self, store: LeadStore) -> None:
        """Once merged, the duplicate's own source id is recognised and nothing is added."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1, email="ada@acme.example"))
        pipeline.capture(fair_lead(2, email="ada@acme.example"))
        again = pipeline.capture(fair_lead(2, email="ada@acme.example"))
        assert again.outcome == "already_captured"
        assert store.load("L-1").version == 2

    def test_concurrent_captures_of_one_badge_make_one_lead(self, store: LeadStore) -> None:
        """Eight threads capturing the same scan (under varying lead ids) store one lead."""
        pipeline = pipeline_on(store)
        barrier = threading.Barrier(8)
        outcomes: list[str] = []

        def capture(i: int) -> None:
            barrier.wait()
            outcomes.append(pipeline.capture(fair_lead(1, lead_id=f"L-{i % 2}")).outcome)

        threads = [threading.Thread(target=capture, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["already_captured"] * 7 + ["captured"]
        assert len(store.query()) == 1

    def test_a_capture_lost_to_another_process_is_already_captured(self, store: LeadStore) -> None:
        """When another process writes the same scan between check and write, no error, one lead."""

        class OtherProcessWinsTheRace(Wrapper):
            raced = False

            def find_by_source_id(self, source_id: str) -> str | None:
                if not self.raced:
                    return None  # the check ran before the other process wrote
                return self.inner.find_by_source_id(source_id)

            def record(self, transition: Transition) -> None:
                if not self.raced and transition.expected_version == 0:
                    self.raced = True
                    pipeline_on(self.inner).capture(fair_lead(1))
                self.inner.record(transition)

        result = pipeline_on(OtherProcessWinsTheRace(store)).capture(fair_lead(1))
        assert result.outcome == "already_captured"
        assert len(store.history("L-1")) == 1

    def test_the_same_lead_twice_without_a_source_id_is_already_captured(
        self, store: LeadStore
    ) -> None:
        """A retried capture of a lead with no source id is one lead, the second a no-op."""
        pipeline = pipeline_on(store)
        lead = without_source_id(fair_lead(1))
        first = pipeline.capture(lead)
        again = pipeline.capture(lead)
        assert (first.outcome, again.outcome) == ("captured", "already_captured")
        assert again.lead == first.lead
        assert len(store.history("L-1")) == 1

    def test_the_same_lead_after_it_moved_on_is_still_already_captured(
        self, store: LeadStore
    ) -> None:
        """A late retry of a capture finds the lead as it stands now, and changes nothing."""
        pipeline = pipeline_on(store)
        lead = without_source_id(fair_lead(1))
        pipeline.capture(lead)
        pipeline.add_note("L-1", "called back")
        again = pipeline.capture(lead)
        assert again.outcome == "already_captured"
        assert again.lead.notes == ("called back",)
        assert len(store.history("L-1")) == 2

    def test_another_lead_under_a_taken_id_names_the_differences(self, store: LeadStore) -> None:
        """A different lead under a captured id is refused with the differing fields; no write."""
        pipeline = pipeline_on(store)
        pipeline.capture(without_source_id(fair_lead(1)))
        other = without_source_id(fair_lead(2, lead_id="L-1"))
        with pytest.raises(LeadIdTakenError) as caught:
            pipeline.capture(other)
        assert "contact.email" in caught.value.differences
        assert "company.name" in caught.value.differences
        assert caught.value.http_status == 409
        assert store.load("L-1").contact.last_name == "Lind1"
        assert len(store.history("L-1")) == 1


class TestCaptureMany:
    def test_one_bad_record_refuses_the_whole_batch(self, store: LeadStore) -> None:
        """Atomic import: a lead not starting at inquiry names its index and nothing is written."""
        pipeline = pipeline_on(store)
        batch = [fair_lead(1), fair_lead(2), fair_lead(3), fair_lead(4)]
        batch[2] = evolve_stage(batch[2], "sql")
        with pytest.raises(ValidationError) as caught:
            pipeline.capture_many(batch)
        assert [path for path, _ in caught.value.problems] == ["[2]"]
        assert store.query() == ()

    def test_per_record_import_writes_the_good_ones(self, store: LeadStore) -> None:
        """atomic=False: good records are written, each refused one listed with its reason."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(9))
        batch = [
            fair_lead(1),
            evolve_stage(fair_lead(2), "mql"),
            fair_lead(3),
            fair_lead(3, source_id="badge-3b"),
            fair_lead(9),
        ]
        report = pipeline.capture_many(batch, atomic=False)
        assert report.captured == ("L-1", "L-3")
        assert report.already_captured == ("L-9",)
        assert [(r.index, r.lead_id) for r in report.refused] == [(1, "L-2"), (3, "L-3")]
        assert "inquiry" in report.refused[0].reason
        assert "twice" in report.refused[1].reason
        assert sorted(lead.id for lead in store.query()) == ["L-1", "L-3", "L-9"]

    def test_a_taken_lead_id_is_refused_not_overwritten(self, store: LeadStore) -> None:
        """A record whose id belongs to another lead is refused; the stored lead is untouched."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1))
        report = pipeline.capture_many([fair_lead(2), fair_lead(5, lead_id="L-1")], atomic=False)
        assert report.captured == ("L-2",)
        assert [r.index for r in report.refused] == [1]
        assert "differs in" in report.refused[0].reason
        assert store.load("L-1").source.source_id == "badge-1"

    def test_a_lead_recorded_under_its_id_is_already_captured(self, store: LeadStore) -> None:
        """A batch repeating a captured lead (no source id) skips it as already captured."""
        pipeline = pipeline_on(store)
        pipeline.capture(without_source_id(fair_lead(1)))
        batch = [without_source_id(fair_lead(1)), without_source_id(fair_lead(2))]
        report = pipeline.capture_many(batch)
        assert report.captured == ("L-2",)
        assert report.already_captured == ("L-1",)
        assert len(store.history("L-1")) == 1


def without_source_id(lead: Any) -> Any:
    import attrs  # noqa: PLC0415

    return attrs.evolve(lead, source=attrs.evolve(lead.source, source_id=None))


def evolve_stage(lead: Any, stage: str) -> Any:
    import attrs  # noqa: PLC0415

    return attrs.evolve(lead, stage=stage)


class RecordingStore(Wrapper):
    """Keeps every recorded transition, to see what one command wrote in one go."""

    def __init__(self, inner: LeadStore) -> None:
        super().__init__(inner)
        self.appends: list[Transition] = []

    def record(self, transition: Transition) -> None:
        self.appends.append(transition)
        self.inner.record(transition)

    def record_many(self, batch: Sequence[Transition]) -> None:
        self.appends.extend(batch)
        self.inner.record_many(batch)


class TestOutbox:
    def test_hand_over_writes_events_and_who_must_act_in_one_append(self, store: LeadStore) -> None:
        """The handover's events and sales' accept-or-reject notice land in the same append."""
        recording = RecordingStore(store)
        pipeline = pipeline_on(recording)
        pipeline.capture(fair_lead(1))
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1", to=Party.sales(team="inside-sales"))
        write = recording.appends[-1]
        assert [type(e) for e in write.events] == [HandedOver, OwnerChanged]
        notes: tuple[Notification, ...] = write.notifications
        team = Party.sales(team="inside-sales")
        assert [(n.kind, n.recipient) for n in notes] == [
            ("handed_over", team),
            ("assigned", team),
        ]
        assert all(n.due_at is not None and n.due_at > T0 for n in notes)
        assert [e.notification for e in store.outbox("L-1")][-2:] == list(notes)

    def test_a_hot_form_submit_asks_sales_on_duty_to_call_now(self, store: LeadStore) -> None:
        """A form submit from a lead with many recent touches puts a call-now notice in."""
        recording = RecordingStore(store)
        pipeline = pipeline_on(recording)
        pipeline.capture(fair_lead(1))
        for _ in range(3):
            pipeline.record_interaction("L-1", Interaction(kind=InteractionKind.SITE_VISIT, at=T0))
        assert recording.appends[-1].notifications == ()
        pipeline.record_interaction("L-1", Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0))
        notes = recording.appends[-1].notifications
        assert [(n.kind, n.recipient) for n in notes] == [
            ("call_now", Party.sales(team="inside-sales"))
        ]
        assert notes[0].due_at == T0 + timedelta(minutes=5)

    def test_every_command_writes_once_per_call(self, store: LeadStore) -> None:
        """Each command is exactly one append, so events and notifications never split."""
        recording = RecordingStore(store)
        pipeline = pipeline_on(recording)
        pipeline.capture(fair_lead(1))
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1")
        pipeline.accept("L-1")
        pipeline.qualify_sql("L-1")
        pipeline.allocate_channel("L-1")
        pipeline.offer_to_partners("L-1", ["p-gold", "p-silver"])
        assert len(recording.appends) == 7
        kinds = [e.notification.kind for e in store.outbox("L-1")]
        assert kinds.count("offered") == 2


class CompetingWriter(Wrapper):
    """Another writer slips a note onto the lead just before each of our appends."""

    def __init__(self, inner: LeadStore, *, wins: int) -> None:
        super().__init__(inner)
        self.wins = wins
        self.attempts = 0

    def record(self, transition: Transition) -> None:
        if transition.expected_version > 0:
            self.attempts += 1
            if self.wins > 0:
                self.wins -= 1
                lead = self.inner.load(transition.lead_id)
                at = T0  # the same clock as ours: a clock running backwards is refused
                events = decide(lead, AddNote(text="called, no answer"), PLAYBOOK, now=at)
                self.inner.record(
                    Transition(
                        lead_id=lead.id,
                        expected_version=lead.version,
                        events=events,
                        after=evolve(lead, events[0]),
                    )
                )
        self.inner.record(transition)


class TestConflicts:
    def test_a_writer_that_keeps_winning_gets_conflict_and_nothing_of_ours(
        self, store: LeadStore
    ) -> None:
        """After the retries are used up ConflictError is raised and our command left no trace."""
        competing = CompetingWriter(store, wins=10)
        pipeline = pipeline_on(competing)
        pipeline.capture(fair_lead(1))
        with pytest.raises(ConflictError):
            pipeline.qualify("L-1")
        assert competing.attempts == pipeline.conflict_retries + 1
        kinds = [type(e).__name__ for e in store.history("L-1")]
        assert kinds == ["LeadCaptured"] + ["NoteAdded"] * competing.attempts
        assert store.load("L-1").stage == "inquiry"
        assert store.outbox("L-1") == ()

    def test_a_write_that_loses_a_few_races_is_decided_again_and_lands(
        self, store: LeadStore
    ) -> None:
        """Losing fewer races than the retries allow still writes, on top of the other's notes."""
        competing = CompetingWriter(store, wins=2)
        pipeline = pipeline_on(competing)
        pipeline.capture(fair_lead(1))
        lead = pipeline.qualify("L-1")
        assert lead.stage == "mql"
        assert lead.notes == ("called, no answer", "called, no answer")
        assert store.load("L-1") == lead


class TestErase:
    def test_erasure_removes_personal_data_but_keeps_stages_and_timings(
        self, store: LeadStore
    ) -> None:
        """After erasure no email or name is left in snapshot, history or outbox; stages stay."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1, email="ada.lind@acme.example"))
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1")
        pipeline.reject("L-1", reason="no_budget", comment="Ada Lind1 said next year")
        before = store.history("L-1")
        lead = pipeline.erase("L-1")
        after = store.history("L-1")
        assert lead.erased
        assert lead.contact.email == ERASED
        assert store.load("L-1") == lead
        assert [(type(e), e.at) for e in after[:-1]] == [(type(e), e.at) for e in before]
        assert lead.stage == "nurture"
        text = repr((store.load("L-1"), after, store.outbox("L-1")))
        assert "ada.lind@acme.example" not in text
        assert "Lind1" not in text
        closed = pipeline.playbook.lifecycle.closed_stages
        twin = store.find_duplicate(
            email="ada.lind@acme.example", domain=None, company_name=None, closed_stages=closed
        )
        assert twin is None

    def test_sqlite_files_keep_no_byte_of_the_erased_email(self, tmp_path: Path) -> None:
        """On SQLite the erased address is absent from the raw database and -wal file bytes."""
        path = tmp_path / "leads.db"
        email = b"ada.lind@acme.example"
        with SqliteStore(path) as store:
            pipeline = pipeline_on(store)
            pipeline.capture(fair_lead(1, email=email.decode()))
            pipeline.capture(fair_lead(2))
            pipeline.qualify("L-1")
            pipeline.hand_over("L-1")
            assert email in path.read_bytes() + wal_bytes(path)
            pipeline.erase("L-1")
            assert email not in path.read_bytes()
            assert email not in wal_bytes(path)
            assert pipeline.get("L-2").contact.email == "ada.lind2@acme2.example"


def wal_bytes(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


class TestRelayFaults:
    def test_a_flaky_notifier_still_delivers_each_key_exactly_once(
        self, store: LeadStore, tmp_path: Path
    ) -> None:
        """A notifier failing half the time still gets each key applied exactly once."""
        clock = SimulatedClock(T0)
        consumer = DedupConsumer(tmp_path / "processed.json")
        chance = random.Random(7)

        def flaky(note: Notification) -> None:
            roll = chance.random()
            if roll < 0.25:
                raise DeliveryError("mail server busy")
            consumer.deliver(note)
            if roll < 0.5:
                raise DeliveryError("timeout waiting for the acknowledgement")

        pipeline = Pipeline(PLAYBOOK, store=store, notifier=CallbackNotifier(flaky), clock=clock)
        for n in range(1, 6):
            pipeline.capture(fair_lead(n))
            pipeline.qualify(f"L-{n}")
            pipeline.hand_over(f"L-{n}")
        keys = {e.notification.key for n in range(1, 6) for e in store.outbox(f"L-{n}")}
        assert len(keys) == 10
        failures = 0
        for _ in range(40):
            failures += pipeline.relay_outbox().failed
            clock.advance(timedelta(hours=2))  # past the longest backoff (one hour)
        assert failures > 0
        assert consumer.applied == keys
        assert all(e.delivered for n in range(1, 6) for e in store.outbox(f"L-{n}"))
        assert any(count > 1 for count in consumer.deliveries.values())
        assert store.pending(now=clock.now()) == ()


class TestTwoWriters:
    def test_a_stale_cached_lead_never_refuses_a_valid_command(self, store: LeadStore) -> None:
        """A qualifies elsewhere; this pipeline's handover still goes through on fresh state."""
        here, there = pipeline_on(store), pipeline_on(store)
        here.capture(fair_lead(1))
        there.qualify("L-1")
        lead = here.hand_over("L-1")
        assert (lead.stage, lead.owner) == ("mql", Party.sales())
        assert store.load("L-1") == lead

    def test_a_stale_cached_lead_never_allows_a_refused_command(self, store: LeadStore) -> None:
        """Nurtured elsewhere meanwhile, the lead can no longer be handed over from here."""
        here, there = pipeline_on(store), pipeline_on(store)
        here.capture(fair_lead(1))
        here.qualify("L-1")
        there.nurture("L-1", reason="no project this year")
        with pytest.raises(TransitionError):
            here.hand_over("L-1")
        assert store.load("L-1").stage == "nurture"
