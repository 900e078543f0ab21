"""The outbox relay: at-least-once delivery, retries with backoff, nothing lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadpipeline.adapters.clock import SimulatedClock
from leadpipeline.adapters.memory import MemoryStore
from leadpipeline.adapters.notification import Notification, RecordingNotifier
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.adapters.relay import Backoff, RelayReport, relay_outbox
from leadpipeline.adapters.sqlite import SqliteStore
from leadpipeline.errors import ValidationError
from leadpipeline.events import replay
from leadpipeline.lead import Lead, Party, Source
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.stages import Transition
from leadpipeline.stages.commands import AddNote, Capture
from leadpipeline.stages.decide import decide

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        sqlite = SqliteStore(tmp_path / "leads.db")
        yield sqlite
        sqlite.close()


def notes_for(lead: Lead, recipients: list[Party]) -> tuple[Notification, ...]:
    return tuple(
        Notification.about(
            lead_id=lead.id,
            version=lead.version,
            kind="offered",
            recipient=r,
            message=f"Lead {lead.id} offered to {r}",
            created_at=T0,
            due_at=T0 + timedelta(hours=48),
        )
        for r in recipients
    )


def seed(store: LeadStore, leads: int, recipients: list[Party]) -> set[str]:
    """Capture `leads` leads, each with one notification per recipient; returns the keys."""
    keys: set[str] = set()
    for n in range(leads):
        lead = Lead(id=f"L-{n}", source=Source(channel="web", captured_at=T0))
        events = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=T0)
        snapshot = replay(events)
        notes = notes_for(snapshot, recipients)
        store.record(
            Transition(
                lead_id=lead.id,
                expected_version=0,
                events=events,
                after=snapshot,
                notifications=notes,
            )
        )
        keys |= {x.key for x in notes}
    return keys


class TestRelay:
    def test_delivers_every_pending_entry_once(self, store: LeadStore) -> None:
        """A healthy notifier gets each due notification once and the outbox empties."""
        keys = seed(store, 3, [Party.partner("p-1"), Party.partner("p-2")])
        notifier = RecordingNotifier()
        report = relay_outbox(store, notifier, now=T0)
        assert report == RelayReport(delivered=6, failed=0)
        assert sorted(n.key for n in notifier.delivered) == sorted(keys)
        assert store.pending(now=T0 + timedelta(days=1)) == ()
        assert all(e.delivered_at == T0 for e in store.outbox("L-0"))

    def test_entries_not_yet_due_wait(self, store: LeadStore) -> None:
        """Notifications created after `now` are left for a later pass."""
        seed(store, 1, [Party.partner("p-1")])
        notifier = RecordingNotifier()
        assert relay_outbox(store, notifier, now=T0 - timedelta(minutes=1)).attempted == 0
        assert notifier.delivered == []

    def test_failure_is_retried_with_exponential_backoff(self, store: LeadStore) -> None:
        """Each failure pushes the next attempt out by base * 2**attempts, up to the cap."""
        seed(store, 1, [Party.partner("p-1")])
        notifier = RecordingNotifier(fail=lambda _n, _call: True)
        backoff = Backoff(base=timedelta(seconds=10), cap=timedelta(seconds=60))
        now = T0
        waits = []
        for _ in range(5):
            report = relay_outbox(store, notifier, now=now, backoff=backoff)
            assert report == RelayReport(delivered=0, failed=1)
            (entry,) = store.outbox("L-0")
            waits.append((entry.next_attempt_at - now).total_seconds())
            assert relay_outbox(
                store, notifier, now=entry.next_attempt_at - timedelta(seconds=1)
            ) == (RelayReport())
            now = entry.next_attempt_at
        assert waits == [10, 20, 40, 60, 60]
        (entry,) = store.outbox("L-0")
        assert entry.attempts == 5
        assert entry.last_error.startswith("DeliveryError: ")

    def test_half_failing_notifier_still_delivers_every_key(self, store: LeadStore) -> None:
        """With every other attempt failing, repeated passes deliver every key at least once."""
        keys = seed(
            store,
            10,
            [Party.sales(team="inside-sales"), Party.partner("p-7"), Party.partner("p-9")],
        )
        notifier = RecordingNotifier(fail=lambda _n, call: call % 2 == 0)
        clock = SimulatedClock(T0)
        backoff = Backoff(base=timedelta(seconds=5), cap=timedelta(minutes=1))
        failures = 0
        for _ in range(50):
            report = relay_outbox(store, notifier, now=clock.now(), limit=7, backoff=backoff)
            failures += report.failed
            if not store.pending(now=clock.now() + timedelta(hours=1)):
                break
            clock.advance(timedelta(minutes=1))
        assert failures > 0
        assert notifier.unique_keys == keys
        assert len(notifier.delivered) >= len(keys)
        for n in range(10):
            assert all(e.delivered for e in store.outbox(f"L-{n}"))

    def test_crash_after_delivery_redelivers_rather_than_loses(self) -> None:
        """If marking delivered fails, the pass goes on and the next delivers again: never lost."""

        class FlakyStore(MemoryStore):
            crashes = 1

            def mark_delivered(self, entry_id: int, at: datetime) -> None:
                if self.crashes:
                    self.crashes -= 1
                    raise OSError("disk unplugged")
                super().mark_delivered(entry_id, at)

        store = FlakyStore()
        keys = seed(store, 1, [Party.partner("p-1")])
        notifier = RecordingNotifier()
        assert relay_outbox(store, notifier, now=T0).delivered == 1  # the crash is contained
        assert store.crashes == 0
        assert relay_outbox(store, notifier, now=T0).delivered == 1
        assert [n.key for n in notifier.delivered] == [*keys, *keys]
        assert notifier.unique_keys == keys

    def test_naive_now_is_refused(self) -> None:
        """A naive `now` raises ValidationError before anything is delivered."""
        with pytest.raises(ValidationError):
            relay_outbox(MemoryStore(), RecordingNotifier(), now=datetime(2026, 3, 2, 9, 0))

    def test_store_erasure_does_not_block_delivery(self, store: LeadStore) -> None:
        """Delivery continues for untouched leads alongside a note appended later."""
        seed(store, 1, [Party.partner("p-1")])
        lead = store.load("L-0")
        events = decide(lead, AddNote(text="second touch"), DEFAULT_PLAYBOOK, now=T0)
        after = replay([*store.history("L-0"), *events])
        store.record(
            Transition(
                lead_id="L-0",
                expected_version=1,
                events=events,
                after=after,
                notifications=notes_for(after, [Party.partner("p-2")]),
            )
        )
        notifier = RecordingNotifier()
        assert relay_outbox(store, notifier, now=T0).delivered == 2


class TestBackoff:
    def test_delay_doubles_then_caps(self) -> None:
        """The delay doubles per previous attempt and never exceeds the cap."""
        policy = Backoff(base=timedelta(seconds=1), cap=timedelta(seconds=5))
        assert [policy.delay(n).total_seconds() for n in range(5)] == [1, 2, 4, 5, 5]
        assert policy.delay(1000) == timedelta(seconds=5)

    def test_non_positive_durations_are_refused(self) -> None:
        """A zero or negative base or cap is a ValidationError naming the field."""
        with pytest.raises(ValidationError) as caught:
            Backoff(base=timedelta(0))
        assert caught.value.paths == ("base",)
