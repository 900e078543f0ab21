"""Every store's outbox hands out the same entries in the same order as a plain model.

Random notifications are appended, delivered and failed with random retry times; after
each step `pending` must list exactly the undelivered entries due by then, oldest first
(ties by id), and `outbox` each lead's entries in the order written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from leadpipeline import Party
from leadpipeline.adapters import MemoryStore, Notification, SqliteStore
from leadpipeline.events import NoteAdded
from leadpipeline.stages import Transition
from leadpipeline.testing import captured

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEADS = ("L-1", "L-2")
minutes = st.integers(min_value=0, max_value=120).map(lambda m: T0 + timedelta(minutes=m))


@attrs.define
class Model:
    """What an entry should look like: when it is next due, and whether it is delivered."""

    lead_id: str
    next_at: datetime
    delivered: bool = False


class OutboxMachine(RuleBasedStateMachine):
    """MemoryStore and SqliteStore against one model, step by step."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = TemporaryDirectory()
        self.stores = [MemoryStore(), SqliteStore(Path(self.folder.name) / "leads.db")]
        self.model: dict[int, Model] = {}
        self.versions = dict.fromkeys(LEADS, 1)

    @initialize()
    def capture(self) -> None:
        for lead_id in LEADS:
            events, lead = captured(lead_id)
            for store in self.stores:
                store.record(
                    Transition(lead_id=lead_id, expected_version=0, events=events, after=lead)
                )

    @rule(lead_id=st.sampled_from(LEADS), at=minutes, count=st.integers(1, 3))
    def append_notes(self, lead_id: str, at: datetime, count: int) -> None:
        """An append that records `count` notifications created at `at`."""
        version = self.versions[lead_id]
        notes = tuple(
            Notification.about(
                lead_id=lead_id,
                version=version + 1,
                kind=f"k{n}",
                recipient=Party.sales(),
                message="act",
                created_at=at,
            )
            for n in range(count)
        )
        event = NoteAdded(lead_id=lead_id, at=at, actor=Party.marketing(), text="n")
        for store in self.stores:
            lead = attrs.evolve(store.load(lead_id), version=version + 1, notes=("n",))
            store.record(
                Transition(
                    lead_id=lead_id,
                    expected_version=version,
                    events=(event,),
                    after=lead,
                    notifications=notes,
                )
            )
        self.versions[lead_id] = version + 1
        first = max(self.model, default=0) + 1
        for n in range(count):
            self.model[first + n] = Model(lead_id=lead_id, next_at=at)

    def _undelivered(self) -> list[int]:
        return [i for i, m in self.model.items() if not m.delivered]

    @precondition(lambda self: any(not m.delivered for m in self.model.values()))
    @rule(data=st.data(), at=minutes)
    def deliver(self, data: st.DataObject, at: datetime) -> None:
        entry_id = data.draw(st.sampled_from(self._undelivered()))
        for store in self.stores:
            store.mark_delivered(entry_id, at)
        self.model[entry_id].delivered = True

    @precondition(lambda self: any(not m.delivered for m in self.model.values()))
    @rule(data=st.data(), retry_at=minutes)
    def fail(self, data: st.DataObject, retry_at: datetime) -> None:
        entry_id = data.draw(st.sampled_from(self._undelivered()))
        for store in self.stores:
            store.mark_failed(entry_id, error="down", retry_at=retry_at)
        self.model[entry_id].next_at = retry_at

    @invariant()
    def pending_matches_the_model(self) -> None:
        for now_minutes, limit in ((0, 100), (30, 100), (60, 3), (120, 100)):
            now = T0 + timedelta(minutes=now_minutes)
            expected = sorted(
                (m.next_at, i)
                for i, m in self.model.items()
                if not m.delivered and m.next_at <= now
            )[:limit]
            for store in self.stores:
                found = [(e.next_attempt_at, e.id) for e in store.pending(now=now, limit=limit)]
                assert found == expected

    @invariant()
    def outbox_lists_each_lead_in_order(self) -> None:
        for lead_id in LEADS:
            expected = [i for i, m in self.model.items() if m.lead_id == lead_id]
            for store in self.stores:
                assert [e.id for e in store.outbox(lead_id)] == expected

    def teardown(self) -> None:
        self.stores[1].close()
        self.folder.cleanup()


OutboxMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
TestOutboxOrder = OutboxMachine.TestCase
