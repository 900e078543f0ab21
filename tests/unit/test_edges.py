"""Every promise holds at the edges: one test per defect found by trying the library.

The defects were found by an attacker's and a careless host's use; each test runs on every
store where the defect could live.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadpipeline import (
    Company,
    Contact,
    Lead,
    MemoryStore,
    OfferToPartners,
    Pipeline,
    Source,
    SqliteStore,
    StoreError,
    ValidationError,
)
from leadpipeline.adapters import LeadStore, RecordingNotifier, SimulatedClock, relay_outbox
from leadpipeline.adapters.notification import CallbackNotifier
from leadpipeline.events import ERASED, Event, NoteAdded, Qualified
from leadpipeline.lead import Party
from leadpipeline.pipeline import CaptureOutcome
from leadpipeline.serialization import from_json, to_json
from leadpipeline.stages import Capture, Notification, Qualify, transition
from tests.pg import fresh_store, requires_postgres
from tests.pipeline_support import PLAYBOOK, T0, fair_lead, to_partner_channel


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """Each test runs on the in-memory store, a SQLite file and (when configured) PostgreSQL."""
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        with SqliteStore(tmp_path / "leads.db") as sqlite:
            yield sqlite
    else:
        with fresh_store() as postgres:
            yield postgres


WEB = Source(channel="web", captured_at=T0)


def pipeline_on(store: LeadStore, **options: Any) -> Pipeline:
    return Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0), **options)


class TestIllTypedValuesAreRefusedWhenBuilt:
    @pytest.mark.parametrize(
        ("build", "path"),
        [
            (lambda: Company(employees=True), "employees"),
            (lambda: Company(employees=800.5), "employees"),
            (lambda: Company(employees="800"), "employees"),
            (lambda: Lead(id=123, source=WEB), "id"),
            (lambda: Contact(email=123), "email"),
            (
                lambda: Lead(
                    id="L-1", source=Source(channel="web", captured_at=T0), interests="ab"
                ),
                "interests",
            ),
            (lambda: Contact(job_title=float("nan")), "job_title"),
            (lambda: Contact(last_name="Lind\udc80"), "last_name"),
        ],
    )
    def test_a_wrong_type_is_refused_naming_the_field(self, build: Any, path: str) -> None:
        """A bool is no employee count, a number no email, a string no tuple of interests."""
        with pytest.raises(ValidationError) as caught:
            build()
        assert caught.value.paths == (path,)

    def test_a_whole_score_reads_back_as_it_was_written(self, store: LeadStore) -> None:
        """`Qualified.score` given as 100 is the float 100.0 before and after a store."""
        event = Qualified(
            lead_id="L-1", at=T0, actor=Party.marketing(), definition="mql", score=100
        )
        assert type(event.score) is float
        assert from_json(to_json(event, Event), Event) == event


class TestOneDamagedRowStaysWithItsLead:
    @pytest.mark.parametrize("kind", ["sqlite", "postgres"])
    def test_a_corrupted_snapshot_fails_its_lead_alone(self, kind: str, tmp_path: Path) -> None:
        """Load names the lead with StoreError; queries, partner views and escalation go on."""
        with self._store(kind, tmp_path) as store:
            pipeline = pipeline_on(store)
            for n in (1, 2, 3):
                to_partner_channel(pipeline, n)
            pipeline.offer_to_partners("L-1", ["p-gold"])
            pipeline.offer_to_partners("L-2", ["p-gold"])
            self._corrupt(kind, store, "L-2")
            with pytest.raises(StoreError) as caught:
                store.load("L-2")
            assert caught.value.lead_id == "L-2"
            assert sorted(lead.id for lead in store.query()) == ["L-1", "L-3"]
            assert [lead.id for lead in pipeline.for_partner("p-gold").leads()] == ["L-1"]
            pipeline.clock.advance(timedelta(days=30))  # type: ignore[attr-defined]
            assert "L-2" not in pipeline.escalate_breaches()

    def _store(self, kind: str, tmp_path: Path) -> Any:
        return SqliteStore(tmp_path / "leads.db") if kind == "sqlite" else fresh_store()

    def _corrupt(self, kind: str, store: Any, lead_id: str) -> None:
        if kind == "sqlite":
            with closing(sqlite3.connect(store.path)) as raw, raw:
                raw.execute(
                    "UPDATE leads SET snapshot = '{\"id\": 7}' WHERE lead_id = ?", (lead_id,)
                )
        else:
            import psycopg  # noqa: PLC0415  # optional dependency

            from tests.pg import require_postgres  # noqa: PLC0415

            with psycopg.connect(require_postgres(), autocommit=True) as raw:
                table = f'"{store.schema}".leads'
                raw.execute(
                    f"UPDATE {table} SET snapshot = %s::jsonb WHERE lead_id = %s".encode(),
                    ('{"id": 7}', lead_id),
                )


class TestTheOutboxCannotBeBlocked:
    def test_an_error_text_with_a_lone_surrogate_blocks_nothing(self, store: LeadStore) -> None:
        """A notifier failing with unencodable text: that entry is retried, the rest delivered."""
        pipeline = pipeline_on(store)
        for n in (1, 2):
            pipeline.capture(fair_lead(n))
            pipeline.qualify(f"L-{n}")
            pipeline.hand_over(f"L-{n}")
        delivered: list[str] = []

        def deliver(note: Notification) -> None:
            if note.lead_id == "L-1":
                raise RuntimeError("portal said \udcff")
            delivered.append(note.key)

        report = relay_outbox(store, CallbackNotifier(deliver), now=T0 + timedelta(hours=1))
        assert report.failed == 2
        assert report.delivered == 2
        assert {key.split(":")[0] for key in delivered} == {"L-2"}
        failed = [e for e in store.outbox("L-1") if not e.delivered]
        assert all("\\udcff" in e.last_error and e.attempts == 1 for e in failed)


class TestErasureIsCompleteAndHonest:
    def test_a_busy_reader_does_not_turn_a_committed_erasure_into_an_error(
        self, tmp_path: Path
    ) -> None:
        """SQLite with a backup reading: erase returns; erasing again after it finishes scrubs."""
        path = tmp_path / "leads.db"
        secret = b"ada.lind1@acme1.example"
        with SqliteStore(path, busy_timeout=0.5) as store:
            pipeline = pipeline_on(store)
            pipeline.capture(fair_lead(1))
            for n in range(2, 80):  # enough pages that the log matters
                pipeline.capture(fair_lead(n))
            store.checkpoint()
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM events").fetchone()  # a backup holding a snapshot
            erased = pipeline.erase("L-1")  # committed; the reader keeps the scrub waiting
            assert erased.erased
            assert secret in path.read_bytes()  # the old page is still in the database file
            reader.execute("COMMIT")
            reader.close()
            again = pipeline.erase("L-1")  # the retry finishes the scrub
            assert again == erased
            data = path.read_bytes()
            wal = path.with_name(path.name + "-wal")
            assert secret not in data
            assert not wal.exists() or secret not in wal.read_bytes()

    def test_scrub_with_nothing_due_returns_at_once(self, store: LeadStore) -> None:
        """A store with no erasure waiting scrubs nothing, and says nothing is wrong."""
        store.scrub()
        pipeline_on(store).capture(fair_lead(1))
        store.scrub()
        assert store.load("L-1").version == 1


class TestCaptureStartsFromTheSource:
    def test_prefilled_merged_sources_take_over_no_record(self, store: LeadStore) -> None:
        """A payload claiming another source record merged gets none; the real one is its own."""
        pipeline = pipeline_on(store)
        stolen = Source(channel="web", captured_at=T0, source_id="badge-9")
        forged = attrs.evolve(fair_lead(1), merged_sources=(stolen,))
        assert pipeline.capture(forged).lead.merged_sources == ()
        assert store.find_by_source_id("badge-9") is None
        real = pipeline.capture(fair_lead(9, email="someone.else@other.example"))
        assert (real.outcome, real.lead.id) == (CaptureOutcome.CAPTURED, "L-9")
        again = pipeline.capture(fair_lead(9, email="someone.else@other.example", lead_id="L-90"))
        assert (again.outcome, again.lead.id) == (CaptureOutcome.ALREADY_CAPTURED, "L-9")


class TestOneSourceRecordOneLead:
    def test_racing_captures_under_two_ids_make_one_lead(self, store: LeadStore) -> None:
        """Two writers capture the same badge scans under their own lead ids: one lead each."""
        outcomes: list[tuple[str, CaptureOutcome]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(2)

        def importer(prefix: str) -> None:
            pipeline = pipeline_on(store)  # a pipeline per writer, as two processes would
            barrier.wait()
            for n in range(1, 16):
                lead = fair_lead(n, lead_id=f"{prefix}-{n}", email=f"{prefix}{n}@x.example")
                result = pipeline.capture(lead)
                with lock:
                    outcomes.append((f"badge-{n}", result.outcome))

        workers = [threading.Thread(target=importer, args=(p,)) for p in ("A", "B")]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        holders = store.find_by_source_ids(f"badge-{n}" for n in range(1, 16))
        assert len(holders) == 15
        assert len(store.query()) == 15
        captured = [badge for badge, outcome in outcomes if outcome is CaptureOutcome.CAPTURED]
        assert sorted(captured) == sorted(holders)


class TestTimeStaysInRange:
    def test_a_far_future_now_is_refused_with_its_path(self) -> None:
        """Qualifying at 9999-12-30 is refused at `now`, not crashed in the scoring decay."""
        captured = transition(None, Capture(lead=fair_lead(1)), PLAYBOOK, now=T0)
        late = datetime(9999, 12, 30, tzinfo=UTC)
        with pytest.raises(ValidationError) as caught:
            transition(captured.after, Qualify(), PLAYBOOK, now=late, history=captured.events)
        assert caught.value.paths == ("now",)
        with pytest.raises(ValidationError) as caught:
            SimulatedClock(late)
        assert caught.value.paths == ("at",)

    def test_an_offer_for_eight_thousand_years_is_refused(self) -> None:
        """An offer expiring in three million days is refused at `expires_in`."""
        with pytest.raises(ValidationError) as caught:
            OfferToPartners(expires_in=timedelta(days=3_000_000))
        assert caught.value.paths == ("expires_in",)

    def test_a_relay_at_the_end_of_time_is_refused(self) -> None:
        """A relay pass near `datetime.max` is refused, not overflowed in its backoff."""
        with pytest.raises(ValidationError) as caught:
            relay_outbox(MemoryStore(), RecordingNotifier(), now=datetime.max.replace(tzinfo=UTC))
        assert caught.value.paths == ("now",)

    def test_a_clock_running_backwards_is_refused(self, store: LeadStore) -> None:
        """A command whose `now` is before the lead's last event is refused; nothing changes."""
        clock = SimulatedClock(T0 + timedelta(hours=2))
        pipeline = Pipeline(PLAYBOOK, store=store, clock=clock)
        pipeline.capture(fair_lead(1))
        earlier = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        with pytest.raises(ValidationError) as caught:
            earlier.qualify("L-1")
        assert caught.value.paths == ("now",)
        assert store.load("L-1").version == 1


