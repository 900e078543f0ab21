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
import hashlib
import os
import re
import socket
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, Literal

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from leadpipeline._checks import require_aware
from leadpipeline.adapters.encoding import (
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
    ConfigurationError,
    ConflictError,
    LeadPipelineError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from leadpipeline.events import Event
from leadpipeline.lead import Lead, Party
from leadpipeline.serialization import structure
from leadpipeline.stages.notify import Notification, OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = [
    "DSN_ENV",
    "POSTGRES_SCHEMA_VERSION",
    "LeasedOutbox",
    "Migration",
    "PostgresStore",
    "SynchronousCommit",
    "migrations",
]

DSN_ENV = "LEADPIPELINE_POSTGRES_DSN"
"""The environment variable `PostgresStore.from_env` reads the connection string from."""

POSTGRES_SCHEMA_VERSION = 1
"""The schema version this release writes and reads (the last shipped migration)."""

SynchronousCommit = Literal["on", "off", "local", "remote_write", "remote_apply"]
"""PostgreSQL's ``synchronous_commit`` levels (``on`` waits for the WAL flush)."""

_SYNCHRONOUS = ("on", "off", "local", "remote_write", "remote_apply")
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,49}")
_MIGRATION_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
_LEDGER = "leadpipeline_migrations"


@attrs.frozen(kw_only=True)
class Migration:
    """One numbered SQL file of the schema, applied once and recorded with its checksum.

    Example:
        >>> first = migrations()[0]
        >>> first.version, first.name
        (1, 'initial')
    """

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """A digest of the file, recorded when applied: a released file must never change."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def migrations() -> tuple[Migration, ...]:
    """The schema migrations shipped in the package, in the order they apply.

    They are read from ``leadpipeline/adapters/sql/postgres/NNNN_name.sql``.

    Example:
        >>> [m.version for m in migrations()][-1] == POSTGRES_SCHEMA_VERSION
        True
    """
    folder = resources.files("leadpipeline.adapters").joinpath("sql", "postgres")
    found: list[Migration] = []
    for item in folder.iterdir():
        match = _MIGRATION_FILE.fullmatch(item.name)
        if match:
            found.append(
                Migration(
                    version=int(match[1]), name=match[2], sql=item.read_text(encoding="utf-8")
                )
            )
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise StoreError(f"the shipped migrations are not numbered 1..n: {found}")
    return tuple(found)


def _filters(
    stage: str | None, owner: Party | None, partner_id: str | None, due_before: datetime | None
) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters shared by `query` and `count`."""
    where, params = ["TRUE"], list[Any]()
    if stage is not None:
        where.append("stage = %s")
        params.append(stage)
    if owner is not None:
        where.append("owner = %s")
        params.append(party_key(owner))
    if partner_id is not None:
        where.append("partner_ids @> ARRAY[%s]::text[]")
        params.append(partner_id)
    if due_before is not None:
        require_aware("due_before", due_before)
        where.append("due_at < %s")
        params.append(due_before)
    return " AND ".join(where), params


