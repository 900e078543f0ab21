"""`SqliteStore`: the embedded default `LeadStore`, on the standard library's sqlite3.

One file holds every lead's history (tagged JSON events), its snapshot with indexed
columns for the queries, and the outbox. Every write is one ``BEGIN IMMEDIATE``
transaction that checks the expected version inside it, so threads and processes sharing
the file never lose an update. A file that is not ours (not SQLite, another application's
database, or a newer schema) is refused and never written to.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, NamedTuple

from leadpipeline._checks import require_aware
from leadpipeline.adapters.encoding import (
    EncodedSnapshot,
    EncodedTransition,
    email_digest,
    party_key,
)
from leadpipeline.adapters.ports import (
    distinct_source_ids,
    normalise_company_name,
    normalise_domain,
    normalise_email,
)
from leadpipeline.errors import (
    ConflictError,
    LeadPipelineError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from leadpipeline.events import Event
from leadpipeline.lead import Lead, Party
from leadpipeline.serialization import from_json
from leadpipeline.stages.notify import Notification, OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SqliteStore", "Synchronous"]

APPLICATION_ID = 0x4C504950
"""``PRAGMA application_id`` of a leadpipeline database ("LPIP")."""

SCHEMA_VERSION = 1
"""The schema version this release writes and reads."""

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
"""SQLite's ``synchronous`` levels: FULL (the default) survives power loss after commit."""