class TestForeignFilesAndSchemas:
    def test_an_empty_file_with_another_user_version_is_refused(self, tmp_path: Path) -> None:
        """No tables but a foreign `user_version`: another application's file, left as it was."""
        path = tmp_path / "other.db"
        with closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA user_version = 7")
        before = path.read_bytes()
        with pytest.raises(StoreError):
            SqliteStore(path)
        assert path.read_bytes() == before

    def test_a_version_one_file_is_upgraded_to_one_lead_per_source(self, tmp_path: Path) -> None:
        """A file of the previous schema opens, gains the unique index, keeps its leads."""
        path = tmp_path / "old.db"
        with SqliteStore(path) as store:
            pipeline_on(store).capture(fair_lead(1))
        with closing(sqlite3.connect(path)) as raw, raw:
            raw.execute("DROP INDEX lead_sources_one_lead")
            raw.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
            raw.execute("PRAGMA user_version = 1")
        with SqliteStore(path) as store:
            assert store.load("L-1").version == 1
        with closing(sqlite3.connect(path)) as raw:
            names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
            assert "lead_sources_one_lead" in names

    @requires_postgres
    def test_a_read_only_command_never_creates_a_schema(self) -> None:
        """Opening a schema that does not exist, without `create`, is refused and creates none."""
        import psycopg  # noqa: PLC0415  # optional dependency

        from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415
        from tests.pg import fresh_schema, require_postgres  # noqa: PLC0415

        dsn, schema = require_postgres(), fresh_schema()
        with pytest.raises(StoreError):
            PostgresStore(dsn, schema=schema, create=False)
        with psycopg.connect(dsn) as raw:
            found = raw.execute(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s",
                (schema,),
            ).fetchone()
        assert found == (0,)


