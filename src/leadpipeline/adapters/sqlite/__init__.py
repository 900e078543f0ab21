"""The SQLite store: the embedded default, one file per pipeline."""

from leadpipeline.adapters.sqlite._file import APPLICATION_ID, SCHEMA_VERSION
from leadpipeline.adapters.sqlite.store import SqliteStore, Synchronous

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SqliteStore", "Synchronous"]
