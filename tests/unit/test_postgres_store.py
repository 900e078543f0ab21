"""PostgresStore beyond the shared contract: schema, migrations, concurrency, erasure, NOTIFY."""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from leadpipeline import Lead, Pipeline, Source
from leadpipeline.adapters import SimulatedClock
from leadpipeline.adapters.notification import Notification
from leadpipeline.errors import ConfigurationError, ConflictError, StoreError, ValidationError
from leadpipeline.events import NoteAdded
from leadpipeline.lead import Contact, Interaction, InteractionKind, Party
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.stages import Transition, transition
from leadpipeline.stages.commands import AddNote, Erase, RecordInteraction, UpdateProfile
from leadpipeline.testing import captured, step
from tests.pg import (
    DSN_ENV,
    T0,
    append_worker,
    drop_schema,
    fresh_schema,
    fresh_store,
    note_for,
    require_postgres,
    requires_postgres,
    seed_leads,
)

postgres = pytest.importorskip("leadpipeline.adapters.postgres")
PostgresStore = postgres.PostgresStore


def _raw(dsn: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    import psycopg  # noqa: PLC0415  # optional dependency

    with psycopg.connect(dsn, autocommit=True) as conn:
        cur = conn.execute(sql.encode(), params)
        return cur.fetchall() if cur.description else []


class TestConfiguration:
    def test_without_a_dsn_or_environment_it_says_what_is_missing(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """from_env names the variable it needs when it is not set."""
        monkeypatch.delenv(DSN_ENV, raising=False)
        with pytest.raises(ConfigurationError) as caught:
            PostgresStore.from_env()
        assert DSN_ENV in str(caught.value)

    def test_a_schema_name_must_be_a_plain_identifier(self) -> None:
        """A schema name that would need quoting is refused before any connection."""
        with pytest.raises(ValidationError) as caught:
            PostgresStore("postgresql://nowhere.invalid/x", schema='crm"; DROP')
        assert caught.value.paths == ("schema",)

    def test_an_unreachable_server_is_a_store_error(self) -> None:
        """A server that refuses connections raises StoreError, not a driver error."""
        with pytest.raises(StoreError):
            PostgresStore("postgresql://postgres@127.0.0.1:1/test")

    def test_shipped_migrations_end_at_the_schema_version(self) -> None:
        """The package ships migrations 1..n, and n is the version this release writes."""
        found = postgres.migrations()
        assert [m.version for m in found] == list(range(1, postgres.POSTGRES_SCHEMA_VERSION + 1))
        assert "CREATE TABLE leads" in found[0].sql


@requires_postgres
class TestMigrations:
    def test_from_env_creates_the_schema_at_the_current_version(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A store on an empty schema creates its tables and records the schema version."""
        dsn = require_postgres()
        monkeypatch.setenv(DSN_ENV, dsn)
        schema = fresh_schema()
        try:
            with PostgresStore.from_env(schema=schema) as store:
                assert store.schema_version() == postgres.POSTGRES_SCHEMA_VERSION
            tables = {
                row[0]
                for row in _raw(
                    dsn,
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (schema,),
                )
            }
            assert {"leads", "events", "outbox", "leadpipeline_migrations"} <= tables
        finally:
            drop_schema(dsn, schema)

    def test_stores_opening_at_once_apply_each_migration_once(self) -> None:
        """Eight stores opening one new schema together record every migration exactly once."""
        dsn = require_postgres()
        schema = fresh_schema()
        errors: list[BaseException] = []
        barrier = threading.Barrier(8)

        def open_store() -> None:
            try:
                barrier.wait()
                PostgresStore(dsn, schema=schema, min_size=0).close()
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(8)]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            rows = _raw(dsn, f'SELECT version FROM "{schema}".leadpipeline_migrations')
            assert sorted(int(str(r[0])) for r in rows) == [
                m.version for m in postgres.migrations()
            ]
        finally:
            drop_schema(dsn, schema)

    def test_reopening_keeps_the_leads(self) -> None:
        """A second store on the same schema sees the first one's leads."""
        with fresh_store() as store:
            events, lead = captured("L-1", email="eva.berg@example.com")
            store.record(Transition(lead_id="L-1", expected_version=0, events=events, after=lead))
            with PostgresStore(require_postgres(), schema=store.schema) as again:
                assert again.load("L-1") == lead

    def test_a_newer_schema_is_refused(self) -> None:
        """A schema migrated by a newer leadpipeline is refused with StoreError."""
        with fresh_store() as store:
            _raw(
                require_postgres(),
                f'INSERT INTO "{store.schema}".leadpipeline_migrations (version, name, checksum) '
                "VALUES (99, 'future', 'x')",
            )
            with pytest.raises(StoreError, match="newer leadpipeline"):
                PostgresStore(require_postgres(), schema=store.schema)

    def test_a_changed_migration_file_is_refused(self) -> None:
        """A schema whose recorded migration differs from the shipped file is refused."""
        with fresh_store() as store:
            _raw(
                require_postgres(),
                f'UPDATE "{store.schema}".leadpipeline_migrations SET checksum = %s',
                ("edited",),
            )
            with pytest.raises(StoreError, match="different file"):
                PostgresStore(require_postgres(), schema=store.schema)

    def test_another_applications_schema_is_refused(self) -> None:
        """A schema holding someone else's tables is never written to."""
        dsn = require_postgres()
        schema = fresh_schema()
        _raw(dsn, f'CREATE SCHEMA "{schema}"')
        _raw(dsn, f'CREATE TABLE "{schema}".customers (id int)')
        try:
            with pytest.raises(StoreError, match="not leadpipeline's"):
                PostgresStore(dsn, schema=schema)
            tables = _raw(
                dsn,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
            assert tables == [("customers",)]
        finally:
            drop_schema(dsn, schema)

    def test_queries_have_their_indexes(self) -> None:
        """Stage, owner, partner, due date, source ids and duplicate keys are indexed."""
        with fresh_store() as store:
            rows = _raw(
                require_postgres(),
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                (store.schema,),
            )
            names = {r[0] for r in rows}
            assert {
                "leads_stage",
                "leads_owner",
                "leads_partners",
                "leads_due",
                "lead_sources_pkey",
                "leads_email",
                "leads_company",
                "outbox_pending",
            } <= names


@requires_postgres
class TestConcurrentWriters:
    def test_the_database_itself_refuses_a_second_event_at_one_version(self) -> None:
        """The unique (lead_id, version) key turns a bypassed check into ConflictError."""
        with fresh_store() as store:
            lead = seed_leads(store, 1)[0]
            current = store.load(lead)
            events, after = step(current, AddNote(text="first"), T0)
            store.record(Transition(lead_id=lead, expected_version=1, events=events, after=after))
            # pretend the snapshot row lags behind its history
            _raw(
                require_postgres(),
                f'UPDATE "{store.schema}".leads SET version = 1 WHERE lead_id = %s',
                (lead,),
            )
            events2, after2 = step(current, AddNote(text="second"), T0)
            with pytest.raises(ConflictError):
                store.record(
                    Transition(lead_id=lead, expected_version=1, events=events2, after=after2)
                )
            notes = [e.text for e in store.history(lead) if isinstance(e, NoteAdded)]
            assert notes == ["first"]

    def test_four_processes_of_four_threads_never_lose_an_update(self) -> None:
        """16 writers on 200 shared leads: each write lands or conflicts, retries converge."""
        dsn = require_postgres()
        with fresh_store() as store:
            lead_ids = seed_leads(store, 200)
            ctx = multiprocessing.get_context("spawn")
            with ctx.Pool(4) as pool:
                results = pool.starmap(
                    append_worker, [(dsn, store.schema, lead_ids, w, 25) for w in range(4)]
                )
            assert [r["errors"] for r in results] == [[], [], [], []]
            done = sum(r["done"] for r in results)
            assert done == 4 * 4 * 25
            (count,) = _raw(dsn, f'SELECT count(*) FROM "{store.schema}".events')[0]
            assert count == 200 + done
            notes = [
                e.text
                for lead_id in lead_ids
                for e in store.history(lead_id)
                if isinstance(e, NoteAdded)
            ]
            assert len(notes) == len(set(notes)) == done
            assert sum(store.load(i).version for i in lead_ids) == 200 + done


@requires_postgres
class TestErasure:
    def test_no_table_row_keeps_the_personal_data(self) -> None:
        """After erasure, no live row of leads, events or outbox holds the erased values."""
        secret_mail, secret_phone = "ann.lee@acme.example", "+49 30 555 0199"
        with fresh_store() as store:
            events, lead = captured("L-1", email=secret_mail, company="Acme", domain="acme.example")
            store.record(Transition(lead_id="L-1", expected_version=0, events=events, after=lead))
            touch = Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0, detail=secret_mail)
            for command in (
                RecordInteraction(interaction=touch),
                UpdateProfile(contact=Contact(email=secret_mail, phone=secret_phone)),
            ):
                lead_before = store.load("L-1")
                evs, lead = step(lead_before, command, T0)
                note = Notification(
                    key=f"L-1:{lead.version}:handed_over:sales",
                    lead_id="L-1",
                    kind="handed_over",
                    recipient=Party.sales(team="inside-sales"),
                    message=f"Call {secret_phone}",
                    created_at=T0,
                )
                store.record(
                    Transition(
                        lead_id="L-1",
                        expected_version=lead_before.version,
                        events=evs,
                        after=lead,
                        notifications=(note,),
                    )
                )
            (entry, _) = store.pending(now=T0)
            store.mark_failed(entry.id, error=f"mailbox {secret_mail} full", retry_at=T0)
            store.record(
                transition(
                    lead,
                    Erase(),
                    DEFAULT_PLAYBOOK,
                    now=T0 + timedelta(days=30),
                    history=store.history("L-1"),
                    outbox=store.outbox("L-1"),
                )
            )
            store.vacuum()
            q = f'"{store.schema}"'
            rows = _raw(
                require_postgres(),
                f"SELECT l::text FROM {q}.leads l UNION ALL SELECT e::text FROM {q}.events e "
                f"UNION ALL SELECT o::text FROM {q}.outbox o",
            )
            text = "\n".join(str(r[0]) for r in rows)
            assert secret_mail not in text
            assert secret_phone not in text
            assert store.load("L-1").erased

    def test_after_scrub_no_relation_file_holds_the_erased_values(self) -> None:
        """Erase, scrub, checkpoint: the table, TOAST and index files hold no erased byte."""
        dsn = require_postgres()
        secret = "ann.lee@acme.example"
        with fresh_store() as store:
            pipeline = Pipeline(DEFAULT_PLAYBOOK, store=store, clock=SimulatedClock(T0))
            for n in range(40):  # several pages, so free space is where an old row would sit
                email = secret if n == 7 else f"someone{n}@example.com"
                pipeline.capture(
                    Lead(
                        id=f"L-{n}",
                        source=Source(channel="web", captured_at=T0),
                        contact=Contact(last_name="Lee", email=email),
                    )
                )
                pipeline.add_note(f"L-{n}", f"wrote to {email}")
            files = _relation_files(dsn, store.schema)
            if files is None:
                pytest.skip("the server's data directory is not readable from this process")
            assert any(secret.encode() in f.read_bytes() for f in files)
            pipeline.erase("L-7")  # records the erasure, then scrubs (VACUUM FULL)
            files = _relation_files(dsn, store.schema)
            assert files is not None
            assert not any(secret.encode() in f.read_bytes() for f in files)
            assert store.load("L-7").erased


def _relation_files(dsn: str, schema: str) -> list[Path] | None:
    """Every file of the schema's tables, their TOAST tables and indexes, after a checkpoint.

    None when the data directory cannot be read here (a server on another host).
    """
    _raw(dsn, "CHECKPOINT")
    (root,) = _raw(dsn, "SELECT current_setting('data_directory')")[0]
    rows = _raw(
        dsn,
        "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname IN (%s, 'pg_toast') AND pg_relation_filepath(c.oid) IS NOT NULL "
        "AND (n.nspname = %s OR c.oid IN (SELECT reltoastrelid FROM pg_class k "
        "JOIN pg_namespace m ON m.oid = k.relnamespace WHERE m.nspname = %s) "
        "OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.reltoastrelid <> 0 AND i.indrelid IN (SELECT reltoastrelid FROM pg_class k "
        "JOIN pg_namespace m ON m.oid = k.relnamespace WHERE m.nspname = %s)))",
        (schema, schema, schema, schema),
    )
    base = Path(str(root))
    if not os.access(base, os.R_OK | os.X_OK):
        return None
    found: list[Path] = []
    for (relative,) in rows:
        first = base / str(relative)
        found += [first, *sorted(first.parent.glob(f"{first.name}.*"))]
    return [f for f in found if f.is_file()]


@requires_postgres
class TestListenNotify:
    def test_an_append_with_notifications_wakes_a_waiting_relay(self) -> None:
        """wait_for_outbox returns True once another writer records an outbox entry."""
        with fresh_store() as store:
            lead_id = seed_leads(store, 1)[0]
            assert store.wait_for_outbox(0.05) is False  # starts listening, nothing yet
            lead = store.load(lead_id)
            events, after = step(lead, AddNote(text="hand over"), T0)

            def write() -> None:
                store.record(
                    Transition(
                        lead_id=lead_id,
                        expected_version=lead.version,
                        events=events,
                        after=after,
                        notifications=(note_for(lead_id, after.version),),
                    )
                )

            writer = threading.Timer(0.05, write)
            writer.start()
            woke = store.wait_for_outbox(30)
            writer.join()
            assert woke is True

    def test_an_append_without_notifications_wakes_nobody(self) -> None:
        """A write that records no outbox entry sends no notification."""
        with fresh_store() as store:
            lead_id = seed_leads(store, 1)[0]
            assert store.wait_for_outbox(0.05) is False
            lead = store.load(lead_id)
            events, after = step(lead, AddNote(text="quiet"), T0)
            store.record(
                Transition(
                    lead_id=lead_id, expected_version=lead.version, events=events, after=after
                )
            )
            assert store.wait_for_outbox(0.2) is False

    def test_a_closed_store_refuses_work(self) -> None:
        """After close, reads and waits raise StoreError."""
        with fresh_store() as store:
            store.close()
            with pytest.raises(StoreError):
                store.load("L-1")
            with pytest.raises(StoreError):
                store.wait_for_outbox(0.01)
