"""The PostgreSQL schema's numbered migrations, shipped as SQL files in the package."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from typing import Any

import attrs
import psycopg

from leadpipeline._typed import typed
from leadpipeline.errors import StoreError

__all__ = ["LEDGER", "POSTGRES_SCHEMA_VERSION", "Migration", "migrate", "migrations"]

POSTGRES_SCHEMA_VERSION = 2
"""The schema version this release writes and reads (the last shipped migration)."""

_MIGRATION_FILE = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
LEDGER = "leadpipeline_migrations"
"""The table that records which migrations a schema has had."""


@attrs.frozen(kw_only=True, field_transformer=typed)
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


def migrate(conn: psycopg.Connection[Any], schema: str, *, create: bool = True) -> int:
    """Create `schema` or bring it up to this release's version, in one transaction.

    With `create` False a schema that is missing (or holds no leadpipeline tables yet) is
    refused instead of created: a command that only reads must not leave one behind.
    """
    known = migrations()
    with conn.transaction():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            (f"leadpipeline.migrate.{schema}",),
        )
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        }
        if tables and LEDGER not in tables:
            raise StoreError(
                f"schema {schema!r} holds tables that are not leadpipeline's "
                f"({', '.join(sorted(tables))}); refusing to use it"
            )
        if not tables and not create:
            raise StoreError(f"schema {schema!r} holds no leadpipeline database")
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f'SET LOCAL search_path TO "{schema}"')
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {LEDGER} ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, "
            "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        applied: dict[int, str] = dict(
            conn.execute(f"SELECT version, checksum FROM {LEDGER}").fetchall()
        )
        newest = max(applied, default=0)
        if newest > len(known):
            raise StoreError(
                f"schema {schema!r} has version {newest}, written by a newer "
                f"leadpipeline; this release knows version {len(known)}: upgrade leadpipeline"
            )
        for migration in known:
            recorded = applied.get(migration.version)
            if recorded is None:
                conn.execute(migration.sql.encode())
                conn.execute(
                    f"INSERT INTO {LEDGER} (version, name, checksum) VALUES (%s, %s, %s)",
                    (migration.version, migration.name, migration.checksum),
                )
            elif recorded != migration.checksum:
                raise StoreError(
                    f"schema {schema!r}: migration {migration.version} "
                    f"({migration.name}) was applied from a different file; refusing to use it"
                )
    return len(known)
