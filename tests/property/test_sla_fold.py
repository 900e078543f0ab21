"""Going on from an SLA fold answers exactly what folding the whole history answers."""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline import Interaction, InteractionKind, Pipeline
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.errors import ValidationError
from leadpipeline.events import Event
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.sla import _fold as fold_module
from leadpipeline.rules.sla import fold_clocks
from leadpipeline.stages import RecordInteraction, next_due, transition
from tests.pipeline_support import PLAYBOOK, T0, fair_lead
from tests.property.test_sla_properties import (
    CALENDARS,
    POLICIES,
    histories,
    reference_deadlines,
)


def running(history: tuple[Event, ...], cal: BusinessCalendar) -> list[str]:
    """The reference's open, running clocks' due instants, as shown (zone included)."""
    return [
        d.due_at.isoformat()
        for d in reference_deadlines(history, cal)
        if d.met_at is None and d.due_at is not None
    ]


def shown(fold: fold_module.SlaFold) -> list[str]:
    return [due.isoformat() for due in fold.running_due()]


def clocks(fold: fold_module.SlaFold) -> list[tuple[object, ...]]:
    """Every clock the fold holds, answered or open, as plain values."""
    return [
        (i, c.started, c.since, c.remaining, c.paused_at, c.partner, met, by)
        for i, c, met, _, by in fold._every_record()
    ]


class TestGoingOnFromAFold:
    @settings(max_examples=300, deadline=None)
    @given(
        history=histories(),
        cal=st.sampled_from(CALENDARS),
        cuts=st.lists(st.integers(1, 26), max_size=4),
    )
    def test_folding_in_steps_equals_the_plain_reading(
        self, history: tuple[Event, ...], cal: BusinessCalendar, cuts: list[int]
    ) -> None:
        """Folded a few events at a time, the open clocks fall due as the reference says."""
        fold = None
        for cut in sorted({min(c, len(history)) for c in cuts}):
            fold = fold_clocks(history[:cut], POLICIES, cal, since=fold)
            assert shown(fold) == running(history[:cut], cal)
        assert shown(fold_clocks(history, POLICIES, cal, since=fold)) == running(history, cal)

    @settings(max_examples=200, deadline=None)
    @given(history=histories(), cal=st.sampled_from(CALENDARS), cut=st.integers(1, 26))
    def test_the_fold_gone_on_from_is_left_as_it_was(
        self, history: tuple[Event, ...], cal: BusinessCalendar, cut: int
    ) -> None:
        """Going on twice from one fold gives one answer; the fold still answers its prefix."""
        prefix = history[: min(cut, len(history))]
        start = fold_clocks(prefix, POLICIES, cal)
        before, every = shown(start), clocks(start)
        first = fold_clocks(history, POLICIES, cal, since=start)
        second = fold_clocks(history, POLICIES, cal, since=start)
        assert shown(first) == shown(second) == running(history, cal)
        assert clocks(first) == clocks(second) == clocks(fold_clocks(history, POLICIES, cal))
        assert shown(start) == before == running(prefix, cal)
        assert clocks(start) == every

    @settings(max_examples=150, deadline=None)
    @given(
        history=histories(),
        other=histories(),
        cal=st.sampled_from(CALENDARS),
        other_cal=st.sampled_from(CALENDARS),
    )
    def test_a_fold_of_another_history_or_calendar_is_ignored(
        self,
        history: tuple[Event, ...],
        other: tuple[Event, ...],
        cal: BusinessCalendar,
        other_cal: BusinessCalendar,
    ) -> None:
        """A fold that does not continue the history it comes with changes nothing."""
        stranger = fold_clocks(other, POLICIES, cal)
        assert shown(fold_clocks(history, POLICIES, cal, since=stranger)) == running(history, cal)
        own_prefix = fold_clocks(history[:1], POLICIES, other_cal)
        found = fold_clocks(history, POLICIES, cal, since=own_prefix)
        assert shown(found) == running(history, cal)

    def test_a_fold_must_be_a_fold(self) -> None:
        with pytest.raises(ValidationError, match="since"):
            fold_clocks((), POLICIES, CALENDARS[0], since="not a fold")  # type: ignore[arg-type]


def folded_lengths(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many events each pass of the SLA fold folds, in order."""
    lengths: list[int] = []
    real = fold_module._fold_events

    def counting(events: tuple[Event, ...], state: fold_module.SlaFold) -> None:
        lengths.append(len(events))
        real(events, state)

    monkeypatch.setattr(fold_module, "_fold_events", counting)
    return lengths


class TestTheShellGoesOnFromItsLastFold:
    def test_each_command_folds_only_its_own_events(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Forty touches on a cached lead: each folds only its own events; due as a fresh fold."""
        store = MemoryStore()
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        pipeline.capture(fair_lead(1))
        pipeline.record_interaction("L-1", Interaction(kind=InteractionKind.SITE_VISIT, at=T0))
        lengths = folded_lengths(monkeypatch)
        for n in range(40):
            at = T0 + timedelta(minutes=n)
            kind = InteractionKind.FORM_SUBMIT if n == 0 else InteractionKind.SITE_VISIT
            before = len(lengths)
            done = pipeline.run("L-1", RecordInteraction(interaction=Interaction(kind=kind, at=at)))
            assert lengths[before:] == [len(done.events)]  # only the events it decided
            history = store.history("L-1")
            assert done.due_at == next_due(history, done.after, PLAYBOOK)

    def test_a_transition_decided_with_a_fold_equals_one_decided_without(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        store = MemoryStore()
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        pipeline.capture(fair_lead(1))
        pipeline.record_interaction("L-1", Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0))
        lead, history = store.load("L-1"), store.history("L-1")
        now = T0 + timedelta(hours=2)
        touch = RecordInteraction(interaction=Interaction(kind=InteractionKind.CALL, at=now))
        memo = fold_clocks(history, PLAYBOOK.sla_policies, PLAYBOOK.party_calendars)
        lengths = folded_lengths(monkeypatch)
        with_fold = transition(lead, touch, PLAYBOOK, now=now, history=history, sla_fold=memo)
        plain = transition(lead, touch, PLAYBOOK, now=now, history=history)
        assert lengths == [1, len(history) + 1]  # the fold went on; the plain one began anew
        assert with_fold == plain
        assert with_fold.due_at == plain.due_at
        assert with_fold.sla_fold is not None
        assert plain.sla_fold is not None
        assert with_fold.sla_fold.running_due() == plain.sla_fold.running_due()

    def test_a_fold_does_not_travel_with_a_pickled_transition(self) -> None:
        pipeline = Pipeline(PLAYBOOK, store=MemoryStore(), clock=SimulatedClock(T0))
        pipeline.capture(fair_lead(1))
        touch = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)
        done = pipeline.run("L-1", RecordInteraction(interaction=touch))
        assert done.sla_fold is not None
        copied = pickle.loads(pickle.dumps(done))
        assert copied == done
        assert copied.sla_fold is None

    def test_a_fold_that_is_not_one_is_refused_by_name(self) -> None:
        lead = fair_lead(1)
        with pytest.raises(ValidationError, match="sla_fold"):
            transition(
                None,
                RecordInteraction(interaction=Interaction(kind=InteractionKind.CALL, at=T0)),
                PLAYBOOK,
                now=T0,
                sla_fold=lead,  # type: ignore[arg-type]
            )
