"""The contract's outbox part: entries land with the append and are marked as they go."""

from __future__ import annotations

from datetime import timedelta

from leadpipeline.errors import NotFoundError
from leadpipeline.lead import Party
from leadpipeline.stages.commands import AddNote, MoveStage
from leadpipeline.testing._support import T0, StoreCase, _note, _pytest, step

__all__ = ["OutboxContract"]


class OutboxContract(StoreCase):
    """Notifications appended with the events, pending until delivered."""

    def test_outbox_entries_land_with_the_append(self) -> None:
        """Notifications appended with events are pending from their creation time on."""
        lead = self.new("L-1")
        at = T0 + timedelta(minutes=5)
        events, after = step(lead, MoveStage(to_stage="mql"), at)
        first = _note(after, "handed_over", Party.sales(team="inside-sales"), at)
        second = _note(after, "handed_over", Party.sales(team="pre-sales"), at)
        self.record(
            "L-1",
            expected_version=1,
            events=events,
            after=after,
            notifications=(first, second),
        )
        entries = self.store.outbox("L-1")
        assert [e.notification for e in entries] == [first, second]
        assert all(e.attempts == 0 and e.delivered_at is None for e in entries)
        assert self.store.pending(now=at - timedelta(seconds=1)) == ()
        assert self.store.pending(now=at) == entries
        assert self.store.pending(now=at, limit=1) == entries[:1]

    def test_mark_delivered_takes_an_entry_out_of_pending(self) -> None:
        """A delivered entry is no longer pending and keeps its delivery time."""
        lead = self.new("L-1")
        note = _note(lead, "captured", Party.marketing(), T0)
        self.do(lead, AddNote(text="x"), T0, notifications=(note,))
        (entry,) = self.store.pending(now=T0)
        delivered_at = T0 + timedelta(seconds=3)
        self.store.mark_delivered(entry.id, delivered_at)
        self.store.mark_delivered(entry.id, delivered_at + timedelta(hours=1))
        assert self.store.pending(now=T0 + timedelta(days=1)) == ()
        (after,) = self.store.outbox("L-1")
        assert after.delivered_at == delivered_at
        assert after.attempts == 1

    def test_mark_failed_retries_at_the_given_time(self) -> None:
        """A failed entry counts the attempt, keeps the error and is pending again at retry_at."""
        lead = self.new("L-1")
        self.do(
            lead,
            AddNote(text="x"),
            T0,
            notifications=(_note(lead, "offered", Party.partner("p"), T0),),
        )
        (entry,) = self.store.pending(now=T0)
        retry_at = T0 + timedelta(minutes=5)
        self.store.mark_failed(entry.id, error="portal down", retry_at=retry_at)
        assert self.store.pending(now=retry_at - timedelta(seconds=1)) == ()
        (again,) = self.store.pending(now=retry_at)
        assert (again.id, again.attempts, again.last_error) == (entry.id, 1, "portal down")
        assert again.next_attempt_at == retry_at

    def test_marking_an_unknown_entry_is_not_found(self) -> None:
        """Marking an outbox entry that does not exist raises NotFoundError."""
        pytest = _pytest()
        with pytest.raises(NotFoundError):
            self.store.mark_delivered(999, T0)
        with pytest.raises(NotFoundError):
            self.store.mark_failed(999, error="x", retry_at=T0)