class TestConcurrencyWithErasureAndPartnerViews:
    def test_writers_an_erasure_and_partner_views_at_once(self, store: LeadStore) -> None:
        """Eight threads write notes, one erases, two watch as partners: nothing lost or seen."""
        pipeline = pipeline_on(store, conflict_retries=100)  # eight writers on two leads
        for n in (1, 2):
            to_partner_channel(pipeline, n)
            pipeline.offer_to_partners(f"L-{n}", ["p-gold"])
        pipeline.for_partner("p-gold").accept("L-1")
        secret = store.load("L-2").contact.email
        assert secret is not None
        writers, notes_each = 8, 5
        barrier = threading.Barrier(writers + 3)
        errors: list[BaseException] = []
        seen_by_silver: list[tuple[str, ...]] = []

        def guarded(work: Any) -> Any:
            def run() -> None:
                try:
                    barrier.wait()
                    work()
                except BaseException as exc:  # surfaced below, on the test's thread
                    errors.append(exc)

            return run

        def writer(n: int) -> None:
            for i in range(notes_each):
                pipeline.add_note(("L-1", "L-2")[(n + i) % 2], f"writer {n} note {i}")

        def watch() -> None:
            for _ in range(10):
                seen_by_silver.append(tuple(x.id for x in pipeline.for_partner("p-silver").leads()))
                package = pipeline.for_partner("p-gold").get("L-1")
                assert package.lead.id == "L-1"

        threads = [threading.Thread(target=guarded(lambda n=n: writer(n))) for n in range(writers)]
        threads.append(threading.Thread(target=guarded(lambda: pipeline.erase("L-2"))))
        threads += [threading.Thread(target=guarded(watch)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        notes = [
            e
            for lead_id in ("L-1", "L-2")
            for e in store.history(lead_id)
            if isinstance(e, NoteAdded)
        ]
        kept = [e.text for e in notes if e.text != ERASED]  # notes of L-2 before its erasure
        assert len(notes) == writers * notes_each
        assert len(kept) == len(set(kept))
        assert store.load("L-2").erased
        assert secret not in repr((store.load("L-2"), store.history("L-2"), store.outbox("L-2")))
        assert set(seen_by_silver) == {()}


class TestReviewFindings:
    def test_a_nul_in_a_notifier_error_is_kept_as_text(self, store: LeadStore) -> None:
        """An error text with NUL is recorded escaped; the entry is retried, never lost."""
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1))
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1")

        def broken(_: Notification) -> None:
            raise RuntimeError("portal said a\x00b")

        later = T0 + timedelta(hours=1)
        assert relay_outbox(store, CallbackNotifier(broken), now=later).failed == 2
        entries = store.outbox("L-1")
        assert all("a\\x00b" in e.last_error and e.attempts == 1 for e in entries)
        pipeline.erase("L-1")  # the lead's outbox still reads back, so erasure works
        assert store.load("L-1").erased

    def test_infinity_never_gets_in(self) -> None:
        """A revenue of infinity is refused when the event is built, not after it is stored."""
        with pytest.raises(ValidationError) as caught:
            Qualified(lead_id="L-1", at=T0, actor=Party.marketing(), definition="m", score=1e400)
        assert caught.value.paths == ("score",)

    def test_a_partner_view_returns_no_note_and_no_other_partner(self) -> None:
        """Leads a partner's view returns hold no internal note and no other partner's offer."""
        pipeline = pipeline_on(MemoryStore())
        to_partner_channel(pipeline, 1)
        pipeline.add_note("L-1", "internal: margin is thin")
        pipeline.offer_to_partners("L-1", ["p-gold", "p-silver"])
        gold = pipeline.for_partner("p-gold")
        (seen,) = gold.leads()
        assert (seen.notes, seen.offered_to) == ((), ("p-gold",))
        accepted = gold.accept("L-1")
        assert accepted.notes == ()

    def test_a_withdrawn_offer_does_not_name_the_partner_that_won(self) -> None:
        """The partner that lost the race hears that the lead went elsewhere, not to whom."""
        pipeline = pipeline_on(MemoryStore())
        to_partner_channel(pipeline, 1)
        pipeline.offer_to_partners("L-1", ["p-gold", "p-silver"])
        pipeline.for_partner("p-silver").accept("L-1")
        to_gold = [e.notification for e in pipeline.store.outbox("L-1")]
        (withdrawn,) = [n for n in to_gold if n.kind == "offer_withdrawn"]
        assert withdrawn.recipient == Party.partner("p-gold")
        assert "p-silver" not in withdrawn.message

    def test_an_escalation_reaches_the_role_its_step_names(self) -> None:
        """A notify-owner step naming key accounts reaches key accounts at the owning party."""
        from leadpipeline.rules.sla import EscalationAction, EscalationStep  # noqa: PLC0415

        policy = PLAYBOOK.sla_policies[1]
        named = attrs.evolve(
            policy,
            escalation=(
                EscalationStep(action=EscalationAction.NOTIFY_OWNER, target="key-accounts"),
            ),
        )
        playbook = attrs.evolve(PLAYBOOK, sla_policies=(PLAYBOOK.sla_policies[0], named))
        clock = SimulatedClock(T0)
        pipeline = Pipeline(playbook, store=MemoryStore(), clock=clock)
        pipeline.capture(fair_lead(1))
        pipeline.qualify("L-1")
        pipeline.hand_over("L-1", to=Party.sales(team="inside-sales"))
        clock.advance(timedelta(days=3))
        pipeline.escalate("L-1")
        (escalated,) = [
            e.notification
            for e in pipeline.store.outbox("L-1")
            if e.notification.kind == "escalated"
        ]
        assert (escalated.recipient, escalated.role) == (
            Party.sales(team="inside-sales"),
            "key-accounts",
        )

    def test_one_unreadable_lead_does_not_stop_the_escalation_sweep(self, tmp_path: Path) -> None:
        """A lead whose history cannot be read is logged and left; the next one escalates."""
        with SqliteStore(tmp_path / "leads.db") as store:
            clock = SimulatedClock(T0)
            pipeline = Pipeline(PLAYBOOK, store=store, clock=clock)
            for n in (1, 2):
                pipeline.capture(fair_lead(n))
                pipeline.qualify(f"L-{n}")
                pipeline.hand_over(f"L-{n}")
            with closing(sqlite3.connect(store.path)) as raw, raw:
                raw.execute("UPDATE events SET body = '{}' WHERE lead_id = 'L-1' AND version = 2")
            clock.advance(timedelta(days=3))
            another_process = Pipeline(PLAYBOOK, store=store, clock=clock)  # nothing cached
            assert another_process.escalate_breaches() == ("L-2",)

    def test_a_merge_into_a_held_record_is_refused_once(self) -> None:
        """A command claiming another lead's source record is refused at once, not retried."""
        calls: list[int] = []
        store = MemoryStore()
        pipeline = pipeline_on(store)
        pipeline.capture(fair_lead(1))
        pipeline.capture(fair_lead(2))
        record = store.record

        def counting(transition: Any) -> None:
            calls.append(1)
            record(transition)

        store.record = counting  # type: ignore[method-assign]
        from leadpipeline.errors import SourceConflictError  # noqa: PLC0415
        from leadpipeline.stages import Merge  # noqa: PLC0415

        with pytest.raises(SourceConflictError):
            pipeline.execute("L-2", Merge(source=fair_lead(1).source))
        assert len(calls) == 1

    def test_a_clock_a_moment_behind_keeps_the_history_in_order(self, store: LeadStore) -> None:
        """A writer whose clock is a second behind the last event decides at that event's time."""
        ahead = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0 + timedelta(seconds=1)))
        ahead.capture(fair_lead(1))
        behind = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        behind.add_note("L-1", "called")
        times = [e.at for e in store.history("L-1")]
        assert times == sorted(times)

    def test_scrub_with_nothing_due_ignores_a_busy_reader(self, tmp_path: Path) -> None:
        """No erasure waiting: a reader holding the log does not make scrub wait or fail."""
        path = tmp_path / "leads.db"
        with SqliteStore(path, busy_timeout=5) as store:
            pipeline_on(store).capture(fair_lead(1))
            reader = sqlite3.connect(path, isolation_level=None)
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM leads").fetchone()
            store.scrub()  # returns at once
            reader.execute("COMMIT")
            reader.close()
