"""`SqliteStore`: the embedded default `LeadStore`, on the standard library's sqlite3.

One file holds every lead's history (tagged JSON events), its snapshot with indexed
columns for the queries, and the outbox. Every write is one ``BEGIN IMMEDIATE``
transaction that checks the expected version inside it, so threads and processes sharing
the file never lose an update. A file that is not ours (not SQLite, another application's
database, or a newer schema) is refused and never written to.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from leadpipeline._checks import require_aware
from leadpipeline.adapters._fragments import SnapshotTexts
from leadpipeline.adapters.encoding import (
    UNREADABLE_NOTE,
    UNREADABLE_PAUSE,
    email_digest,
    read_back,
    readable,
    unreadable_ids,
)
from leadpipeline.adapters.ports import (
    claims_of,
    distinct_source_ids,
    normalise_company_name,
    normalise_domain,
    normalise_email,
)
from leadpipeline.adapters.sqlite._commit import CommitQueue, Job
from leadpipeline.adapters.sqlite._connections import ThreadConnections
from leadpipeline.adapters.sqlite._file import open_schema, refuse_foreign_bytes
from leadpipeline.adapters.sqlite._groups import Work, write_group
from leadpipeline.adapters.sqlite._rows import Write, chunks, filters, instant, micros
from leadpipeline.adapters.sqlite._write import KnownRows
from leadpipeline.errors import (
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

__all__ = ["SqliteStore", "Synchronous"]

_SCRUB_WAIT = 5.0
"""Seconds `scrub` waits for readers of the log before leaving the scrub due."""

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
"""SQLite's ``synchronous`` levels: FULL (the default) survives power loss after commit."""


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
        self._pool = ThreadConnections(self.path, synchronous, busy_timeout)
        self._known = KnownRows()
        self._texts = SnapshotTexts()
        self._queue: CommitQueue[Work] = CommitQueue(self._commit_group)
        refuse_foreign_bytes(self.path)
        try:
            open_schema(self._conn, self.path, self._busy_timeout)
        except BaseException:
            self.close()
            raise

    def _conn(self) -> sqlite3.Connection:
        return self._pool.get()

    def close(self) -> None:
        """Close every connection this store opened; later calls raise `StoreError`."""
        self._pool.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._transaction("BEGIN IMMEDIATE", "a write") as conn:
            yield conn

    @contextlib.contextmanager
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
            self._pool.drop()  # the slot's finaliser closes the connection

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from None

    def checkpoint(self, *, wait: float | None = None) -> None:
        """Copy the write-ahead log into the database file and truncate the log to zero.

        `wait` is how many seconds readers may keep the log busy (default: the busy
        timeout).

        Raises:
            StoreError: readers kept the log busy all that time; run it again later.
        """
        conn = self._conn()
        patience = self._busy_timeout if wait is None else min(wait, self._busy_timeout)
        deadline = time.monotonic() + patience
        # each checkpoint call waits in SQLite's busy handler too: bound that by `wait`
        conn.execute(f"PRAGMA busy_timeout = {int(patience * 1000)}")
        try:
            while True:
                try:
                    busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                except sqlite3.Error as exc:
                    raise StoreError(f"cannot checkpoint {self.path}: {exc}") from None
                if not busy:
                    return
                if time.monotonic() > deadline:
                    raise StoreError(
                        f"{self.path}: the write-ahead log stayed busy; run checkpoint() again"
                    )
                time.sleep(0.01)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")

    def scrub(self) -> None:
        """Leave no byte of erased values in the files: checkpoint and truncate the log.

        With ``secure_delete`` on, SQLite zeroes every page it frees, so once the log is
        copied back and truncated the erased values are gone from the database file and
        from its ``-wal`` file. Every erasure marks a scrub due in the same transaction;
        with none due this returns at once. A reader (a backup, say) that keeps the log
        busy for more than a few seconds makes it wait and then raise; the erasure
        stands, the scrub stays due, and the next call (or erasing the lead again)
        finishes it.

        Raises:
            StoreError: readers kept the log busy; nothing is lost, call it again later.
        """
        rows = self._read("SELECT value FROM meta WHERE key = 'scrub_due'")
        if not rows:
            return
        self.checkpoint(wait=_SCRUB_WAIT)
        with self._guard(), self._write() as conn:
            # an erasure that committed meanwhile bumped the mark: it stays due
            conn.execute("DELETE FROM meta WHERE key = 'scrub_due' AND value = ?", rows[0])
        with contextlib.suppress(StoreError):  # the mark's own page holds no personal data
            self.checkpoint(wait=_SCRUB_WAIT)

    # -- reading ------------------------------------------------------------------

    def load(self, lead_id: str) -> Lead:
        """The current snapshot (see `LeadStore.load`)."""
        rows = self._read("SELECT snapshot FROM leads WHERE lead_id = ?", (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        return read_back(lead_id, "snapshot", functools.partial(_lead, rows[0][0]))

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """Every event of the lead, oldest first (see `LeadStore.history`)."""
        rows = self._read("SELECT body FROM events WHERE lead_id = ? ORDER BY version", (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        bodies = [body for (body,) in rows]
        return read_back(
            lead_id, "history", lambda: tuple(from_json(body, Event) for body in bodies)
        )

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
                for part in chunks(wanted):
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
        where, params = filters(stage, owner, partner_id, due_before)
        sql = (
            f"SELECT lead_id, snapshot FROM leads WHERE {where} "
            "ORDER BY due_at IS NULL, due_at, lead_id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return readable(self._read(sql, params), "snapshot", _lead)

    def count(
        self,
        *,
        stage: str | None = None,
        owner: Party | None = None,
        partner_id: str | None = None,
        due_before: datetime | None = None,
    ) -> int:
        """How many leads `query` with the same filters returns (see `LeadStore.count`)."""
        where, params = filters(stage, owner, partner_id, due_before)
        found: int = self._read(f"SELECT count(*) FROM leads WHERE {where}", params)[0][0]
        return found

    # -- writing ------------------------------------------------------------------

    def record(self, transition: Transition) -> None:
        """Write one transition atomically (see `LeadStore.record`).

        An erasure marks a scrub due in the same transaction; `scrub` then leaves no byte
        of the erased values in the files.
        """
        self.record_many((transition,))

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions in one transaction, all or nothing.

        Concurrent calls from threads of this process are committed together (see
        `_commit`): each returns only once the commit holding its write is done, and a
        conflict in one call's write fails that call alone.
        """
        claimed = claims_of(transitions)
        writes = [Write.of(t, self._texts) for t in transitions]
        self._queue.submit((writes, claimed, any(t.erases for t in transitions)))

    def _commit_group(self, group: Sequence[Job[Work]]) -> None:
        """Apply a group of writes in one transaction (see `write_group`) and commit once."""
        with self._guard(), self._write() as conn:
            written = write_group(conn, group, self._known, functools.partial(_failed, self))
        self._known.put_all(written)

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except LeadPipelineError:
            raise
        except sqlite3.Error as exc:
            raise _failed(self, exc) from None

    # -- the outbox ---------------------------------------------------------------

    _COLUMNS = "lead_id, id, body, attempts, next_attempt_at, delivered_at, last_error"

    def outbox(self, lead_id: str) -> tuple[OutboxEntry, ...]:
        """Every outbox entry of the lead, in the order written."""
        if not self._read("SELECT 1 FROM leads WHERE lead_id = ?", (lead_id,)):
            raise NotFoundError(lead_id)
        rows = self._read(
            f"SELECT {self._COLUMNS} FROM outbox WHERE lead_id = ? ORDER BY id",
            (lead_id,),
        )
        return read_back(lead_id, "outbox", lambda: tuple(_entry(r[1:]) for r in rows))

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Undelivered entries due at or before `now`, oldest first."""
        require_aware("now", now)
        rows = self._read(
            f"SELECT {self._COLUMNS} FROM outbox "
            "WHERE delivered_at IS NULL AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (micros(now), limit),
        )
        kept = readable(((r[0], r[1:]) for r in rows), "notification", _entry)
        if len(kept) < len(rows):  # a damaged entry waits apart, never crowding the rest
            self._set_aside(unreadable_ids([r[1:] for r in rows], kept), now)
        return kept

    def _set_aside(self, entry_ids: list[int], now: datetime) -> None:
        with self._guard(), self._write() as conn:
            conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ? AND delivered_at IS NULL",
                [(UNREADABLE_NOTE, micros(now + UNREADABLE_PAUSE), i) for i in entry_ids],
            )

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
                (micros(at), entry_id),
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
                (error, micros(retry_at), entry_id),
            )


def _failed(store: SqliteStore, exc: sqlite3.Error) -> StoreError:
    if isinstance(exc, sqlite3.IntegrityError):
        return StoreError(f"{store.path}: write refused by the schema: {exc}")
    return StoreError(f"{store.path}: write failed: {exc}")


def _lead(text: str) -> Lead:
    lead: Lead = from_json(text, Lead)
    return lead


def _entry(row: Sequence[Any]) -> OutboxEntry:
    entry_id, body, attempts, next_at, delivered, error = row
    return OutboxEntry(
        id=entry_id,
        notification=from_json(body, Notification),
        attempts=attempts,
        next_attempt_at=instant(next_at),
        delivered_at=instant(delivered) if delivered is not None else None,
        last_error=error,
    )
