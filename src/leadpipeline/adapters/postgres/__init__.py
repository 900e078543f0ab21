"""The PostgreSQL store, for many processes on many hosts (the ``postgres`` extra).

This package is the only part of leadpipeline that imports psycopg; install it with
``pip install "leadpipeline[postgres]"``.
"""

from leadpipeline.adapters.postgres._migrations import (
    POSTGRES_SCHEMA_VERSION,
    Migration,
    migrations,
)
from leadpipeline.adapters.postgres.outbox import LeasedOutbox
from leadpipeline.adapters.postgres.store import (
    DSN_ENV,
    PostgresStore,
    SynchronousCommit,
)

__all__ = [
    "DSN_ENV",
    "POSTGRES_SCHEMA_VERSION",
    "LeasedOutbox",
    "Migration",
    "PostgresStore",
    "SynchronousCommit",
    "migrations",
]
