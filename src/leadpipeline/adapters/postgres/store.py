"""`PostgresStore`: the `LeadStore` for several hosts sharing one PostgreSQL database.

Every table lives in one schema (``leadpipeline`` by default), created and migrated by the
library from numbered SQL files shipped in the package, each applied once, under an
advisory lock, with the schema version recorded; a database migrated by a newer release is
refused. Every append is one statement, so one transaction: the expected-version check is
an ``UPDATE ... WHERE version = expected`` (or an insert that refuses an existing lead),
and the ``UNIQUE (lead_id, version)`` constraint on the history stands behind it. Relays on
different hosts lease outbox entries with ``FOR UPDATE SKIP LOCKED`` and a lease expiry,
and hear about new entries through ``LISTEN``/``NOTIFY``.

This is the only module that imports psycopg; install it with ``leadpipeline[postgres]``.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from leadpipeline._checks import require_aware
from leadpipeline.adapters.encoding import (
    UNREADABLE_NOTE,
    UNREADABLE_PAUSE,
    email_digest,
    read_back,
    readable,
    unreadable_ids,
)
from leadpipeline.adapters.ports import (
    distinct_source_ids,
    normalise_company_name,
    normalise_domain,
    normalise_email,
)
from leadpipeline.adapters.postgres._migrations import LEDGER, migrate
from leadpipeline.adapters.postgres._sql import Statements, entry_of, filters
from leadpipeline.adapters.postgres._write import Writes
from leadpipeline.adapters.postgres.outbox import LeasedOutbox, default_owner
from leadpipeline.errors import (
    ConfigurationError,
    LeadPipelineError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from leadpipeline.events import Event
from leadpipeline.lead import Lead, Party
from leadpipeline.serialization import structure
from leadpipeline.stages.notify import OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = ["DSN_ENV", "PostgresStore", "SynchronousCommit"]

DSN_ENV = "LEADPIPELINE_POSTGRES_DSN"
"""The environment variable `PostgresStore.from_env` reads the connection string from."""

SynchronousCommit = Literal["on", "off", "local", "remote_write", "remote_apply"]
"""PostgreSQL's ``synchronous_commit`` levels (``on`` waits for the WAL flush)."""

_SCRUB_LOCK_WAIT = 5.0
"""Seconds `scrub` waits for each table's lock before leaving the scrub due."""

_SYNCHRONOUS = ("on", "off", "local", "remote_write", "remote_apply")
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,49}")


def _check_schema_name(schema: str) -> str:
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ValidationError.at(
            "schema", f"{schema!r} is not a plain lower-case identifier of at most 50 characters"
        )
    return schema


