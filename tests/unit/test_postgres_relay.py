"""The PostgreSQL outbox under several relays: leases, SKIP LOCKED, a relay killed mid-lease."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import time
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from leadpipeline.adapters.notification import Notification, RecordingNotifier
from leadpipeline.adapters.relay import relay_outbox
from leadpipeline.lead import Lead, Party
from leadpipeline.stages import Transition
from leadpipeline.stages.commands import AddNote
from leadpipeline.testing import captured, step
from tests.pg import T0, fresh_store, note_for, relay_worker, require_postgres, requires_postgres

pytestmark = requires_postgres
postgres = pytest.importorskip("leadpipeline.adapters.postgres")

if TYPE_CHECKING:
    from leadpipeline.adapters.postgres import PostgresStore


def fill_outbox(store: PostgresStore, leads: int, per_lead: int) -> int:
    """Capture `leads` leads, each with `per_lead` notifications in one append."""
    batch = []

    for i in range(leads):
        lead_id = f"L-{i:05d}"
        events, lead = captured(lead_id)
        notes = tuple(
            Notification(
                key=f"{lead_id}:1:handed_over:sales-{n}",
                lead_id=lead_id,
                kind="handed_over",
                recipient=Party.sales(team=f"team-{n}"),
                message=f"New MQL {lead_id}",
                created_at=T0,
            )
            for n in range(per_lead)
        )
        batch.append(
            Transition(
                lead_id=lead_id,
                expected_version=0,
                events=events,
                after=lead,
                notifications=notes,
            )
        )
        if len(batch) == 500:
            store.record_many(batch)
            batch = []
    if batch:
        store.record_many(batch)
    return leads * per_lead


def add_note(store: PostgresStore, lead: Lead, text: str, *, notify: bool) -> Lead:
    """Record a note on `lead`, with one notification when `notify`; the lead after it."""
    events, after = step(lead, AddNote(text=text), T0)
    notes = (note_for(lead.id, after.version),) if notify else ()
    store.record(
        Transition(
            lead_id=lead.id,
            expected_version=lead.version,
            events=events,
            after=after,
            notifications=notes,
        )
    )
    return after


class TestLeases:
    def test_two_relays_leasing_at_once_never_share_an_entry(self) -> None:
        """Leases taken one after the other split the due entries between the relays."""
        with fresh_store() as store:
            fill_outbox(store, 10, 2)
            first = store.lease(now=T0, limit=15, owner="relay-a")
            second = store.lease(now=T0, limit=15, owner="relay-b")
            assert len(first) == 15
            assert len(second) == 5
            assert not {e.id for e in first} & {e.id for e in second}
            assert store.lease(now=T0, owner="relay-c") == ()
            assert store.pending(now=T0) == ()

    def test_a_lease_comes_back_in_order_of_due_time(self) -> None:
        """Leased entries are the oldest due ones, ordered by due time then id."""
        with fresh_store() as store:
            fill_outbox(store, 3, 2)
            ids = [e.id for e in store.pending(now=T0)]
            leased = store.lease(now=T0, limit=4)
            assert [e.id for e in leased] == ids[:4]

    def test_an_expired_lease_hands_the_entry_back(self) -> None:
        """An entry whose relay never reported is leased again once its lease runs out."""
        with fresh_store() as store:
            fill_outbox(store, 1, 1)
            (held,) = store.lease(now=T0, lease_for=timedelta(milliseconds=200))
            assert store.lease(now=T0) == ()
            time.sleep(0.3)
            (again,) = store.lease(now=T0)
            assert again.id == held.id

    def test_marking_ends_the_lease(self) -> None:
        """A failed entry is due again at its retry time, whoever leased it before."""
        with fresh_store() as store:
            fill_outbox(store, 1, 2)
            a, b = store.lease(now=T0, lease_for=timedelta(hours=1))
            store.mark_delivered(a.id, T0)
            retry_at = T0 + timedelta(minutes=5)
            store.mark_failed(b.id, error="portal down", retry_at=retry_at)
            (again,) = store.lease(now=retry_at)
            assert (again.id, again.attempts, again.last_error) == (b.id, 1, "portal down")

    def test_relay_outbox_delivers_through_a_leased_view(self) -> None:
        """relay_outbox over store.leased() delivers every due entry once and marks it."""
        with fresh_store() as store:
            total = fill_outbox(store, 30, 2)
            notifier = RecordingNotifier()
            view = store.leased(lease_for=timedelta(minutes=1), owner="relay-a")
            report = relay_outbox(view, notifier, now=T0, limit=1000)
            assert report.delivered == total
            assert len(notifier.unique_keys) == total
            assert store.pending(now=T0 + timedelta(days=1)) == ()

    def test_pipeline_appends_wake_the_relay(self) -> None:
        """A relay waiting on the outbox channel wakes up after an append with notifications."""
        with fresh_store() as store:
            fill_outbox(store, 1, 1)
            assert store.wait_for_outbox(0.01) in (True, False)  # start listening
            while store.wait_for_outbox(0.01):  # drain wake-ups from the fill
                pass
            add_note(store, store.load("L-00000"), "x", notify=True)
            assert store.wait_for_outbox(30) is True

    def test_the_wake_up_comes_after_the_commit_and_a_failed_one_fails_nothing(self) -> None:
        """The wake-up is its own transaction, sent once the write is durable.

        A wake-up that fails (here its SQL breaks) leaves the committed write, its entry
        and the pooled connection as they were: the relay finds the entry on its next pass.
        """
        with fresh_store() as store:
            fill_outbox(store, 1, 1)
            store._sql.notify = b"BEGIN; SELECT 1 / 0; COMMIT"
            lead = store.load("L-00000")
            after = add_note(store, lead, "x", notify=True)
            note = note_for(lead.id, after.version)
            assert store.load(lead.id) == after
            assert note.key in {e.notification.key for e in store.outbox(lead.id)}
            again = add_note(store, after, "y", notify=False)
            assert store.load(lead.id).version == again.version


class TestRelayProcesses:
    def test_three_relays_drain_while_a_fourth_is_killed_mid_lease(self) -> None:
        """5,000 entries: all delivered, never twice at once, repeats only from the killed lease."""
        dsn = require_postgres()
        with fresh_store() as store:
            q = f'"{store.schema}"'
            import psycopg  # noqa: PLC0415  # optional dependency

            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(
                    f"CREATE TABLE {q}.relay_log (id bigserial PRIMARY KEY, relay text, "
                    "entry_id bigint, key text, started float8, ended float8)".encode()
                )
                conn.execute(
                    f"CREATE TABLE {q}.relay_leases (relay text, entry_id bigint)".encode()
                )
            total = fill_outbox(store, 1000, 5)
            ctx = multiprocessing.get_context("spawn")
            victim = ctx.Process(target=relay_worker, args=(dsn, store.schema, "victim", 3.0, 0.3))
            victim.start()
            with psycopg.connect(dsn, autocommit=True) as conn:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    row = conn.execute(
                        f"SELECT count(*), bool_or(ended IS NULL) FROM {q}.relay_log "
                        "WHERE relay = 'victim'".encode()
                    ).fetchone()
                    if row and row[0] >= 3 and row[1]:  # killed with a delivery in flight
                        break
                    time.sleep(0.02)
                assert victim.pid is not None
                os.kill(victim.pid, signal.SIGKILL)
                killed_at = time.time()
                victim.join()
                relays = [
                    ctx.Process(target=relay_worker, args=(dsn, store.schema, f"r{n}", 3.0, 0.0))
                    for n in range(3)
                ]
                for r in relays:
                    r.start()
                for r in relays:
                    r.join(120)
                assert [r.exitcode for r in relays] == [0, 0, 0]
                log = conn.execute(
                    f"SELECT relay, entry_id, key, started, ended FROM {q}.relay_log".encode()
                ).fetchall()
                victim_leased = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT entry_id FROM {q}.relay_leases WHERE relay = 'victim'".encode()
                    )
                }
                undelivered = conn.execute(
                    f"SELECT count(*) FROM {q}.outbox WHERE delivered_at IS NULL".encode()
                ).fetchone()
            assert victim.exitcode == -signal.SIGKILL
            assert undelivered == (0,)
            deliveries: dict[int, list[tuple[str, str, float, float]]] = defaultdict(list)
            for relay, entry_id, key, started, ended in log:
                deliveries[entry_id].append((relay, key, started, ended or killed_at))
            assert len(deliveries) == total
            repeated = {e: d for e, d in deliveries.items() if len(d) > 1}
            assert repeated, "the killed relay died with at least one delivery in flight"
            for entry_id, runs in repeated.items():
                assert entry_id in victim_leased
                assert "victim" in {relay for relay, *_ in runs}
                assert len({key for _, key, *_ in runs}) == 1
                spans = sorted((s, e) for _, _, s, e in runs)
                for (_, end), (start, _) in itertools.pairwise(spans):
                    assert end <= start, f"entry {entry_id} delivered twice at once"
            keys = {runs[0][1] for runs in deliveries.values()}
            assert len(keys) == total