def _check_schema_name(schema: str) -> str:
    if not _SCHEMA_NAME.fullmatch(schema):
        raise ValidationError.at(
            "schema", f"{schema!r} is not a plain lower-case identifier of at most 50 characters"
        )
    return schema


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


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
        self.channel = f"{schema}_outbox"
        self._dsn = dsn
        self._listener: psycopg.Connection[Any] | None = None
        self._listener_lock = threading.Lock()
        self._closed = False
        self._sql = _Statements(schema)
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
        known = migrations()
        with self._connect() as conn, self._guard("migrate"), conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (f"leadpipeline.migrate.{self.schema}",),
            )
            tables = {
                name
                for (name,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                    (self.schema,),
                )
            }
            if tables and _LEDGER not in tables:
                raise StoreError(
                    f"schema {self.schema!r} holds tables that are not leadpipeline's "
                    f"({', '.join(sorted(tables))}); refusing to use it"
                )
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(f'SET LOCAL search_path TO "{self.schema}"')
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {_LEDGER} ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            applied: dict[int, str] = dict(
                conn.execute(f"SELECT version, checksum FROM {_LEDGER}").fetchall()
            )
            newest = max(applied, default=0)
            if newest > len(known):
                raise StoreError(
                    f"schema {self.schema!r} has version {newest}, written by a newer "
                    f"leadpipeline; this release knows version {len(known)}: upgrade leadpipeline"
                )
            for migration in known:
                recorded = applied.get(migration.version)
                if recorded is None:
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        f"INSERT INTO {_LEDGER} (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                elif recorded != migration.checksum:
                    raise StoreError(
                        f"schema {self.schema!r}: migration {migration.version} "
                        f"({migration.name}) was applied from a different file; refusing to use it"
                    )
        return len(known)

    def schema_version(self) -> int:
        """The schema version recorded in the database."""
        rows = self._read(f'SELECT max(version) FROM "{self.schema}".{_LEDGER}')
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
        lead: Lead = structure(rows[0][0], Lead)
        return lead

    def history(self, lead_id: str) -> tuple[Event, ...]:
        """Every event of the lead, oldest first (see `LeadStore.history`)."""
        rows = self._read(self._sql.history, (lead_id,))
        if not rows:
            raise NotFoundError(lead_id)
        return tuple(structure(body, Event) for (body,) in rows)

    def find_by_source_id(self, source_id: str) -> str | None:
        """The lead captured from or merged with this source record, if any."""
        rows = self._read(self._sql.by_source, (source_id,))
        found: str | None = rows[0][0]
        return found

    def find_by_source_ids(self, source_ids: Iterable[str]) -> dict[str, str]:
        """The lead of each known source record (see `LeadStore.find_by_source_ids`)."""
        wanted = distinct_source_ids(source_ids)
        if not wanted:
            return {}
        return dict(self._read(self._sql.by_sources, (wanted, wanted)))

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
        where, params = _filters(stage, owner, partner_id, due_before)
        sql = (
            f"SELECT snapshot FROM {self._sql.leads} WHERE {where} "
            "ORDER BY due_at NULLS LAST, lead_id"
        )
        if limit is not None:
            sql += " LIMIT %s"
            params.append(limit)
        return tuple(structure(data, Lead) for (data,) in self._read(sql, params))

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
        rows = self._read(f"SELECT count(*) FROM {self._sql.leads} WHERE {where}", params)
        found: int = rows[0][0]
        return found

    # -- writing --------------------------------------------------------------------------

    def record(self, transition: Transition) -> None:
        """Write one transition atomically (see `LeadStore.record`).

        One statement, so one transaction; a new outbox entry wakes the listening relays.
        """
        params = self._write_params(transition)
        with self._write_guard(transition), self._conn() as conn:
            landed = self._write_one(conn, transition, params)
        if not landed:
            raise ConflictError(
                lead_id=transition.lead_id,
                expected=transition.expected_version,
                actual=self._version(transition.lead_id),
            )

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions in one transaction, all or nothing."""
        prepared = [(t, self._write_params(t)) for t in transitions]
        if not prepared:
            return
        stale: Transition | None = None
        with self._write_guard(None), self._conn() as conn, conn.transaction() as tx:
            for transition, params in prepared:
                if not self._write_one(conn, transition, params):
                    stale = transition
                    raise psycopg.Rollback(tx)
        if stale is not None:
            raise ConflictError(
                lead_id=stale.lead_id,
                expected=stale.expected_version,
                actual=self._version(stale.lead_id),
            )

    def _version(self, lead_id: str) -> int | None:
        rows = self._read(self._sql.version, (lead_id,))
        return int(rows[0][0]) if rows else None

    @contextmanager
    def _write_guard(self, transition: Transition | None) -> Iterator[None]:
        # The version check runs first; the unique (lead_id, version) key stands behind it.
        try:
            yield
        except LeadPipelineError:
            raise
        except pg_errors.UniqueViolation:
            if transition is None:
                raise StoreError("a batch write collided with a concurrent write") from None
            raise ConflictError(
                lead_id=transition.lead_id,
                expected=transition.expected_version,
                actual=self._version(transition.lead_id),
            ) from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL write failed: {exc}".strip()) from None

    def _write_params(self, transition: Transition) -> dict[str, Any]:
        encoded = EncodedTransition.of(transition)
        snapshot = encoded.snapshot
        keys = snapshot.keys
        notes = transition.notifications
        return {
            "lead_id": transition.lead_id,
            "expected": transition.expected_version,
            "version": transition.after.version,
            "snapshot": snapshot.text,
            "stage": keys.stage,
            "owner": snapshot.owner,
            "partner_ids": list(keys.partner_ids),
            "source_ids": list(keys.source_ids),
            "email_key": snapshot.email_digest,
            "domain_norm": keys.domain,
            "name_norm": keys.company_name,
            "due_at": transition.due_at,
            "versions": list(
                range(transition.expected_version + 1, transition.after.version + 1),
            ),
            "bodies": list(encoded.events),
            "keys": [n.key for n in notes],
            "notes": list(encoded.notifications),
            "times": [n.created_at for n in notes],
            "channel": self.channel,
            "rewrite_versions": [version for version, _ in encoded.rewrites],
            "rewrite_bodies": [body for _, body in encoded.rewrites],
            "entry_ids": [entry_id for entry_id, _, _ in encoded.outbox_rewrites],
            "entry_bodies": [body for _, body, _ in encoded.outbox_rewrites],
            "entry_errors": [error for _, _, error in encoded.outbox_rewrites],
        }

    def _write_one(
        self, conn: psycopg.Connection[Any], transition: Transition, params: dict[str, Any]
    ) -> bool:
        sql = self._sql.create if transition.expected_version == 0 else self._sql.update
        if transition.rewrites:
            sql += self._sql.rewrite_events
        if transition.outbox_rewrites:
            sql += self._sql.rewrite_entries
        if transition.notifications:
            sql += self._sql.with_outbox
        else:
            sql += self._sql.without_outbox
        row = conn.execute(sql, params).fetchone()
        return bool(row and row[0])

    # -- the outbox -----------------------------------------------------------------------

    @staticmethod
    def _entry(row: Sequence[Any]) -> OutboxEntry:
        entry_id, body, attempts, next_at, delivered, error = row
        return OutboxEntry(
            id=entry_id,
            notification=structure(body, Notification),
            attempts=attempts,
            next_attempt_at=next_at,
            delivered_at=delivered,
            last_error=error,
        )

    def outbox(self, lead_id: str) -> tuple[OutboxEntry, ...]:
        """Every outbox entry of the lead, in the order written."""
        if not self._read(self._sql.version, (lead_id,)):
            raise NotFoundError(lead_id)
        return tuple(self._entry(r) for r in self._read(self._sql.outbox, (lead_id,)))

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Undelivered entries due at or before `now`, oldest first; reads, never leases.

        Entries another relay holds under an unexpired lease are left out. Relays that
        may run on several hosts at once use `leased` (or `lease`) instead.
        """
        require_aware("now", now)
        rows = self._read(self._sql.pending, (now, limit))
        return tuple(self._entry(r) for r in rows)

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
                "owner": owner or _default_owner(),
            },
        )
        rows.sort(key=lambda r: (r[3], r[0]))
        return tuple(self._entry(r) for r in rows)

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
            raise NotFoundError(f"outbox entry {entry_id}")

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failed attempt, when to try again, and end the lease."""
        require_aware("retry_at", retry_at)
        rows = self._read(self._sql.failed, {"id": entry_id, "error": error, "retry_at": retry_at})
        if not rows[0][0]:
            raise NotFoundError(f"outbox entry {entry_id}")

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


class LeasedOutbox:
    """One relay's view of a `PostgresStore` outbox: `pending` leases what it returns.

    Satisfies the `Outbox` protocol, so `relay_outbox(store.leased(), notifier, now=...)`
    is safe with any number of relays on any number of hosts.
    """

    def __init__(
        self, store: PostgresStore, *, lease_for: timedelta, owner: str | None = None
    ) -> None:
        if lease_for <= timedelta(0):
            raise ValidationError.at("lease_for", "must be positive")
        self.store = store
        self.lease_for = lease_for
        self.owner = owner or _default_owner()

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Lease and return up to `limit` due entries (see `PostgresStore.lease`)."""
        return self.store.lease(now=now, limit=limit, lease_for=self.lease_for, owner=self.owner)

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a delivery and release the lease."""
        self.store.mark_delivered(entry_id, at)

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failure and release the lease."""
        self.store.mark_failed(entry_id, error=error, retry_at=retry_at)


