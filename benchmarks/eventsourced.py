"""The peer for the store benchmark: the same kind of command on eventsourcing 9.5, SQLite.

A lead is an eventsourcing `Aggregate`; a recorded touch retrieves it, triggers one
event and saves it, in one SQLite transaction on a file in WAL mode at SQLite's default
durability (``synchronous`` FULL), as the pipeline's store uses. The aggregate cache is
on, as the pipeline's lead cache is, so neither side replays a history per command.

Optional: eventsourcing is installed only to run this comparison; `available()` says
whether it is, and the benchmark prints a line saying so when it is not.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from uuid import UUID

try:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
except ImportError:  # the benchmark says so and skips the comparison
    Application = None


def available() -> bool:
    """Whether eventsourcing can be imported (``pip install "eventsourcing==9.5.*"``)."""
    return Application is not None


if Application is not None:

    class Prospect(Aggregate):  # type: ignore[misc]  # optional dependency
        """A lead as an aggregate: its source, and the touches recorded on it."""

        def __init__(self, channel: str, source_id: str) -> None:
            self.channel = channel
            self.source_id = source_id
            self.touches: list[dict[str, str]] = []

        @event("InteractionRecorded")
        def record_interaction(self, kind: str, at: str) -> None:
            """One touch, as one event."""
            self.touches.append({"kind": kind, "at": at})

    class Leads(Application):  # type: ignore[misc]  # optional dependency
        """Capture and record a touch: retrieve, trigger one event, save."""

        def capture(self, n: int) -> UUID:
            """A new prospect, saved; its id."""
            prospect = Prospect(channel="exhibition", source_id=f"badge-{n}")
            self.save(prospect)
            return prospect.id  # type: ignore[no-any-return]

        def record_interaction(self, lead_id: UUID, kind: str, at: str) -> None:
            """Retrieve the prospect, record one touch, save it."""
            prospect = self.repository.get(lead_id)
            prospect.record_interaction(kind=kind, at=at)
            self.save(prospect)


def commands(path: Path, threads: int, per_thread: int, leads_per_thread: int = 50) -> float:
    """Seconds for `threads` threads to record `per_thread` touches each on their leads."""
    app = Leads(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "AGGREGATE_CACHE_MAXSIZE": "100000",
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    )
    owned = [
        [app.capture(t * leads_per_thread + i) for i in range(leads_per_thread)]
        for t in range(threads)
    ]
    at = "2026-03-02T09:00:00+00:00"

    def work(mine: list[UUID]) -> None:
        for i in range(per_thread):
            app.record_interaction(mine[i % len(mine)], "site_visit", at)

    workers = [threading.Thread(target=work, args=(mine,)) for mine in owned]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    app.close()
    return elapsed
