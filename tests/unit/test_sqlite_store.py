"""SqliteStore beyond the shared contract: files, schema, settings, erasure, concurrency."""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadpipeline.adapters.notification import Notification
from leadpipeline.adapters.sqlite import APPLICATION_ID, SCHEMA_VERSION, SqliteStore
from leadpipeline.errors import StoreError, ValidationError
from leadpipeline.events import replay
from leadpipeline.lead import Company, Contact, Interaction, InteractionKind, Lead, Party, Source
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.stages import Transition, transition
from leadpipeline.stages.commands import (
    AddNote,
    Capture,
    Command,
    Erase,
    MoveStage,
    RecordInteraction,
)
from leadpipeline.stages.decide import decide

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EMAIL = "annika.lindqvist@example.com"


def capture(store: SqliteStore, lead_id: str, email: str | None = None) -> Lead:
    lead = Lead(
        id=lead_id,
        source=Source(channel="exhibition", captured_at=T0, source_id=f"badge-{lead_id}"),
        contact=Contact(first_name="Annika", last_name="Lindqvist", email=email),
        company=Company(name="Nordic Pumps AB", domain="nordicpumps.example"),
    )
    events = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=T0)
    snapshot = replay(events)
    store.record(Transition(lead_id=lead_id, expected_version=0, events=events, after=snapshot))
    return snapshot


def apply(store: SqliteStore, lead: Lead, command: Command, **extra: object) -> Lead:
    events = decide(lead, command, DEFAULT_PLAYBOOK, now=T0)
    after = replay([*store.history(lead.id), *events])
    store.record(
        Transition(
            lead_id=lead.id, expected_version=lead.version, events=events, after=after, **extra
        )
    )  # type: ignore[arg-type]
    return after


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "leads.db"


class TestSqliteStoreFile:
    def test_new_file_gets_schema_and_identity(self, db: Path) -> None:
        """A new file is stamped with our application id, schema version and metadata."""
        SqliteStore(db).close()
        with sqlite3.connect(db) as raw:
            assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
            assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            meta = dict(raw.execute("SELECT key, value FROM meta").fetchall())
        raw.close()
        assert meta == {"application": "leadpipeline", "schema_version": str(SCHEMA_VERSION)}

    def test_reopening_keeps_the_leads(self, db: Path) -> None:
        """A lead written before closing loads back equal after reopening the file."""
        with SqliteStore(db) as store:
            lead = apply(store, capture(store, "L-1", EMAIL), AddNote(text="met at the booth"))
        with SqliteStore(db) as store:
            assert store.load("L-1") == lead
            assert len(store.history("L-1")) == 2

    def test_empty_file_is_initialised(self, db: Path) -> None:
        """A zero-length file (e.g. from mkstemp) is taken as a new database."""
        db.write_bytes(b"")
        with SqliteStore(db) as store:
            capture(store, "L-1")
            assert store.find_by_source_id("badge-L-1") == "L-1"

    def test_durability_settings(self, db: Path) -> None:
        """Connections run with synchronous FULL by default (configurable) and secure_delete on."""
        with SqliteStore(db) as store:
            conn = store._conn()
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
            assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
        with SqliteStore(db, synchronous="NORMAL", busy_timeout=5) as store:
            conn = store._conn()
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5_000

    def test_bad_settings_are_refused(self, db: Path) -> None:
        """An unknown synchronous level or a non-positive timeout is a ValidationError."""
        with pytest.raises(ValidationError):
            SqliteStore(db, synchronous="SOMETIMES")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            SqliteStore(db, busy_timeout=0)

    def test_closed_store_refuses_work(self, db: Path) -> None:
        """Using a store after close raises StoreError."""
        store = SqliteStore(db)
        store.close()
        with pytest.raises(StoreError):
            store.query()


def unrelated_sqlite(path: Path) -> None:
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    raw.execute("INSERT INTO customers (name) VALUES ('Acme')")
    raw.commit()
    raw.close()


