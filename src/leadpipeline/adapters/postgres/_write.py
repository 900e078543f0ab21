"""The write path of the PostgreSQL store: one statement per transition, guarded by version.

A transition is one statement (CTEs) whose update of the lead's row carries the
expected version, so a stale write changes nothing and is found by the write itself,
without reading first; the unique keys of events and source records stand behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from leadpipeline.adapters._fragments import SnapshotTexts
from leadpipeline.adapters.ports import claims_of, refuse_held
from leadpipeline.adapters.postgres._sql import Statements, write_params
from leadpipeline.errors import (
    ConflictError,
    LeadPipelineError,
    SourceConflictError,
    StoreError,
)
from leadpipeline.stages.transition import Transition

__all__ = ["Writes"]


class Writes:
    """Records transitions on a store's pooled connections (see `PostgresStore.record`)."""

    def __init__(
        self,
        sql: Statements,
        conn: Callable[[], AbstractContextManager[psycopg.Connection[Any]]],
        read: Callable[..., list[Any]],
    ) -> None:
        self._sql = sql
        self._conn = conn
        self._read = read
        self._texts = SnapshotTexts()

    def record(self, transition: Transition) -> None:
        """Write one transition atomically (see `LeadStore.record`).

        One statement, so one transaction; a new outbox entry wakes the listening relays.
        """
        params = write_params(transition, self._texts)
        with self._write_guard((transition,)), self._conn() as conn:
            landed = self._write_one(conn, transition, params)
            if landed and transition.notifications:
                _wake(conn, self._sql.notify)
        if not landed:
            raise ConflictError(
                lead_id=transition.lead_id,
                expected=transition.expected_version,
                actual=self._version(transition.lead_id),
            )

    def record_many(self, transitions: Sequence[Transition]) -> None:
        """Write several transitions in one transaction, all or nothing."""
        prepared = [(t, write_params(t, self._texts)) for t in transitions]
        if not prepared:
            return
        claims_of(transitions)  # two leads of the batch claiming one record: refused now
        stale: Transition | None = None
        with self._write_guard(transitions), self._conn() as conn:
            with conn.transaction() as tx:
                for transition, params in prepared:
                    if not self._write_one(conn, transition, params):
                        stale = transition
                        raise psycopg.Rollback(tx)
            if stale is None and any(t.notifications for t in transitions):
                _wake(conn, self._sql.notify)
        if stale is not None:
            raise ConflictError(
                lead_id=stale.lead_id,
                expected=stale.expected_version,
                actual=self._version(stale.lead_id),
            )

    def _source_conflict(self, transitions: Sequence[Transition]) -> SourceConflictError:
        """Which claimed source record another lead holds, looked up after the refusal."""
        claims = claims_of(transitions)
        try:
            refuse_held(claims, dict(self._read(self._sql.by_sources, (list(claims),))))
        except SourceConflictError as conflict:
            return conflict
        first = next(iter(claims.items()), None)
        if first is None:  # pragma: no cover  # only a claim can violate that key
            raise StoreError("a write collided on lead_sources without claiming a source")
        source, transition = first  # the holder committed and was erased or moved since
        return SourceConflictError(
            lead_id=transition.lead_id,
            version=transition.expected_version,
            source_id=source,
            held_by=None,
        )

    def _version(self, lead_id: str) -> int | None:
        rows = self._read(self._sql.version, (lead_id,))
        return int(rows[0][0]) if rows else None

    @contextmanager
    def _write_guard(self, transitions: Sequence[Transition]) -> Iterator[None]:
        # The version check runs first; the unique (lead_id, version) key stands behind it.
        # The primary key of lead_sources refuses a source record another lead holds.
        try:
            yield
        except LeadPipelineError:
            raise
        except pg_errors.UniqueViolation as exc:
            if exc.diag.table_name == "lead_sources":
                raise self._source_conflict(transitions) from None
            if len(transitions) != 1:
                raise StoreError("a batch write collided with a concurrent write") from None
            (transition,) = transitions
            raise ConflictError(
                lead_id=transition.lead_id,
                expected=transition.expected_version,
                actual=self._version(transition.lead_id),
            ) from None
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL write failed: {exc}".strip()) from None

    def _write_one(
        self, conn: psycopg.Connection[Any], transition: Transition, params: dict[str, Any]
    ) -> bool:
        sql = self._sql.create if transition.expected_version == 0 else self._sql.update
        if transition.rewrites:
            sql += self._sql.rewrite_events
        if transition.outbox_rewrites:
            sql += self._sql.rewrite_entries
        if transition.claimed_sources:
            sql += self._sql.claim_sources
        if transition.erases:
            sql += self._sql.mark_scrub_due
        if transition.notifications:
            sql += self._sql.with_outbox
        else:
            sql += self._sql.without_outbox
        row = conn.execute(sql, params).fetchone()
        return bool(row and row[0])


def _wake(conn: psycopg.Connection[Any], notify: bytes) -> None:
    """Wake the listening relays once the write has committed; a lost wake-up only delays.

    Relays pass over the outbox after each wait's timeout anyway, so a failure here
    (the connection dropped after the commit, say) must not report the committed write
    as failed.
    """
    try:
        conn.execute(notify)
    except psycopg.Error:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.rollback()
