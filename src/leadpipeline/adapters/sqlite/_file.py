"""The SQLite file itself: its schema, and the checks that refuse a file that is not ours."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from leadpipeline.errors import StoreError

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "open_schema", "refuse_foreign_bytes"]

APPLICATION_ID = 0x4C504950
"""``PRAGMA application_id`` of a leadpipeline database ("LPIP")."""

SCHEMA_VERSION = 2
"""The schema version this release writes and reads (older files are upgraded on open)."""

_APPLICATION = "leadpipeline"
_HEADER = b"SQLite format 3\x00"

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
CREATE UNIQUE INDEX lead_sources_one_lead ON lead_sources (source_id);
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


def refuse_foreign_bytes(path: Path) -> None:
    """Refuse a directory or a file whose first bytes are not SQLite's, before opening it."""
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a leadpipeline database")
    try:
        with path.open("rb") as file:
            header = file.read(len(_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from None
    if header and header != _HEADER:
        raise StoreError(
            f"{path} is not a SQLite database (a foreign or corrupted file); refusing to open it"
        )


def open_schema(connect: Callable[[], sqlite3.Connection], path: Path, busy_timeout: float) -> None:
    """Create the schema in a blank file, then check the file is ours and use WAL mode.

    `connect` opens the connection inside the check, so a file that is corrupt from
    its first page on is refused with `StoreError` too.
    """
    try:
        conn = connect()
        if _is_blank(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if _is_blank(conn):
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
        _check_ours(conn, path)
        _use_wal(conn, path, busy_timeout)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} cannot be used as a leadpipeline database ({exc}); it may be corrupted"
        ) from None


def _is_blank(conn: sqlite3.Connection) -> bool:
    """A new, empty file: no tables and no application's marks (id or user version)."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return bool(app_id == 0 and user_version == 0 and tables == 0)


def _one_lead_per_source(conn: sqlite3.Connection, path: Path) -> None:
    """Version 2: a source record belongs to one lead, enforced by a unique index."""
    shared = conn.execute(
        "SELECT source_id, group_concat(lead_id, ', ') FROM lead_sources "
        "GROUP BY source_id HAVING count(*) > 1 ORDER BY source_id LIMIT 5"
    ).fetchall()
    if shared:
        listed = "; ".join(f"{source} held by {leads}" for source, leads in shared)
        raise StoreError(
            f"{path}: cannot upgrade to schema 2, source records held by more than one lead "
            f"({listed}); erase the duplicate leads with the previous release first"
        )
    conn.execute("CREATE UNIQUE INDEX lead_sources_one_lead ON lead_sources (source_id)")


_UPGRADES: dict[int, Callable[[sqlite3.Connection, Path], None]] = {1: _one_lead_per_source}
"""How to bring a file of each older schema version up by one."""


def _upgrade(conn: sqlite3.Connection, path: Path, found: int) -> None:
    """Bring a file of an older schema up to `SCHEMA_VERSION`, all in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        # another process may have upgraded the file while this one waited for the lock
        found = int(
            conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        )
        for version in range(found, SCHEMA_VERSION):
            _UPGRADES[version](conn, path)
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
        )
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != APPLICATION_ID:
        raise StoreError(
            f"{path} is another application's SQLite database "
            f"(application_id {app_id:#x}); refusing to use it"
        )
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        meta = {}
    if meta.get("application") != _APPLICATION or "schema_version" not in meta:
        raise StoreError(f"{path} has no leadpipeline metadata; refusing to use it")
    try:
        found = int(meta["schema_version"])
    except ValueError:
        raise StoreError(
            f"{path} has an unreadable schema version {meta['schema_version']!r}"
        ) from None
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {found}, written by a newer leadpipeline; "
            f"this version reads schema {SCHEMA_VERSION}: upgrade leadpipeline"
        )
    if found < 1:
        raise StoreError(f"{path} has unknown old schema version {found}")
    if found < SCHEMA_VERSION:
        _upgrade(conn, path, found)


def _use_wal(conn: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() == "wal":
                return
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: cannot use WAL mode (journal mode {mode!r})")
        except sqlite3.OperationalError:
            # another process is switching the file to WAL at the same moment
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
