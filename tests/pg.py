"""PostgreSQL test helpers: the server from the environment, a fresh schema per test.

Tests that need the server read ``LEADPIPELINE_POSTGRES_DSN`` and are skipped, with the
reason, when it is unset or the server cannot be reached. Each store gets its own schema
``lp_test_<random>``, dropped when the test ends.

The worker functions at the bottom run in child processes (multiprocessing "spawn"), so
they live in an importable module.
"""

from __future__ import annotations

import functools
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from leadpipeline.adapters.notification import Notification
from leadpipeline.errors import ConflictError
from leadpipeline.lead import Party
from leadpipeline.stages import Transition
from leadpipeline.stages.commands import AddNote
from leadpipeline.testing import captured, step

if TYPE_CHECKING:
    from leadpipeline.adapters.postgres import PostgresStore

DSN_ENV = "LEADPIPELINE_POSTGRES_DSN"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@functools.cache
def unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    dsn = os.environ.get(DSN_ENV)
    if not dsn:
        return f"{DSN_ENV} is not set: PostgreSQL tests need a server"
    try:
        import psycopg  # noqa: PLC0415  # optional dependency

        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except ImportError:
        return "psycopg is not installed (pip install 'leadpipeline[postgres]')"
    except Exception as exc:  # any connection failure means "skip", with its reason
        return f"PostgreSQL at {DSN_ENV} is unreachable: {exc}"
    return None


def require_postgres() -> str:
    """The DSN, or skip the calling test with the reason."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    return os.environ[DSN_ENV]


requires_postgres = pytest.mark.skipif(
    unavailable() is not None, reason=unavailable() or "PostgreSQL is available"
)
"""Skips a test (or, as ``pytestmark``, a module) when PostgreSQL is unavailable."""


def fresh_schema() -> str:
    """A schema name no other test uses."""
    return f"lp_test_{uuid.uuid4().hex[:12]}"


def drop_schema(dsn: str, schema: str) -> None:
    """Drop a test schema and everything in it."""
    import psycopg  # noqa: PLC0415  # optional dependency

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


@contextmanager
def fresh_store(**options: Any) -> Iterator[PostgresStore]:
    """A store on a new schema, dropped afterwards; skips without a server."""
    dsn = require_postgres()
    from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415

    schema = fresh_schema()
    try:
        store = PostgresStore(dsn, schema=schema, **options)
        try:
            yield store
        finally:
            store.close()
    finally:
        drop_schema(dsn, schema)


def note_for(lead_id: str, n: int, at: datetime = T0) -> Notification:
    """A notification for the sales inbox about one lead."""
    return Notification(
        key=f"{lead_id}:{n}:handed_over:sales",
        lead_id=lead_id,
        kind="handed_over",
        recipient=Party.sales(team="inside-sales"),
        message=f"New MQL {lead_id}",
        created_at=at,
    )


# -- child processes --------------------------------------------------------------------


def append_worker(
    dsn: str, schema: str, lead_ids: list[str], worker: int, appends: int
) -> dict[str, Any]:
    """Four threads appending notes to random shared leads, retrying each conflict.

    Returns the counts of successful appends and conflicts, and any unexpected error.
    """
    from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415

    store = PostgresStore(dsn, schema=schema, min_size=4, max_size=4)
    done = [0] * 4
    conflicts = [0] * 4
    errors: list[str] = []

    def thread(t: int) -> None:
        rng = random.Random(worker * 100 + t)
        try:
            for i in range(appends):
                lead_id = rng.choice(lead_ids)
                while True:
                    lead = store.load(lead_id)
                    events, after = step(lead, AddNote(text=f"w{worker} t{t} n{i}"), T0)
                    try:
                        store.record(
                            Transition(
                                lead_id=lead_id,
                                expected_version=lead.version,
                                events=events,
                                after=after,
                            )
                        )
                    except ConflictError:
                        conflicts[t] += 1
                        continue
                    done[t] += 1
                    break
        except BaseException as exc:  # reported to the parent
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=thread, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    store.close()
    return {"done": sum(done), "conflicts": sum(conflicts), "errors": errors}


def seed_leads(store: PostgresStore, count: int) -> list[str]:
    """Capture `count` leads and return their ids."""
    ids = [f"L-{i:04d}" for i in range(count)]
    for lead_id in ids:
        events, lead = captured(lead_id)
        store.record(Transition(lead_id=lead_id, expected_version=0, events=events, after=lead))
    return ids


def relay_worker(dsn: str, schema: str, relay: str, lease_seconds: float, pause: float) -> None:
    """Drain the outbox with leases, logging every lease and delivery to `relay_log`.

    `pause` makes each delivery slow (for the relay that gets killed mid-lease). Stops
    when nothing is pending and nothing is leased by anyone.
    """
    import psycopg  # noqa: PLC0415  # optional dependency

    from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415

    store = PostgresStore(dsn, schema=schema, min_size=1, max_size=2, synchronous_commit="off")
    outbox = store.leased(lease_for=timedelta(seconds=lease_seconds), owner=relay)
    log = psycopg.connect(dsn, autocommit=True)
    log.execute("SET synchronous_commit TO off")
    q = f'"{schema}"'
    idle = 0
    while idle < 3:
        now = datetime.now(UTC)
        entries = outbox.pending(now=now, limit=50)
        if not entries:
            left = log.execute(
                f"SELECT count(*) FROM {q}.outbox WHERE delivered_at IS NULL".encode()
            ).fetchone()
            if left is None or left[0] == 0:
                idle += 1
            time.sleep(0.1)
            continue
        idle = 0
        with log.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {q}.relay_leases (relay, entry_id) VALUES (%s, %s)".encode(),
                [(relay, e.id) for e in entries],
            )
        for entry in entries:
            started = time.time()
            if pause:  # a slow relay logs the start first, so a kill leaves it in flight
                row = log.execute(
                    f"INSERT INTO {q}.relay_log (relay, entry_id, key, started) "
                    "VALUES (%s, %s, %s, %s) RETURNING id".encode(),
                    (relay, entry.id, entry.notification.key, started),
                ).fetchone()
                assert row is not None
                time.sleep(pause)
                log.execute(
                    f"UPDATE {q}.relay_log SET ended = %s WHERE id = %s".encode(),
                    (time.time(), row[0]),
                )
            else:
                log.execute(
                    f"INSERT INTO {q}.relay_log (relay, entry_id, key, started, ended) "
                    "VALUES (%s, %s, %s, %s, %s)".encode(),
                    (relay, entry.id, entry.notification.key, started, time.time()),
                )
            outbox.mark_delivered(entry.id, datetime.now(UTC))
    log.close()
    store.close()
