"""A process the crash tests kill on purpose: it runs a lead's handover on a SQLite file.

Usage: ``python tests/crash_worker.py DB CONSUMER PHASE [KILL_POINT]``

PHASE ``work`` captures lead L-1, qualifies it and hands it over to sales, then relays
the outbox to a file-backed deduplicating consumer. KILL_POINT makes the process SIGKILL
itself at one moment:

- ``capture_commit``: inside the capture's transaction, just before COMMIT;
- ``handover_commit``: inside the handover's transaction, just before COMMIT;
- ``after_commit``: right after the handover is committed, before any relay;
- ``after_delivery``: after the consumer received the first notification, before the
  outbox marks it delivered.

PHASE ``relay`` is the restarted process: it relays whatever is pending and prints a JSON
summary of the file (leads, stages, outbox keys and whether each was delivered).

PHASE ``erase`` captures lead L-1 with an email and a note naming it, then erases it;
KILL_POINT ``erase_commit`` dies just before the erasure's COMMIT, ``after_erase`` right
after it, before the files are scrubbed. PHASE ``inspect`` reopens the file and prints
whether the lead is erased and whether the email is in the files before and after a scrub.

PHASE ``partner`` walks L-1 to the partner channel, offers it to two partners, and lets
one accept through its partner view; KILL_POINT ``accept_commit`` dies just before that
COMMIT. PHASE ``partners`` prints what each partner's view sees afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadpipeline import Pipeline
from leadpipeline.adapters import CallbackNotifier, SimulatedClock, SqliteStore
from leadpipeline.adapters.notification import Notification
from leadpipeline.stages import Transition
from tests.pipeline_support import PLAYBOOK, T0, DedupConsumer, fair_lead, to_partner_channel


def die() -> None:
    """Vanish like a power cut: no cleanup, no rollback, no flush."""
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingStore:
    """Forwards to the SQLite store; dies right after the n-th append is committed."""

    def __init__(self, inner: SqliteStore, die_after_append: int | None) -> None:
        self.inner = inner
        self.die_after_append = die_after_append
        self.appends = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def record(self, transition: Transition) -> None:
        self.inner.record(transition)
        self.appends += 1
        if self.appends == self.die_after_append:
            die()


def work(db: Path, consumer: DedupConsumer, kill: str) -> None:
    store = SqliteStore(db)
    commits = {"capture_commit": 1, "handover_commit": 3}
    if kill in commits:
        seen = [0]

        def before_statement(sql: str) -> None:
            if sql.strip().upper() == "COMMIT":
                seen[0] += 1
                if seen[0] == commits[kill]:
                    die()  # the transaction's rows are written, its COMMIT is not

        store._conn().set_trace_callback(before_statement)  # test harness

    def deliver(note: Notification) -> None:
        consumer.deliver(note)
        if kill == "after_delivery":
            die()

    crashing = CrashingStore(store, 3 if kill == "after_commit" else None)
    pipeline = Pipeline(
        PLAYBOOK,
        store=crashing,
        notifier=CallbackNotifier(deliver),
        clock=SimulatedClock(T0),
    )
    pipeline.capture(fair_lead(1))
    pipeline.qualify("L-1")
    pipeline.hand_over("L-1")
    pipeline.relay_outbox()
    store.close()


def relay(db: Path, consumer: DedupConsumer) -> None:
    clock = SimulatedClock(T0 + timedelta(hours=1))
    with SqliteStore(db) as store:
        pipeline = Pipeline(
            PLAYBOOK, store=store, notifier=CallbackNotifier(consumer.deliver), clock=clock
        )
        while pipeline.relay_outbox().attempted:
            pass
        leads = {lead.id: lead.stage for lead in store.query()}
        outbox = [
            [e.notification.key, e.delivered] for lead_id in leads for e in store.outbox(lead_id)
        ]
    print(json.dumps({"leads": leads, "outbox": outbox}))


SECRET = "annika.lindqvist@example.com"


def die_at_commit(store: SqliteStore, number: int) -> None:
    """Kill the process just before the `number`-th COMMIT this connection sends."""
    seen = [0]

    def before_statement(sql: str) -> None:
        if sql.strip().upper() == "COMMIT":
            seen[0] += 1
            if seen[0] == number:
                die()

    store._conn().set_trace_callback(before_statement)  # test harness


def erase(db: Path, kill: str) -> None:
    store = SqliteStore(db)
    pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
    pipeline.capture(fair_lead(1, email=SECRET))
    pipeline.add_note("L-1", f"wrote to {SECRET}")
    store.checkpoint()
    if kill == "erase_commit":
        die_at_commit(store, 1)
    elif kill == "after_erase":
        store.checkpoint = lambda **_: die()  # type: ignore[method-assign]  # after the commit
    pipeline.erase("L-1")
    store.close()


def inspect(db: Path) -> None:
    def in_files() -> bool:
        wal = db.with_name(db.name + "-wal")
        return SECRET.encode() in db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    with SqliteStore(db) as store:
        lead = store.load("L-1")
        before = in_files()
        store.scrub()
        after = in_files()
        print(
            json.dumps(
                {"erased": lead.erased, "version": lead.version, "before": before, "after": after}
            )
        )


def partner(db: Path, kill: str) -> None:
    store = SqliteStore(db)
    pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
    to_partner_channel(pipeline, 1)
    pipeline.offer_to_partners("L-1", ["p-gold", "p-silver"])
    if kill == "accept_commit":
        die_at_commit(store, 1)
    pipeline.for_partner("p-gold").accept("L-1")
    store.close()


def partners(db: Path) -> None:
    with SqliteStore(db) as store:
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        seen = {
            p: [lead.id for lead in pipeline.for_partner(p).leads()]
            for p in ("p-gold", "p-silver", "p-bronze")
        }
        lead = store.load("L-1")
        print(json.dumps({"seen": seen, "stage": lead.stage, "owner": str(lead.owner)}))


def main(argv: list[str]) -> None:
    db, consumer = Path(argv[1]), DedupConsumer(Path(argv[2]))
    kill = argv[4] if len(argv) > 4 else "none"
    match argv[3]:
        case "work":
            work(db, consumer, kill)
        case "erase":
            erase(db, kill)
        case "inspect":
            inspect(db)
        case "partner":
            partner(db, kill)
        case "partners":
            partners(db)
        case _:
            relay(db, consumer)


if __name__ == "__main__":
    main(sys.argv)
