"""Open the store a URL names: a SQLite file by default, PostgreSQL by DSN, or memory."""

from __future__ import annotations

from pathlib import Path

from leadpipeline.adapters import LeadStore, MemoryStore, SqliteStore
from leadpipeline.errors import ConfigurationError

__all__ = ["DEFAULT_STORE_URL", "open_store"]

DEFAULT_STORE_URL = "sqlite:///leads.db"
"""A SQLite file called leads.db in the working directory."""


def open_store(url: str) -> LeadStore:
    """The store for `url`.

    - ``sqlite:///leads.db`` (relative) or ``sqlite:////var/lib/leads.db`` (absolute);
    - ``postgresql://user@host:5432/db`` (or ``postgres://``): needs the postgres extra;
    - ``memory://``: a `MemoryStore`, gone when the process ends (for trials and tests).

    Raises:
        ConfigurationError: a URL of any other kind.
    """
    if url.startswith("sqlite:///"):
        return SqliteStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415  # an extra

        return PostgresStore(url)
    if url == "memory://":
        return MemoryStore()
    raise ConfigurationError.at(
        "store", f"unknown store URL {url!r}: use sqlite:///FILE, postgresql://DSN or memory://"
    )