_APPLICATION = "leadpipeline"
_HEADER = b"SQLite format 3\x00"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE leads (
    lead_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version > 0),
    snapshot TEXT NOT NULL,
    stage TEXT NOT NULL,
    owner TEXT NOT NULL,
    email_key TEXT,
    domain_norm TEXT,
    name_norm TEXT,
    due_at INTEGER
);
CREATE INDEX leads_stage ON leads (stage);
CREATE INDEX leads_owner ON leads (owner);
CREATE INDEX leads_email ON leads (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX leads_company ON leads (domain_norm, name_norm) WHERE domain_norm IS NOT NULL;
CREATE INDEX leads_due ON leads (due_at) WHERE due_at IS NOT NULL;
CREATE TABLE events (
    lead_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    body TEXT NOT NULL,
    UNIQUE (lead_id, version)
);
CREATE TABLE lead_partners (
    lead_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    PRIMARY KEY (lead_id, partner_id)
);
CREATE INDEX lead_partners_partner ON lead_partners (partner_id);
CREATE TABLE lead_sources (
    source_id TEXT NOT NULL,
    lead_id TEXT NOT NULL,
    PRIMARY KEY (source_id, lead_id)
);
CREATE INDEX lead_sources_lead ON lead_sources (lead_id);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;
CREATE INDEX outbox_lead ON outbox (lead_id, id);
"""


def _micros(at: datetime) -> int:
    return (at - _EPOCH) // _MICRO


def _instant(micros: int) -> datetime:
    return _EPOCH + micros * _MICRO


_INDEXED = ("stage", "owner", "email_key", "domain_norm", "name_norm", "due_at")
"""The indexed columns of `leads`, in the order `_Row.columns` carries them."""
_DUE = _INDEXED.index("due_at")


class _Row(NamedTuple):
    """A lead's row in `leads` and its rows in `lead_partners` and `lead_sources`."""

    lead_id: str
    version: int
    columns: tuple[Any, ...]  # the values of _INDEXED, in that order
    partners: tuple[str, ...]
    sources: tuple[str, ...]
    snapshot: str = ""

    @property
    def due_at(self) -> int | None:
        due: int | None = self.columns[_DUE]
        return due

    @classmethod
    def of(cls, encoded: EncodedSnapshot, due_at: int | None) -> _Row:
        keys = encoded.keys
        # in the order of _INDEXED: stage, owner, email_key, domain_norm, name_norm, due_at
        columns = (
            keys.stage,
            encoded.owner,
            encoded.email_digest,
            keys.domain,
            keys.company_name,
            due_at,
        )
        return cls(
            encoded.lead.id,
            encoded.lead.version,
            columns,
            keys.partner_ids,
            keys.source_ids,
            encoded.text,
        )


class _Write(NamedTuple):
    """One transition reduced to the rows it writes (see `_Row`)."""

    lead_id: str
    expected_version: int
    events: tuple[tuple[str, int, str], ...]
    row: _Row
    outbox: tuple[tuple[str, str, int], ...]
    rewrites: tuple[tuple[str, str, int], ...]
    outbox_rewrites: tuple[tuple[str, str, int, str], ...]

    @classmethod
    def of(cls, transition: Transition) -> _Write:
        encoded = EncodedTransition.of(transition)
        lead_id, expected = transition.lead_id, transition.expected_version
        due = transition.due_at
        return cls(
            lead_id,
            expected,
            tuple([(lead_id, expected + i, body) for i, body in enumerate(encoded.events, 1)]),
            _Row.of(encoded.snapshot, _micros(due) if due is not None else None),
            tuple(
                (lead_id, body, _micros(note.created_at))
                for note, body in zip(transition.notifications, encoded.notifications, strict=True)
            ),
            tuple((body, lead_id, version) for version, body in encoded.rewrites),
            tuple(
                (body, error, entry_id, lead_id)
                for entry_id, body, error in encoded.outbox_rewrites
            ),
        )


_CHUNK = 500  # bound parameters per IN (...) list, well under SQLite's limit


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _filters(
    stage: str | None, owner: Party | None, partner_id: str | None, due_before: datetime | None
) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters shared by `query` and `count`."""
    where, params = ["1"], list[Any]()
    if stage is not None:
        where.append("stage = ?")
        params.append(stage)
    if owner is not None:
        where.append("owner = ?")
        params.append(party_key(owner))
    if partner_id is not None:
        where.append(
            "EXISTS (SELECT 1 FROM lead_partners p "
            "WHERE p.lead_id = leads.lead_id AND p.partner_id = ?)"
        )
        params.append(partner_id)
    if due_before is not None:
        require_aware("due_before", due_before)
        where.append("due_at IS NOT NULL AND due_at < ?")
        params.append(_micros(due_before))
    return " AND ".join(where), params


def _read_stored(conn: sqlite3.Connection, lead_ids: Iterable[str]) -> dict[str, _Row]:
    """What the file holds now for these leads (absent ones are missing from the result)."""
    wanted = list(dict.fromkeys(lead_ids))
    found: dict[str, tuple[int, tuple[Any, ...]]] = {}
    partners: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for part in _chunks(wanted):
        marks = ",".join("?" * len(part))
        for lead_id, version, *columns in conn.execute(
            f"SELECT lead_id, version, {', '.join(_INDEXED)} FROM leads WHERE lead_id IN ({marks})",
            part,
        ):
            found[lead_id] = (version, tuple(columns))
    known = list(found)
    for part in _chunks(known):
        marks = ",".join("?" * len(part))
        for lead_id, partner_id in conn.execute(
            f"SELECT lead_id, partner_id FROM lead_partners WHERE lead_id IN ({marks})", part
        ):
            partners.setdefault(lead_id, []).append(partner_id)
        for lead_id, source_id in conn.execute(
            f"SELECT lead_id, source_id FROM lead_sources WHERE lead_id IN ({marks})", part
        ):
            sources.setdefault(lead_id, []).append(source_id)
    return {
        lead_id: _Row(
            lead_id,
            version,
            columns,
            tuple(partners.get(lead_id, ())),
            tuple(sources.get(lead_id, ())),
        )
        for lead_id, (version, columns) in found.items()
    }


def _save_snapshots(conn: sqlite3.Connection, rows: Sequence[tuple[_Row | None, _Row]]) -> None:
    """Write each lead's new row, touching only what changed.

    Rewriting an unchanged index entry still dirties its page, and with synchronous FULL
    every dirty page is written and synced at commit; leaving them alone keeps a command
    to a handful of pages.
    """
    inserts: list[tuple[Any, ...]] = []
    updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    gone_partners: list[tuple[str, str]] = []
    new_partners: list[tuple[str, str]] = []
    gone_sources: list[tuple[str, str]] = []
    new_sources: list[tuple[str, str]] = []
    for before, after in rows:
        lead_id = after.lead_id
        if before is None:
            inserts.append((lead_id, after.version, after.snapshot, *after.columns))
            new_partners += [(lead_id, p) for p in after.partners]
            new_sources += [(source, lead_id) for source in after.sources]
            continue
        changed = tuple(
            (name, value)
            for name, value, old in zip(_INDEXED, after.columns, before.columns, strict=True)
            if value != old
        )
        updates.setdefault(tuple(name for name, _ in changed), []).append(
            (after.version, after.snapshot, *(value for _, value in changed), lead_id)
        )
        if after.partners != before.partners:
            old_p, new_p = set(before.partners), set(after.partners)
            gone_partners += [(lead_id, p) for p in sorted(old_p - new_p)]
            new_partners += [(lead_id, p) for p in sorted(new_p - old_p)]
        if after.sources != before.sources:
            old_s, new_s = set(before.sources), set(after.sources)
            gone_sources += [(source, lead_id) for source in sorted(old_s - new_s)]
            new_sources += [(source, lead_id) for source in sorted(new_s - old_s)]
    if inserts:
        conn.executemany(
            f"INSERT INTO leads (lead_id, version, snapshot, {', '.join(_INDEXED)}) "
            f"VALUES ({', '.join('?' * (3 + len(_INDEXED)))})",
            inserts,
        )
    for names, params in updates.items():
        assignments = "".join(f", {name} = ?" for name in names)
        conn.executemany(
            f"UPDATE leads SET version = ?, snapshot = ?{assignments} WHERE lead_id = ?", params
        )
    if gone_partners:
        conn.executemany(
            "DELETE FROM lead_partners WHERE lead_id = ? AND partner_id = ?", gone_partners
        )
    if new_partners:
        conn.executemany(
            "INSERT INTO lead_partners (lead_id, partner_id) VALUES (?, ?)", new_partners
        )
    if gone_sources:
        conn.executemany(
            "DELETE FROM lead_sources WHERE source_id = ? AND lead_id = ?", gone_sources
        )
    if new_sources:
        conn.executemany("INSERT INTO lead_sources (source_id, lead_id) VALUES (?, ?)", new_sources)


class _Slot:
    """One thread's connection; when the thread ends, the slot is collected and closes it."""

    __slots__ = ("__weakref__", "conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()


_Connections = dict[int, tuple[sqlite3.Connection, int]]


def _release(connections: _Connections, lock: threading.Lock, key: int) -> None:
    with lock:
        found = connections.pop(key, None)
    # a connection inherited across fork belongs to the parent: never touch it
    if found is not None and found[1] == os.getpid():
        found[0].close()


class SqliteStore:
    """A `LeadStore` in one SQLite file, safe for many threads and several processes.

    Args:
        path: the database file; created with the schema when missing or empty.
        synchronous: SQLite's durability level; ``"FULL"`` survives power loss.
        busy_timeout: seconds a writer waits for another writer before giving up.

    Raises:
        StoreError: the file is not SQLite, belongs to another application, or has a
            newer schema; the file is left as it was.

    Example:
        >>> import tempfile, pathlib
        >>> folder = tempfile.mkdtemp()
        >>> with SqliteStore(pathlib.Path(folder) / "leads.db") as store:
        ...     store.query()
        ()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Synchronous = "FULL",
        busy_timeout: float = 30.0,
    ) -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValidationError.at("synchronous", f"unknown level {synchronous!r}")
        if busy_timeout <= 0:
            raise ValidationError.at("busy_timeout", "must be positive")
        if str(path) == ":memory:" or str(path).startswith("file::memory:"):
            raise StoreError(
                "SqliteStore needs a file (WAL mode, one connection per thread); "
                "use MemoryStore for a store that lives in memory"
            )
        self.path = Path(path)
        self._synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: _Connections = {}
        self._keys = itertools.count()
        self._closed = False
        self._refuse_foreign_bytes()
        try:
            self._open_schema()
        except BaseException:
            self.close()
            raise

    # -- opening ------------------------------------------------------------------

    def _refuse_foreign_bytes(self) -> None:
        if self.path.is_dir():
            raise StoreError(f"{self.path} is a directory, not a leadpipeline database")
        try:
            with self.path.open("rb") as file:
                header = file.read(len(_HEADER))
        except FileNotFoundError:
            return
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from None
        if header and header != _HEADER:
            raise StoreError(
                f"{self.path} is not a SQLite database (a foreign or corrupted file); "
                "refusing to open it"
            )

    def _open_schema(self) -> None:
        try:
            conn = self._conn()
            if self._is_blank(conn):
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if self._is_blank(conn):
                        for statement in _SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.executemany(
                            "INSERT INTO meta (key, value) VALUES (?, ?)",
                            [
                                ("application", _APPLICATION),
                                ("schema_version", str(SCHEMA_VERSION)),
                            ],
                        )
                        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            self._check_ours(conn)
            self._use_wal(conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} cannot be used as a leadpipeline database ({exc}); "
                "it may be corrupted"
            ) from None

    @staticmethod
    def _is_blank(conn: sqlite3.Connection) -> bool:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return bool(app_id == 0 and tables == 0)

    def _check_ours(self, conn: sqlite3.Connection) -> None:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            raise StoreError(
                f"{self.path} is another application's SQLite database "
                f"(application_id {app_id:#x}); refusing to use it"
            )
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError:
            meta = {}
        if meta.get("application") != _APPLICATION or "schema_version" not in meta:
            raise StoreError(f"{self.path} has no leadpipeline metadata; refusing to use it")
        try:
            found = int(meta["schema_version"])
        except ValueError:
            raise StoreError(
                f"{self.path} has an unreadable schema version {meta['schema_version']!r}"
            ) from None
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {found}, written by a newer leadpipeline; "
                f"this version reads schema {SCHEMA_VERSION}: upgrade leadpipeline"
            )
        if found < SCHEMA_VERSION:
            raise StoreError(f"{self.path} has unknown old schema version {found}")

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() == "wal":
                    return
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{self.path}: cannot use WAL mode (journal mode {mode!r})")
            except sqlite3.OperationalError:
                # another process is switching the file to WAL at the same moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _conn(self) -> sqlite3.Connection:
        slot: _Slot | None = getattr(self._local, "slot", None)
        if slot is not None and slot.pid == os.getpid() and not self._closed:
            return slot.conn
        with self._lock:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed")
            try:
                conn = sqlite3.connect(
                    self.path,
                    timeout=self._busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open {self.path}: {exc}") from None
            key = next(self._keys)
            self._connections[key] = (conn, os.getpid())
        slot = _Slot(conn)
        # The thread's connection closes when the thread ends, so a thread pool that
        # churns threads does not leak file handles.
        weakref.finalize(slot, _release, self._connections, self._lock, key)
        conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        conn.execute("PRAGMA secure_delete = ON")
        self._local.slot = slot
        return conn

    def close(self) -> None:
        """Close every connection this store opened; later calls raise `StoreError`."""
        with self._lock:
            self._closed = True
            connections = list(self._connections.values())
            self._connections.clear()
        for conn, pid in connections:
            if pid == os.getpid():
                conn.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._transaction("BEGIN IMMEDIATE", "a write") as conn:
            yield conn

    @contextmanager
    def _transaction(self, begin: str, what: str) -> Iterator[sqlite3.Connection]:
        """One transaction on this thread's connection, committed, or rolled back on error."""
        conn = self._conn()
        try:
            conn.execute(begin)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot start {what} on {self.path}: {exc}") from None
        try:
            yield conn
        except BaseException:
            self._abandon(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abandon(conn)
            raise StoreError(f"cannot finish {what} on {self.path}: {exc}") from None

    def _abandon(self, conn: sqlite3.Connection) -> None:
        """Roll back; a connection that cannot even do that is dropped, not reused.

        Left inside a transaction it would refuse every later write on this thread and
        pin the write-ahead log; the next call opens a fresh connection instead.
        """
        if not conn.in_transaction:
            return
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            self._local.slot = None  # the slot's finaliser closes the connection

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from None

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate the log to zero.

        Raises:
            StoreError: readers kept the log busy until the busy timeout.
        """
        conn = self._conn()
        deadline = time.monotonic() + self._busy_timeout
        while True:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if not busy:
                return
            if time.monotonic() > deadline:
                raise StoreError(
                    f"{self.path}: the write-ahead log stayed busy; run checkpoint() again"
                )
            time.sleep(0.01)

    # -- reading ------------------------------------------------------------------

    def load(self, lead_id: str) -> Lead:
        """The current snapshot (see `LeadStore.load`)."""
        rows = self._read("SELECT snapshot FROM leads WHERE lead_id = ?", (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        lead: Lead = from_json(rows[0][0], Lead)
        return lead

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """Every event of the lead, oldest first (see `LeadStore.history`)."""
        rows = self._read("SELECT body FROM events WHERE lead_id = ? ORDER BY version", (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        return tuple(from_json(body, Event) for (body,) in rows)

    def find_by_source_id(self, source_id: str) -> str | None:
        """The lead captured from or merged with this source record, if any."""
        rows = self._read("SELECT min(lead_id) FROM lead_sources WHERE source_id = ?", (source_id,))
        found: str | None = rows[0][0]
        return found

    def find_by_source_ids(self, source_ids: Iterable[str]) -> dict[str, str]:
        """The lead of each known source record (see `LeadStore.find_by_source_ids`).

        Read in chunks within one read transaction, so the answer is one consistent view.
        """
        wanted = distinct_source_ids(source_ids)
        found: dict[str, str] = {}
        try:
            with self._transaction("BEGIN", "a read") as conn:
                for part in _chunks(wanted):
                    marks = ",".join("?" * len(part))
                    found.update(
                        conn.execute(
                            "SELECT source_id, min(lead_id) FROM lead_sources "
                            f"WHERE source_id IN ({marks}) GROUP BY source_id",
                            part,
                        ).fetchall()
                    )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from None
        return found

    def find_duplicate(
        self,
        *,
        email: str | None,
        domain: str | None,
        company_name: str | None,
        closed_stages: Iterable[str],
    ) -> str | None:
        """An open lead with the same email, or the same domain and company name."""
        closed_list = sorted(frozenset(closed_stages))
        closed = ",".join("?" * len(closed_list))
        open_only = f"stage NOT IN ({closed})" if closed else "1"
        key = email_digest(normalise_email(email))
        if key is not None:
            rows = self._read(
                f"SELECT min(lead_id) FROM leads WHERE email_key = ? AND {open_only}",
                (key, *closed_list),
            )
            if rows[0][0] is not None:
                return str(rows[0][0])
        domain_n, name_n = normalise_domain(domain), normalise_company_name(company_name)
        if domain_n is not None and name_n is not None:
            rows = self._read(
                "SELECT min(lead_id) FROM leads "
                f"WHERE domain_norm = ? AND name_norm = ? AND {open_only}",
                (domain_n, name_n, *closed_list),
            )
            if rows[0][0] is not None:
                return str(rows[0][0])
        return None

    def query(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
        limit: int | None = None,
    ) -> tuple[Lead, ...]:
        """Snapshots matching every given filter, most urgent first (see `LeadStore.query`)."""
        where, params = _filters(stage, owner, partner_id, due_before)
        sql = f"SELECT snapshot FROM leads WHERE {where} ORDER BY due_at IS NULL, due_at, lead_id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return tuple(from_json(text, Lead) for (text,) in self._read(sql, params))

    def count(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
    ) -> int:
        """How many leads `query` with the same filters returns (see `LeadStore.count`)."""
        where, params = _filters(stage, owner, partner_id, due_before)
        found: int = self._read(f"SELECT count(*) FROM leads WHERE {where}", params)[0][0]
        return found

    # -- writing ------------------------------------------------------------------

    def record(self, transition: Transition) -> None:
        """Write one transition atomically (see `LeadStore.record`).

        After an erasure commits, the write-ahead log is checkpointed and truncated, and
        with ``secure_delete`` on, no byte of the erased values remains in the files.
        """
        self.record_many((transition,))

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions in one transaction, all or nothing."""
        writes = [_Write.of(t) for t in transitions]
        with self._guard(), self._write() as conn:
            stored = _read_stored(conn, [w.lead_id for w in writes])
            running = {lead_id: row.version for lead_id, row in stored.items()}
            latest: dict[str, _Row] = {}
            for write in writes:
                actual = running.get(write.lead_id)
                if (actual or 0) != write.expected_version:
                    raise ConflictError(
                        lead_id=write.lead_id, expected=write.expected_version, actual=actual
                    )
                running[write.lead_id] = write.row.version
                latest[write.lead_id] = write.row
            rewrites = [row for w in writes for row in w.rewrites]
            if rewrites:
                conn.executemany(
                    "UPDATE events SET body = ? WHERE lead_id = ? AND version = ?", rewrites
                )
            conn.executemany(
                "INSERT INTO events (lead_id, version, body) VALUES (?, ?, ?)",
                [row for w in writes for row in w.events],
            )
            _save_snapshots(conn, [(stored.get(lead_id), row) for lead_id, row in latest.items()])
            entries = [row for w in writes for row in w.outbox_rewrites]
            if entries:
                conn.executemany(
                    "UPDATE outbox SET body = ?, last_error = ? WHERE id = ? AND lead_id = ?",
                    entries,
                )
            conn.executemany(
                "INSERT INTO outbox (lead_id, body, next_attempt_at) VALUES (?, ?, ?)",
                [row for w in writes for row in w.outbox],
            )
        if any(t.erases for t in transitions):
            self.checkpoint()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except LeadPipelineError:
            raise
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"{self.path}: write refused by the schema: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: write failed: {exc}") from None

    # -- the outbox ---------------------------------------------------------------

    @staticmethod
    def _entry(row: Sequence[Any]) -> OutboxEntry:
        entry_id, body, attempts, next_at, delivered, error = row
        return OutboxEntry(
            id=entry_id,
            notification=from_json(body, Notification),
            attempts=attempts,
            next_attempt_at=_instant(next_at),
            delivered_at=_instant(delivered) if delivered is not None else None,
            last_error=error,
        )

    _COLUMNS = "id, body, attempts, next_attempt_at, delivered_at, last_error"

    def outbox(self, lead_id: str) -> tuple[OutboxEntry, ...]:
        """Every outbox entry of the lead, in the order written."""
        if not self._read("SELECT 1 FROM leads WHERE lead_id = ?", (lead_id,)):
            raise NotFoundError(lead_id)
        rows = self._read(
            f"SELECT {self._COLUMNS} FROM outbox WHERE lead_id = ? ORDER BY id",
            (lead_id,),
        )
        return tuple(self._entry(r) for r in rows)

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Undelivered entries due at or before `now`, oldest first."""
        require_aware("now", now)
        rows = self._read(
            f"SELECT {self._COLUMNS} FROM outbox "
            "WHERE delivered_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (_micros(now), limit),
        )
        return tuple(self._entry(r) for r in rows)

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a successful delivery; a second call changes nothing."""
        require_aware("at", at)
        with self._guard(), self._write() as conn:
            found = conn.execute("SELECT 1 FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            if found is None:
                raise NotFoundError(str(entry_id), what="outbox entry")
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, delivered_at = ? "
                "WHERE id = ? AND delivered_at IS NULL",
                (_micros(at), entry_id),
            )

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failed attempt and when to try again."""
        require_aware("retry_at", retry_at)
        with self._guard(), self._write() as conn:
            found = conn.execute("SELECT 1 FROM outbox WHERE id = ?", (entry_id,)).fetchone()
            if found is None:
                raise NotFoundError(str(entry_id), what="outbox entry")
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ? AND delivered_at IS NULL",
                (error, _micros(retry_at), entry_id),
            )