class PostgresStore:
    """A `LeadStore` on PostgreSQL, safe for many threads, processes and hosts.

    Args:
        dsn: a libpq connection string or URL; None reads `DSN_ENV`.
        schema: the schema every table lives in (created when missing).
        min_size: connections the pool keeps open.
        max_size: connections the pool opens at most.
        timeout: seconds to wait for a free pooled connection.
        synchronous_commit: the sessions' ``synchronous_commit``; None keeps the server's
            (``on`` by default: a commit survives a crash). ``off`` answers before the
            WAL is flushed: a server crash may lose the last fraction of a second of
            writes, but never breaks a version check or half-applies a write.
        create: when False, a schema that does not hold a leadpipeline database yet is
            refused rather than created (for commands that only read).

    Raises:
        ConfigurationError: no DSN given and none in the environment.
        StoreError: the server cannot be reached, the schema belongs to another
            application, or it was migrated by a newer leadpipeline.

    A store holds a pool and background threads: open one per process (after any fork),
    share it between that process's threads, and `close` it when done.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        schema: str = "leadpipeline",
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 30.0,
        synchronous_commit: SynchronousCommit | None = None,
        create: bool = True,
    ) -> None:
        if synchronous_commit not in (None, *_SYNCHRONOUS):
            raise ValidationError.at("synchronous_commit", f"unknown level {synchronous_commit!r}")
        if dsn is None:
            dsn = os.environ.get(DSN_ENV) or None
            if dsn is None:
                raise ConfigurationError.at(
                    "dsn", f"no connection string given and {DSN_ENV} is not set"
                )
        if min_size < 0 or max_size < max(min_size, 1):
            raise ValidationError.at("max_size", "need 0 <= min_size <= max_size, max_size >= 1")
        if timeout <= 0:
            raise ValidationError.at("timeout", "must be positive")
        self.schema = _check_schema_name(schema)
        self._dsn = dsn
        self._listener: psycopg.Connection[Any] | None = None
        self._listener_lock = threading.Lock()
        self._closed = False
        self._sql = Statements(schema)
        self.channel = self._sql.channel
        self._writes = Writes(self._sql, self._conn, self._read)
        self._create = create
        self.migrate()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"autocommit": True},
            configure=functools.partial(_configure, synchronous_commit=synchronous_commit),
            name=f"leadpipeline-{schema}",
            open=False,
        )
        try:
            self._pool.open(wait=min_size > 0, timeout=timeout)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(f"cannot open connections to PostgreSQL: {exc}") from None

    @classmethod
    def from_env(cls, *, schema: str = "leadpipeline", **options: Any) -> PostgresStore:
        """A store on the database named by ``LEADPIPELINE_POSTGRES_DSN``.

        Raises:
            ConfigurationError: the variable is not set.
        """
        return cls(None, schema=schema, **options)

    # -- the schema -----------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self._dsn, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}".strip()) from None
        _configure(conn)
        return conn

    def migrate(self) -> int:
        """Create the schema or bring it up to this release's version; returns that version.

        Runs in one transaction under an advisory lock on the schema name, so processes
        starting together apply each migration exactly once. Called by the constructor.

        Raises:
            StoreError: the schema holds another application's tables, a recorded
                migration differs from the shipped file, or the schema is newer than
                this release knows.
        """
        with self._connect() as conn, self._guard("migrate"):
            return migrate(conn, self.schema, create=self._create)

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        rows = self._read(f'SELECT max(version) FROM "{self.schema}".{LEDGER}')
        return int(rows[0][0] or 0)

    # -- connections ----------------------------------------------------------------------

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        if self._closed:
            raise StoreError(f"the store on schema {self.schema!r} is closed")
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise StoreError(f"no PostgreSQL connection free: {exc}") from None

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except LeadPipelineError:
            raise
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL {what} failed: {exc}".strip()) from None

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self._guard("read"), self._conn() as conn:
            return conn.execute(sql.encode(), params).fetchall()

    def close(self) -> None:
        """Close the pool and the listener; later calls raise `StoreError`."""
        self._closed = True
        self._pool.close()
        with self._listener_lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def drop_schema(self) -> None:
        """Drop the store's schema with every lead in it, and close the store (for tests)."""
        with self._guard("drop"), self._conn() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.close()

    def scrub(self) -> None:
        """Rewrite the tables when an erasure is due, so no erased value stays in a file.

        PostgreSQL keeps an updated row's old version in the table file: vacuuming only
        marks its space free, and the bytes stay until the page is reused. Every erasure
        records that a scrub is due (in the same transaction); this rewrites the leads,
        events and outbox tables into new files (``VACUUM FULL``, which holds an exclusive
        lock on each table while it runs) and clears what it covered. With nothing due
        it returns at once. The write-ahead log, WAL archives, replicas and backups keep
        their copies until they rotate: see docs/postgres.md.

        Raises:
            StoreError: the database refused (a lock timeout, for example); the erasure
                stands and a later call finishes the scrub.
        """
        with self._guard("scrub"), self._conn() as conn:
            due = [row[0] for row in conn.execute(self._sql.scrub_due).fetchall()]
            if not due:
                return
            # a rewrite waits for every reader's lock and queues every writer behind it:
            # give up after a while rather than stall the store
            conn.execute(f"SET lock_timeout = '{int(_SCRUB_LOCK_WAIT * 1000)}ms'".encode())
            try:
                for table in self._sql.scrubbed_tables:
                    conn.execute(f"VACUUM FULL {table}".encode())
            finally:
                conn.execute(b"RESET lock_timeout")
            conn.execute(self._sql.scrub_done, (due,))  # later erasures stay due

    def vacuum(self) -> None:
        """Vacuum the tables, so dead row versions (such as pre-erasure rows) are reclaimed."""
        with self._guard("vacuum"), self._conn() as conn:
            for table in ("leads", "events", "outbox"):
                conn.execute(f'VACUUM "{self.schema}".{table}'.encode())

    # -- reading --------------------------------------------------------------------------

    def load(self, lead_id: str) -> Lead:
        """The current snapshot (see `LeadStore.load`)."""
        rows = self._read(self._sql.load, (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        return read_back(lead_id, "snapshot", functools.partial(_lead, rows[0][0]))

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """Every event of the lead, oldest first (see `LeadStore.history`)."""
        rows = self._read(self._sql.history, (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        bodies = [body for (body,) in rows]
        return read_back(
            lead_id, "history", lambda: tuple(structure(body, Event) for body in bodies)
        )

    def find_by_source_id(self, source_id: str) -> str | None:
        """The lead captured from or merged with this source record, if any."""
        rows = self._read(self._sql.by_source, (source_id,))
        return str(rows[0][0]) if rows else None

    def find_by_source_ids(self, source_ids: Iterable[str]) -> dict[str, str]:
        """The lead of each known source record (see `LeadStore.find_by_source_ids`)."""
        wanted = distinct_source_ids(source_ids)
        if not wanted:
            return {}
        return dict(self._read(self._sql.by_sources, (wanted,)))

    def find_duplicate(
        self,
        *,
        email: str | None,
        domain: str | None,
        company_name: str | None,
        closed_stages: Iterable[str],
    ) -> str | None:
        """An open lead with the same email, or the same domain and company name."""
        closed = sorted(frozenset(closed_stages))
        key = email_digest(normalise_email(email))
        if key is not None:
            rows = self._read(self._sql.by_email, (key, closed))
            if rows[0][0] is not None:
                return str(rows[0][0])
        domain_n, name_n = normalise_domain(domain), normalise_company_name(company_name)
        if domain_n is not None and name_n is not None:
            rows = self._read(self._sql.by_company, (domain_n, name_n, closed))
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
            f"SELECT lead_id, snapshot FROM {self._sql.leads} WHERE {where} "
            "ORDER BY due_at NULLS LAST, lead_id"
        )
        if limit is not None:
            sql += " LIMIT %s"
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
        rows = self._read(f"SELECT count(*) FROM {self._sql.leads} WHERE {where}", params)
        found: int = rows[0][0]
        return found

    # -- writing --------------------------------------------------------------------------

    def record(self, transition: Transition) -> None:
        """Write one transition atomically (see `LeadStore.record`).

        One statement, so one transaction; a new outbox entry wakes the listening relays.
        """
        self._writes.record(transition)

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions in one transaction, all or nothing."""
        self._writes.record_many(transitions)

    # -- the outbox -----------------------------------------------------------------------

    def outbox(self, lead_id: str) -> tuple[OutboxEntry, ...]:
        """Every outbox entry of the lead, in the order written."""
        if not self._read(self._sql.version, (lead_id,)):
            raise NotFoundError(lead_id)
        rows = self._read(self._sql.outbox, (lead_id,))
        return read_back(lead_id, "outbox", lambda: tuple(entry_of(r) for r in rows))

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Undelivered entries due at or before `now`, oldest first; reads, never leases.

        Entries another relay holds under an unexpired lease are left out. Relays that
        may run on several hosts at once use `leased` (or `lease`) instead.
        """
        require_aware("now", now)
        rows = self._read(self._sql.pending, (now, limit))
        return self._kept(rows, now)

    def lease(
        self,
        *,
        now: datetime,
        limit: int = 100,
        lease_for: timedelta = timedelta(minutes=1),
        owner: str | None = None,
    ) -> tuple[OutboxEntry, ...]:
        """Claim up to `limit` due entries for `lease_for`, oldest first, for one relay.

        Claimed rows are locked with ``FOR UPDATE SKIP LOCKED``, so relays running at
        the same moment never claim the same entry, and they stay invisible to other
        relays until marked or until the lease expires (by the database's clock), so a
        relay that dies mid-delivery hands its entries back after `lease_for`.
        """
        require_aware("now", now)
        if lease_for <= timedelta(0):
            raise ValidationError.at("lease_for", "must be positive")
        rows = self._read(
            self._sql.lease,
            {
                "now": now,
                "limit": limit,
                "lease_for": lease_for,
                "owner": owner or default_owner(),
            },
        )
        rows.sort(key=lambda r: (r[3], r[0]))
        return self._kept(rows, now)

    def _kept(self, rows: list[Any], now: datetime) -> tuple[OutboxEntry, ...]:
        """The entries that can be read; a damaged one waits apart, never crowding the rest."""
        kept = readable(((r[6], r) for r in rows), "notification", entry_of)
        if len(kept) < len(rows):
            retry_at = now + UNREADABLE_PAUSE
            for entry_id in unreadable_ids(rows, kept):
                self._read(
                    self._sql.failed,
                    {"id": entry_id, "error": UNREADABLE_NOTE, "retry_at": retry_at},
                )
        return kept

    def leased(
        self, *, lease_for: timedelta = timedelta(minutes=1), owner: str | None = None
    ) -> LeasedOutbox:
        """This store's outbox as seen by one relay that leases what it reads.

        Pass it to `relay_outbox` when relays run on several hosts at once.
        """
        return LeasedOutbox(self, lease_for=lease_for, owner=owner)

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a successful delivery and end the lease; a second call changes nothing."""
        require_aware("at", at)
        rows = self._read(self._sql.delivered, {"id": entry_id, "at": at})
        if not rows[0][0]:
            raise NotFoundError(str(entry_id), what="outbox entry")

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failed attempt, when to try again, and end the lease."""
        require_aware("retry_at", retry_at)
        rows = self._read(self._sql.failed, {"id": entry_id, "error": error, "retry_at": retry_at})
        if not rows[0][0]:
            raise NotFoundError(str(entry_id), what="outbox entry")

    def wait_for_outbox(self, timeout: float) -> bool:
        """Block until an append adds outbox entries (True) or `timeout` seconds pass (False).

        The store listens on its channel from the first call on, so entries written
        between two calls wake the next one at once. Relays still pass over the outbox
        after a timeout: a notification is a hint, the outbox is the truth.
        """
        with self._listener_lock:
            if self._closed:
                raise StoreError(f"the store on schema {self.schema!r} is closed")
            with self._guard("listen"):
                if self._listener is None or self._listener.closed:
                    listener = psycopg.connect(self._dsn, autocommit=True, connect_timeout=10)
                    listener.execute(f'LISTEN "{self.channel}"'.encode())
                    self._listener = listener
                for _ in self._listener.notifies(timeout=timeout, stop_after=1):
                    return True
        return False


def _configure(
    conn: psycopg.Connection[Any], synchronous_commit: SynchronousCommit | None = None
) -> None:
    conn.execute("SET TimeZone TO 'UTC'")
    if synchronous_commit is not None:
        conn.execute(f"SET synchronous_commit TO {synchronous_commit}".encode())
    if not conn.autocommit:
        conn.commit()


def _lead(data: object) -> Lead:
    lead: Lead = structure(data, Lead)
    return lead