class _Statements:
    """The SQL of one store, with the schema's tables qualified once."""

    def __init__(self, schema: str) -> None:
        q = f'"{schema}"'
        self.leads = leads = f"{q}.leads"
        events = f"{q}.events"
        outbox = f"{q}.outbox"
        cols = "id, body, attempts, next_attempt_at, delivered_at, last_error"
        free = "(leased_until IS NULL OR leased_until <= clock_timestamp())"
        self.load = f"SELECT snapshot FROM {leads} WHERE lead_id = %s"
        self.version = f"SELECT version FROM {leads} WHERE lead_id = %s"
        self.history = f"SELECT body FROM {events} WHERE lead_id = %s ORDER BY version"
        self.by_source = f"SELECT min(lead_id) FROM {leads} WHERE source_ids @> ARRAY[%s]::text[]"
        self.by_sources = (
            f"SELECT s, min(lead_id) FROM {leads}, unnest(source_ids) AS s "
            "WHERE source_ids && %s::text[] AND s = ANY(%s::text[]) GROUP BY s"
        )
        self.by_email = (
            f"SELECT min(lead_id) FROM {leads} WHERE email_key = %s AND stage <> ALL(%s::text[])"
        )
        self.by_company = (
            f"SELECT min(lead_id) FROM {leads} "
            "WHERE domain_norm = %s AND name_norm = %s AND stage <> ALL(%s::text[])"
        )
        values = (
            "%(version)s, %(snapshot)s::jsonb, %(stage)s, %(owner)s, %(partner_ids)s::text[], "
            "%(source_ids)s::text[], %(email_key)s, %(domain_norm)s, %(name_norm)s, "
            "%(due_at)s::timestamptz"
        )
        self.create = (
            f"WITH up AS (INSERT INTO {leads} (lead_id, version, snapshot, stage, owner, "
            "partner_ids, source_ids, email_key, domain_norm, name_norm, due_at) "
            f"VALUES (%(lead_id)s, {values}) ON CONFLICT (lead_id) DO NOTHING RETURNING lead_id)"
        )
        self.update = (
            f"WITH up AS (UPDATE {leads} SET (version, snapshot, stage, owner, partner_ids, "
            "source_ids, email_key, domain_norm, name_norm, due_at, updated_at) = "
            f"({values}, now()) "
            "WHERE lead_id = %(lead_id)s AND version = %(expected)s RETURNING lead_id)"
        )
        events_cte = (
            f", ev AS (INSERT INTO {events} (lead_id, version, body) "
            "SELECT up.lead_id, t.v, t.b FROM up, "
            "unnest(%(versions)s::int[], %(bodies)s::jsonb[]) AS t(v, b))"
        )
        self.without_outbox = f"{events_cte} SELECT count(*) FROM up"
        self.with_outbox = (
            f"{events_cte}, ob AS (INSERT INTO {outbox} (lead_id, key, body, next_attempt_at) "
            "SELECT up.lead_id, t.k, t.b, t.at FROM up, "
            "unnest(%(keys)s::text[], %(notes)s::jsonb[], %(times)s::timestamptz[]) "
            "WITH ORDINALITY AS t(k, b, at, n) ORDER BY t.n RETURNING id) "
            "SELECT (SELECT count(*) FROM up), "
            "(SELECT count(*) FROM (SELECT pg_notify(%(channel)s, '') FROM ob LIMIT 1) AS n)"
        )
        self.rewrite_events = (
            f", rw AS (UPDATE {events} AS e SET body = t.b FROM up, "
            "unnest(%(rewrite_versions)s::int[], %(rewrite_bodies)s::jsonb[]) AS t(v, b) "
            "WHERE e.lead_id = up.lead_id AND e.version = t.v)"
        )
        self.rewrite_entries = (
            f", orw AS (UPDATE {outbox} AS o SET body = t.b, last_error = t.e FROM up, "
            "unnest(%(entry_ids)s::bigint[], %(entry_bodies)s::jsonb[], %(entry_errors)s::text[]) "
            "AS t(i, b, e) WHERE o.id = t.i AND o.lead_id = up.lead_id)"
        )
        self.outbox = f"SELECT {cols} FROM {outbox} WHERE lead_id = %s ORDER BY id"
        self.pending = (
            f"SELECT {cols} FROM {outbox} WHERE delivered_at IS NULL "
            f"AND next_attempt_at <= %s AND {free} ORDER BY next_attempt_at, id LIMIT %s"
        )
        self.lease = (
            f"UPDATE {outbox} AS o SET leased_until = clock_timestamp() + %(lease_for)s, "
            "leased_by = %(owner)s "
            f"FROM (SELECT id FROM {outbox} WHERE delivered_at IS NULL "
            f"AND next_attempt_at <= %(now)s AND {free} "
            "ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS c "
            "WHERE o.id = c.id RETURNING o.id, o.body, o.attempts, o.next_attempt_at, "
            "o.delivered_at, o.last_error"
        )
        self.delivered = (
            f"WITH hit AS (SELECT id FROM {outbox} WHERE id = %(id)s), "
            f"up AS (UPDATE {outbox} SET attempts = attempts + 1, delivered_at = %(at)s, "
            "leased_until = NULL, leased_by = NULL "
            "WHERE id = %(id)s AND delivered_at IS NULL RETURNING id) "
            "SELECT (SELECT count(*) FROM hit), (SELECT count(*) FROM up)"
        )
        self.failed = (
            f"WITH hit AS (SELECT id FROM {outbox} WHERE id = %(id)s), "
            f"up AS (UPDATE {outbox} SET attempts = attempts + 1, last_error = %(error)s, "
            "next_attempt_at = %(retry_at)s, leased_until = NULL, leased_by = NULL "
            "WHERE id = %(id)s AND delivered_at IS NULL RETURNING id) "
            "SELECT (SELECT count(*) FROM hit), (SELECT count(*) FROM up)"
        )
