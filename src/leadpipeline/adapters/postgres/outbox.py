"""Relays on several hosts sharing one PostgreSQL outbox, each leasing what it delivers."""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Protocol

from leadpipeline.errors import ValidationError
from leadpipeline.stages.notify import OutboxEntry

__all__ = ["LeasedOutbox", "Leasing", "default_owner"]


def default_owner() -> str:
    """Who holds a lease when none is named: this host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Leasing(Protocol):
    """The part of a store a leased outbox needs: leasing and marking entries."""

    def lease(
        self, *, now: datetime, limit: int, lease_for: timedelta, owner: str | None
    ) -> tuple[OutboxEntry, ...]:
        """Claim up to `limit` due entries for `lease_for`, oldest first."""

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a delivery and end the lease."""

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failure and end the lease."""


class LeasedOutbox:
    """One relay's view of a `PostgresStore` outbox: `pending` leases what it returns.

    Satisfies the `Outbox` protocol, so `relay_outbox(store.leased(), notifier, now=...)`
    is safe with any number of relays on any number of hosts.
    """

    def __init__(self, store: Leasing, *, lease_for: timedelta, owner: str | None = None) -> None:
        if lease_for <= timedelta(0):
            raise ValidationError.at("lease_for", "must be positive")
        self.store = store
        self.lease_for = lease_for
        self.owner = owner or default_owner()

    def pending(self, *, now: datetime, limit: int = 100) -> tuple[OutboxEntry, ...]:
        """Lease and return up to `limit` due entries (see `PostgresStore.lease`)."""
        return self.store.lease(now=now, limit=limit, lease_for=self.lease_for, owner=self.owner)

    def mark_delivered(self, entry_id: int, at: datetime) -> None:
        """Record a delivery and release the lease."""
        self.store.mark_delivered(entry_id, at)

    def mark_failed(self, entry_id: int, *, error: str, retry_at: datetime) -> None:
        """Record a failure and release the lease."""
        self.store.mark_failed(entry_id, error=error, retry_at=retry_at)
