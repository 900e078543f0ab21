"""A commit group's writes inside its one transaction: together, or each alone on a refusal.

The group's writes go in as one batch, one statement per table. If anything refuses (a
stale version, a source record another lead holds), the batch is undone and each write
is applied again alone in a savepoint, so a refusal fails its own caller only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from leadpipeline.adapters.sqlite._commit import Job
from leadpipeline.adapters.sqlite._rows import Row, Write
from leadpipeline.adapters.sqlite._write import KnownRows, apply
from leadpipeline.errors import LeadPipelineError, StoreError
from leadpipeline.stages.transition import Transition

__all__ = ["Work", "write_group"]

Work = tuple[list[Write], dict[str, Transition], bool]
"""One `record_many` call as the commit queue carries it: rows, claims, whether it erases."""


def write_group(
    conn: sqlite3.Connection,
    group: Sequence[Job[Work]],
    known: KnownRows,
    failed: Callable[[sqlite3.Error], StoreError],
) -> list[Row]:
    """Write the group inside the open transaction; the rows written.

    A job refused alone gets its own error (`failed` words a database error); an
    erasure is always written alone, with its scrub marked due.
    """
    if len(group) > 1 and not any(job.work[2] for job in group):
        written = _together(conn, group, known)
        if written is not None:
            return written
    return _each(conn, group, known, failed)


def _together(
    conn: sqlite3.Connection, group: Sequence[Job[Work]], known: KnownRows
) -> list[Row] | None:
    """The group's writes as one batch; None if any is refused, in a fresh transaction.

    No savepoint around the batch: a refusal is rare, and each statement costs the
    leader a wait for the interpreter lock while the other writers encode; on one, the
    whole transaction is rolled back and a new one begun for the writes one by one.
    """
    claimed: dict[str, Transition] = {}
    for job in group:
        claimed.update(job.work[1])
    try:
        return apply(conn, [w for job in group for w in job.work[0]], claimed, known)
    except (LeadPipelineError, sqlite3.Error):
        conn.execute("ROLLBACK")
        conn.execute("BEGIN IMMEDIATE")
        return None


def _each(
    conn: sqlite3.Connection,
    group: Sequence[Job[Work]],
    known: KnownRows,
    failed: Callable[[sqlite3.Error], StoreError],
) -> list[Row]:
    """Each write of the group alone: in a savepoint, if the group has more than one."""
    written: list[Row] = []
    alone = len(group) == 1
    for job in group:
        if alone:
            written += _one(conn, job.work, known)
            continue
        conn.execute("SAVEPOINT one_write")
        try:
            rows = _one(conn, job.work, known)
        except (LeadPipelineError, sqlite3.Error) as exc:
            conn.execute("ROLLBACK TO one_write")
            job.error = exc if isinstance(exc, LeadPipelineError) else failed(exc)
        else:
            written += rows
        conn.execute("RELEASE one_write")
    return written


def _one(conn: sqlite3.Connection, work: Work, known: KnownRows) -> list[Row]:
    writes, claimed, erases = work
    rows = apply(conn, writes, claimed, known)
    if erases:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('scrub_due', '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        )
    return rows