class TestSqliteStoreRefusesForeignFiles:
    @pytest.mark.parametrize(
        "content",
        [
            bytes(range(256)) * 16,
            b"SQLite format 3\x00" + b"\xff" * 4080,
            b"lead_id,email\nL-1,someone@example.com\n",
        ],
        ids=["random-bytes", "corrupted-sqlite", "csv-text"],
    )
    def test_non_database_file_is_refused_untouched(self, db: Path, content: bytes) -> None:
        """A file that is not a usable SQLite database raises StoreError and stays as it was."""
        db.write_bytes(content)
        with pytest.raises(StoreError):
            SqliteStore(db)
        assert db.read_bytes() == content

    def test_other_applications_database_is_refused_untouched(self, db: Path) -> None:
        """An unrelated SQLite database with its own tables raises StoreError, unchanged."""
        unrelated_sqlite(db)
        before = db.read_bytes()
        with pytest.raises(StoreError, match="another application"):
            SqliteStore(db)
        assert db.read_bytes() == before
        raw = sqlite3.connect(db)
        assert raw.execute("SELECT name FROM customers").fetchall() == [("Acme",)]
        raw.close()

    def test_foreign_database_with_our_id_but_no_metadata_is_refused(self, db: Path) -> None:
        """A database claiming our application id without our metadata is refused."""
        unrelated_sqlite(db)
        raw = sqlite3.connect(db)
        raw.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        raw.close()
        before = db.read_bytes()
        with pytest.raises(StoreError, match="metadata"):
            SqliteStore(db)
        assert db.read_bytes() == before

    def test_newer_schema_is_refused(self, db: Path) -> None:
        """A database written by a newer schema version is refused, naming the versions."""
        SqliteStore(db).close()
        raw = sqlite3.connect(db)
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        raw.commit()
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.close()
        before = db.read_bytes()
        with pytest.raises(StoreError, match="schema version 99"):
            SqliteStore(db)
        assert db.read_bytes() == before

    def test_directory_is_refused(self, tmp_path: Path) -> None:
        """A directory path raises StoreError."""
        with pytest.raises(StoreError):
            SqliteStore(tmp_path)


def raw_bytes(db: Path) -> bytes:
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


class TestSqliteStoreErasureOnDisk:
    def test_erased_email_leaves_no_bytes_in_database_or_wal(self, db: Path) -> None:
        """After erasure the email appears in neither the database file nor its WAL file."""
        secret = EMAIL.encode()
        with SqliteStore(db) as store:
            for n in range(150):  # enough leads for multi-level b-trees
                capture(store, f"L-{n:04d}", f"someone{n}@example.com")
            lead = capture(store, "L-X", EMAIL)
            touch = Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0, detail=f"from {EMAIL}")
            lead = apply(store, lead, RecordInteraction(interaction=touch))
            note = Notification.about(
                lead_id="L-X",
                version=lead.version + 1,
                kind="handed_over",
                recipient=Party.sales(team="inside-sales"),
                message=f"Call {EMAIL} today",
                created_at=T0,
            )
            lead = apply(store, lead, MoveStage(to_stage="mql"), notifications=(note,))
            assert secret in raw_bytes(db)
            store.checkpoint()
            assert secret in db.read_bytes()

            store.record(
                transition(
                    lead,
                    Erase(),
                    DEFAULT_PLAYBOOK,
                    now=T0 + timedelta(days=30),
                    history=store.history("L-X"),
                    outbox=store.outbox("L-X"),
                )
            )
            store.scrub()  # what the shell does after recording an erasure
            assert secret not in raw_bytes(db)
            assert store.load("L-X").stage == "mql"
            capture(store, "L-Y", "someone.else@example.com")
            assert secret not in raw_bytes(db)
        assert secret not in raw_bytes(db)


