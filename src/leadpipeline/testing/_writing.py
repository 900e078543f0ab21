"""The contract's writing part: load, append, history, and concurrent writers."""

from __future__ import annotations

import threading
from datetime import timedelta

from leadpipeline.errors import ConflictError, NotFoundError, ValidationError
from leadpipeline.events import NoteAdded, replay
from leadpipeline.lead import Interaction, InteractionKind, Party
from leadpipeline.stages.commands import AddNote, MoveStage, RecordInteraction
from leadpipeline.stages.transition import Transition
from leadpipeline.testing._support import T0, StoreCase, _note, _pytest, captured, step

__all__ = ["WritingContract"]


class WritingContract(StoreCase):
    """Appends and loads: versions, conflicts, batches, concurrent writers."""

    def test_unknown_lead_is_not_found(self) -> None:
        """Loading, reading the history or the outbox of an unknown lead raises NotFoundError."""
        pytest = _pytest()
        with pytest.raises(NotFoundError):
            self.store.load("L-404")
        with pytest.raises(NotFoundError):
            self.store.history("L-404")
        with pytest.raises(NotFoundError):
            self.store.outbox("L-404")

    def test_append_then_load_round_trips(self) -> None:
        """A captured lead loads back equal to its snapshot, with its history at version 1."""
        events, lead = captured("L-1", email="eva.berg@example.com", source_id="badge-1")
        self.record("L-1", expected_version=0, events=events, after=lead)
        assert self.store.load("L-1") == lead
        assert self.store.load("L-1").version == 1
        assert self.store.history("L-1") == events

    def test_later_appends_continue_the_history(self) -> None:
        """Appends on the current version extend the history in order and bump the version."""
        lead = self.new("L-1")
        touch = Interaction(kind=InteractionKind.SITE_VISIT, at=T0, detail="pricing page")
        lead = self.do(lead, RecordInteraction(interaction=touch), T0 + timedelta(hours=1))
        lead = self.do(lead, MoveStage(to_stage="mql", reason="visited pricing"), T0)
        assert self.store.load("L-1") == lead
        assert lead.version == 3
        assert replay(self.store.history("L-1")) == lead

    def test_stale_version_conflicts_and_writes_nothing(self) -> None:
        """An append on a stale version raises ConflictError and leaves everything as it was."""
        pytest = _pytest()
        lead = self.new("L-1")
        current = self.do(lead, AddNote(text="called, no answer"), T0)
        history, outbox = self.store.history("L-1"), self.store.outbox("L-1")
        events, after = step(lead, MoveStage(to_stage="mql"), T0)
        with pytest.raises(ConflictError) as caught:
            self.record(
                "L-1",
                expected_version=lead.version,
                events=events,
                after=after,
                notifications=(_note(after, "handed_over", Party.sales(team="inside-sales"), T0),),
            )
        assert (caught.value.lead_id, caught.value.expected, caught.value.actual) == ("L-1", 1, 2)
        assert self.store.history("L-1") == history
        assert self.store.load("L-1") == current
        assert self.store.outbox("L-1") == outbox
        assert self.store.pending(now=T0 + timedelta(days=1)) == ()

    def test_capturing_an_existing_lead_conflicts(self) -> None:
        """Expecting version 0 for a lead that exists raises ConflictError naming its version."""
        pytest = _pytest()
        first = self.new("L-1", email="eva.berg@example.com")
        events, lead = captured("L-1", email="other@example.com")
        with pytest.raises(ConflictError) as caught:
            self.record("L-1", expected_version=0, events=events, after=lead)
        assert caught.value.actual == 1
        assert self.store.load("L-1") == first

    def test_appending_to_an_unknown_lead_conflicts(self) -> None:
        """Expecting a version of a lead the store has never seen raises ConflictError."""
        pytest = _pytest()
        lead = replay(captured("L-1")[0])
        events, after = step(lead, AddNote(text="follow up"), T0)
        with pytest.raises(ConflictError) as caught:
            self.record("L-1", expected_version=1, events=events, after=after)
        assert caught.value.actual is None
        with pytest.raises(NotFoundError):
            self.store.load("L-1")

    def test_snapshot_must_follow_the_events(self) -> None:
        """A snapshot whose version does not match the events is refused and nothing lands."""
        pytest = _pytest()
        lead = self.new("L-1")
        events, _ = step(lead, AddNote(text="follow up"), T0)
        with pytest.raises(ValidationError) as caught:
            self.record("L-1", expected_version=1, events=events, after=lead)
        assert "after.version" in caught.value.paths
        assert self.store.load("L-1") == lead
        assert len(self.store.history("L-1")) == 1

    def test_append_many_is_all_or_nothing(self) -> None:
        """A batch with one stale request writes none of its requests."""
        pytest = _pytest()
        self.new("L-1")
        good_events, good = captured("L-2", source_id="badge-2")
        stale_events, stale = captured("L-1", email="second.capture@example.com")
        batch = [
            Transition(
                lead_id="L-2",
                expected_version=0,
                events=good_events,
                after=good,
                notifications=(_note(good, "captured", Party.marketing(), T0),),
            ),
            Transition(lead_id="L-1", expected_version=0, events=stale_events, after=stale),
        ]
        with pytest.raises(ConflictError):
            self.store.record_many(batch)
        with pytest.raises(NotFoundError):
            self.store.load("L-2")
        assert self.store.find_by_source_id("badge-2") is None
        assert self.store.pending(now=T0 + timedelta(days=1)) == ()
        self.store.record_many(batch[:1])
        assert self.store.load("L-2") == good

    def test_append_many_chains_requests_for_one_lead(self) -> None:
        """Requests for the same lead in one batch apply in order, each on the previous."""
        first_events, first = captured("L-1")
        note_events, noted = step(first, AddNote(text="met at the booth"), T0)
        self.store.record_many(
            [
                Transition(lead_id="L-1", expected_version=0, events=first_events, after=first),
                Transition(lead_id="L-1", expected_version=1, events=note_events, after=noted),
            ]
        )
        assert self.store.load("L-1") == noted
        assert self.store.history("L-1") == (*first_events, *note_events)

    # -- concurrency --------------------------------------------------------------

    def test_concurrent_writers_never_lose_an_update(self) -> None:
        """Eight threads appending to two leads either land or conflict; retries converge."""
        threads_n, appends_each = 8, 6
        for lead_id in ("L-1", "L-2"):
            self.new(lead_id)
        barrier = threading.Barrier(threads_n)
        conflicts = [0] * threads_n
        errors: list[BaseException] = []

        def writer(n: int) -> None:
            try:
                barrier.wait()
                for i in range(appends_each):
                    lead_id = ("L-1", "L-2")[(n + i) % 2]
                    while True:
                        lead = self.store.load(lead_id)
                        events, after = step(lead, AddNote(text=f"writer {n} note {i}"), T0)
                        try:
                            self.record(
                                lead_id,
                                expected_version=lead.version,
                                events=events,
                                after=after,
                            )
                            break
                        except ConflictError:
                            conflicts[n] += 1
            except BaseException as exc:  # surfaced below, on the test's thread
                errors.append(exc)

        workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert errors == []
        notes = [
            e.text
            for lead_id in ("L-1", "L-2")
            for e in self.store.history(lead_id)
            if isinstance(e, NoteAdded)
        ]
        assert len(notes) == threads_n * appends_each
        assert len(set(notes)) == len(notes)
        total = sum(self.store.load(lead_id).version for lead_id in ("L-1", "L-2"))
        assert total == 2 + threads_n * appends_each
