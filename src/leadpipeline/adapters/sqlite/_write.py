"""The write path of the SQLite store: a batch of transitions applied inside one transaction.

No reads before writing when the store knows the row a write was decided on: the
store remembers the row it last wrote for each lead (`KnownRows`), and the update of
the lead's row carries the expected version in its ``WHERE`` clause, so the write
itself finds a stale version. A source record claimed by another lead is found by the
unique index, not by a look beforehand. Only a lead the store has not seen at the
expected version is read first, in one query per table.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence

from leadpipeline.adapters.ports import refuse_held
from leadpipeline.adapters.sqlite._rows import INDEXED, Row, Write, holders, read_stored
from leadpipeline.errors import ConflictError, StoreError
from leadpipeline.stages.transition import Transition

__all__ = ["KnownRows", "apply"]


class KnownRows:
    """The row (index columns, partners, sources) each recently written lead has on file.

    A lead's row at a given version never changes (every write bumps the version), so a
    remembered row at the version a write expects is exactly what the file holds, if
    the file holds that version at all; the guarded update checks that it does.
    """

    def __init__(self, size: int = 8192) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._rows: OrderedDict[str, Row] = OrderedDict()

    def get(self, lead_id: str, version: int) -> Row | None:
        """The remembered row of the lead at `version`, if that is the one remembered."""
        with self._lock:
            row = self._rows.get(lead_id)
        return row if row is not None and row.version == version else None

    def put_all(self, rows: Sequence[Row]) -> None:
        """Remember rows just committed (without their snapshot texts)."""
        with self._lock:
            for row in rows:
                self._rows[row.lead_id] = row._replace(snapshot="")
                self._rows.move_to_end(row.lead_id)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


def _actual(conn: sqlite3.Connection, lead_id: str) -> int | None:
    found = conn.execute("SELECT version FROM leads WHERE lead_id = ?", (lead_id,)).fetchone()
    return None if found is None else int(found[0])


def apply(
    conn: sqlite3.Connection,
    writes: Sequence[Write],
    claimed: dict[str, Transition],
    known: KnownRows,
) -> list[Row]:
    """Write `writes` in order inside the open transaction; the leads' rows as written.

    Raises:
        ConflictError: a write's expected version is not the one on file.
        SourceConflictError: a claimed source record is held by another lead.
    """
    first: dict[str, tuple[int, Row | None]] = {}  # lead: (expected, row it was decided on)
    latest: dict[str, Row] = {}
    unseen = [
        w.lead_id
        for w in writes
        if w.expected_version > 0 and known.get(w.lead_id, w.expected_version) is None
    ]
    stored = read_stored(conn, unseen) if unseen else {}
    for write in writes:
        lead_id, expected = write.lead_id, write.expected_version
        if lead_id in latest:
            actual: int | None = latest[lead_id].version
        else:
            before = known.get(lead_id, expected) if expected else None
            if before is None and expected:
                before = stored.get(lead_id)
            first[lead_id] = (expected, before)
            actual = before.version if before is not None else (None if expected else 0)
        if actual != expected:
            raise ConflictError(
                lead_id=lead_id, expected=expected, actual=actual if actual else None
            )
        latest[lead_id] = write.row
    rows = [(first[lead_id][0], first[lead_id][1], row) for lead_id, row in latest.items()]
    _save_rows(conn, rows)
    _save_links(conn, [(before, row) for _, before, row in rows], claimed)
    rewrites = [row for w in writes for row in w.rewrites]
    if rewrites:
        conn.executemany("UPDATE events SET body = ? WHERE lead_id = ? AND version = ?", rewrites)
    conn.executemany(
        "INSERT INTO events (lead_id, version, body) VALUES (?, ?, ?)",
        [row for w in writes for row in w.events],
    )
    entries = [row for w in writes for row in w.outbox_rewrites]
    if entries:
        conn.executemany(
            "UPDATE outbox SET body = ?, last_error = ? WHERE id = ? AND lead_id = ?", entries
        )
    notes = [row for w in writes for row in w.outbox]
    if notes:
        conn.executemany(
            "INSERT INTO outbox (lead_id, body, next_attempt_at) VALUES (?, ?, ?)", notes
        )
    return list(latest.values())


def _save_rows(conn: sqlite3.Connection, rows: Sequence[tuple[int, Row | None, Row]]) -> None:
    """Insert new leads' rows and update known ones, each update guarded by its version.

    Only the columns that changed are set: rewriting an unchanged index entry still
    dirties its page, and with synchronous FULL every dirty page is written and synced
    at commit; leaving them alone keeps a command to a handful of pages.
    """
    inserts = [(a.lead_id, a.version, a.snapshot, *a.columns) for _, b, a in rows if b is None]
    if inserts:
        # in a savepoint: after a refusal, the ids that were taken before are told apart
        # from the ones this statement had inserted
        conn.execute("SAVEPOINT new_leads")
        try:
            conn.executemany(
                f"INSERT INTO leads (lead_id, version, snapshot, {', '.join(INDEXED)}) "
                f"VALUES ({', '.join('?' * (3 + len(INDEXED)))})",
                inserts,
            )
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO new_leads")
            for lead_id, *_ in inserts:  # a new lead's id was taken meanwhile
                actual = _actual(conn, lead_id)
                if actual is not None:
                    raise ConflictError(lead_id=lead_id, expected=0, actual=actual) from None
            raise
        finally:
            conn.execute("RELEASE new_leads")
    for expected, before, after in rows:
        if before is None:
            continue
        changed = [
            (name, value)
            for name, value, old in zip(INDEXED, after.columns, before.columns, strict=True)
            if value != old
        ]
        assignments = "".join(f", {name} = ?" for name, _ in changed)
        done = conn.execute(
            f"UPDATE leads SET version = ?, snapshot = ?{assignments} "
            "WHERE lead_id = ? AND version = ?",
            (after.version, after.snapshot, *(v for _, v in changed), after.lead_id, expected),
        )
        if done.rowcount != 1:
            actual = _actual(conn, after.lead_id)
            raise ConflictError(lead_id=after.lead_id, expected=expected, actual=actual)


def _save_links(
    conn: sqlite3.Connection, rows: Sequence[tuple[Row | None, Row]], claimed: dict[str, Transition]
) -> None:
    """Bring `lead_partners` and `lead_sources` in step with the new rows."""
    gone_partners: list[tuple[str, str]] = []
    new_partners: list[tuple[str, str]] = []
    gone_sources: list[tuple[str, str]] = []
    new_sources: list[tuple[str, str]] = []
    for before, after in rows:
        lead_id = after.lead_id
        old_p = set(before.partners) if before is not None else set()
        old_s = set(before.sources) if before is not None else set()
        if before is None or after.partners != before.partners:
            new_p = set(after.partners)
            gone_partners += [(lead_id, p) for p in sorted(old_p - new_p)]
            new_partners += [(lead_id, p) for p in sorted(new_p - old_p)]
        if before is None or after.sources != before.sources:
            new_s = set(after.sources)
            gone_sources += [(source, lead_id) for source in sorted(old_s - new_s)]
            new_sources += [(source, lead_id) for source in sorted(new_s - old_s)]
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
        try:
            conn.executemany(
                "INSERT INTO lead_sources (source_id, lead_id) VALUES (?, ?)", new_sources
            )
        except sqlite3.IntegrityError:
            # the unique index found a record another lead holds: say which, and whose
            sources = sorted({source for source, _ in new_sources})
            refuse_held(claimed, holders(conn, sources))
            raise StoreError("a source record is held twice: the schema refused it") from None