WRITER = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path
    from datetime import datetime, timezone
    from leadpipeline.adapters.sqlite import SqliteStore
    from leadpipeline.errors import ConflictError
    from leadpipeline.events import evolve
    from leadpipeline.playbook import DEFAULT_PLAYBOOK
    from leadpipeline.stages.commands import AddNote
    from leadpipeline.stages.decide import decide
    from leadpipeline.stages.transition import Transition

    path, name, threads_n, appends = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    go = Path(path + ".go")
    while not go.exists():
        time.sleep(0.005)
    store = SqliteStore(path)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    conflicts, landed = [0], [0]
    lock = threading.Lock()

    def writer(t):
        for i in range(appends):
            lead_id = ("L-1", "L-2", "L-3")[(t + i) % 3]
            while True:
                lead = store.load(lead_id)
                events = decide(lead, AddNote(text=f"{name}/{t}/{i}"), DEFAULT_PLAYBOOK, now=now)
                after = lead
                for e in events:
                    after = evolve(after, e)
                try:
                    store.record(Transition(
                        lead_id=lead_id, expected_version=lead.version, events=events, after=after
                    ))
                except ConflictError:
                    with lock:
                        conflicts[0] += 1
                    continue
                with lock:
                    landed[0] += 1
                break

    workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads_n)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    store.close()
    print(json.dumps({"landed": landed[0], "conflicts": conflicts[0]}))
    """
)


class TestSqliteStoreConcurrency:
    def test_two_processes_with_threads_never_lose_an_update(self, db: Path) -> None:
        """Two processes of four threads each land every append or get ConflictError; none lost."""
        threads_n, appends = 4, 12
        with SqliteStore(db) as store:
            for lead_id in ("L-1", "L-2", "L-3"):
                capture(store, lead_id)
        children = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(db), name, str(threads_n), str(appends)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=os.environ.copy(),
            )
            for name in ("A", "B")
        ]
        time.sleep(0.3)  # let both children import before the start signal
        Path(f"{db}.go").touch()
        results = []
        for child in children:
            out, err = child.communicate(timeout=300)
            assert child.returncode == 0, err.decode()
            results.append(json.loads(out))
        landed = sum(r["landed"] for r in results)
        assert landed == 2 * threads_n * appends
        with SqliteStore(db) as store:
            notes = [
                e.text  # type: ignore[union-attr]
                for lead_id in ("L-1", "L-2", "L-3")
                for e in store.history(lead_id)
                if type(e).__name__ == "NoteAdded"
            ]
            versions = sum(store.load(lead_id).version for lead_id in ("L-1", "L-2", "L-3"))
        assert sorted(notes) == sorted(
            f"{name}/{t}/{i}" for name in "AB" for t in range(threads_n) for i in range(appends)
        )
        assert versions == 3 + landed

    def test_finished_threads_release_their_connections(self, db: Path) -> None:
        """Each thread gets its own connection, closed again when the thread ends."""
        with SqliteStore(db) as store:
            capture(store, "L-1")
            seen: list[int] = []

            def reader() -> None:
                seen.append(id(store._conn()))
                store.load("L-1")

            for _ in range(5):
                worker = threading.Thread(target=reader)
                worker.start()
                worker.join()
            gc.collect()
            assert len(seen) == 5
            assert len(store._pool._connections) == 1

    def test_history_versions_are_contiguous(self, db: Path) -> None:
        """The events table numbers each lead's events 1..n with no gaps or repeats."""
        with SqliteStore(db) as store:
            lead = capture(store, "L-1")
            for n in range(5):
                lead = apply(store, lead, AddNote(text=f"note {n}"))
        raw = sqlite3.connect(db)
        versions = [v for (v,) in raw.execute("SELECT version FROM events ORDER BY version")]
        raw.close()
        assert versions == [1, 2, 3, 4, 5, 6]


class FailingEnd:
    """A connection whose COMMIT and ROLLBACK fail, as after a persistent I/O error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, *params: object) -> sqlite3.Cursor:
        if sql in ("COMMIT", "ROLLBACK"):
            raise sqlite3.OperationalError("disk I/O error")
        return self.conn.execute(sql, *params)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


class TestSqliteStoreFailedTransactions:
    def test_a_connection_that_cannot_end_its_read_is_replaced(self, db: Path) -> None:
        """A read that cannot end raises StoreError and its connection is replaced.

        Later writes on the thread work, and the stuck connection is closed, not reused.
        """
        with SqliteStore(db) as store:
            capture(store, "L-1")
            real = store._pool._local.slot.conn  # the thread's connection (a white-box check)
            store._pool._local.slot.conn = FailingEnd(real)
            with pytest.raises(StoreError, match="cannot finish a read"):
                store.find_by_source_ids(["badge-L-1"])
            capture(store, "L-2")
            assert store.find_by_source_ids(["badge-L-1", "badge-L-2"]) == {
                "badge-L-1": "L-1",
                "badge-L-2": "L-2",
            }
            with pytest.raises(sqlite3.ProgrammingError):
                real.execute("SELECT 1")

    def test_a_write_that_cannot_commit_writes_nothing(self, db: Path) -> None:
        """A write whose COMMIT fails raises StoreError and leaves no trace of the lead."""
        with SqliteStore(db) as store:
            capture(store, "L-1")
            real = store._pool._local.slot.conn
            store._pool._local.slot.conn = FailingEnd(real)
            with pytest.raises(StoreError, match="cannot finish a write"):
                capture(store, "L-2")
            assert store.find_by_source_id("badge-L-2") is None
            assert [lead.id for lead in store.query()] == ["L-1"]
