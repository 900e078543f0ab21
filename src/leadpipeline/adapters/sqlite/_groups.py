"""A commit group's writes inside its one transaction: together, or each alone on a refusal.

The group's writes go in as one batch, one statement per table. If anything refuses (a
stale version, a source record another lead holds), the batch is undone to its savepoint
and each write is applied again alone in a savepoint of its own, so a refusal fails its
own caller only. The transaction, and the write lock with it, is held throughout. An
error after which SQLite has rolled the whole transaction back itself (a full disk, an
I/O error) fails the whole group with that cause: nothing of it was written.
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

    A job refused alone gets its own error (`failed` words a database error). A group
    with an erasure is never batched: its writes go one by one, and the erasure marks
    its scrub due.
    """
    if len(group) > 1 and not any(job.work[2] for job in group):
        written = _together(conn, group, known)
        if written is not None:
            return written
    return _each(conn, group, known, failed)


def _together(
    conn: sqlite3.Connection, group: Sequence[Job[Work]], known: KnownRows
) -> list[Row] | None:
    """The group's writes as one batch; None (with nothing written) if any is refused."""
    claimed: dict[str, Transition] = {}
    for job in group:
        claimed.update(job.work[1])
    conn.execute("SAVEPOINT group_write")
    try:
        written = apply(conn, [w for job in group for w in job.work[0]], claimed, known)
    except (LeadPipelineError, sqlite3.Error):
        if not _undone(conn, "group_write"):
            raise
        return None
    conn.execute("RELEASE group_write")
    return written


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
            if not _undone(conn, "one_write"):
                raise
            job.error = exc if isinstance(exc, LeadPipelineError) else failed(exc)
        else:
            conn.execute("RELEASE one_write")
            written += rows
    return written


def _undone(conn: sqlite3.Connection, savepoint: str) -> bool:
    """Undo to `savepoint` and drop it; False when SQLite already undid the transaction.

    Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back:
    then the writes before this one are gone too, and the group must fail with the cause.
    """
    if not conn.in_transaction:
        return False
    conn.execute(f"ROLLBACK TO {savepoint}")
    conn.execute(f"RELEASE {savepoint}")
    return True


def _one(conn: sqlite3.Connection, work: Work, known: KnownRows) -> list[Row]:
    writes, claimed, erases = work
    rows = apply(conn, writes, claimed, known)
    if erases:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('scrub_due', '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
        )
    return rows
