"""Properties of decided histories: replay, owners, source and version."""

from __future__ import annotations

import functools

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from leadpipeline import DEFAULT_PLAYBOOK, Event, Lead, Playbook, from_json, replay, to_json
from leadpipeline.events import LeadCaptured, evolve
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle
from tests.strategies import custom_lifecycles, decided_batches, histories


def _fold(events: tuple[Event, ...]) -> Lead:
    lead: Lead | None = None
    for event in events:
        lead = evolve(lead, event)
    assert lead is not None
    return lead


def _prefixes(batches: tuple[tuple[Event, ...], ...]) -> list[tuple[Event, ...]]:
    """The history as it stood after each accepted decision."""
    out: list[tuple[Event, ...]] = []
    so_far: tuple[Event, ...] = ()
    for batch in batches:
        so_far = (*so_far, *batch)
        out.append(so_far)
    return out


class TestReplay:
    @given(history=histories())
    def test_replay_equals_step_by_step_evolve(self, history: tuple[Event, ...]) -> None:
        """Replaying a whole history gives the same lead as folding it one event at a time."""
        assert replay(history) == _fold(history)

    @given(history=histories())
    def test_replay_of_every_prefix_matches_the_running_fold(
        self, history: tuple[Event, ...]
    ) -> None:
        """After every event, replaying the prefix equals the lead evolved so far."""
        lead: Lead | None = None
        for n, event in enumerate(history, start=1):
            lead = evolve(lead, event)
            assert replay(history[:n]) == lead

    @given(history=histories())
    def test_replay_equals_reduce(self, history: tuple[Event, ...]) -> None:
        """Replay is a left fold of `evolve` starting from no lead."""
        assert replay(history) == functools.reduce(evolve, history, None)

    @given(history=histories())
    def test_replay_after_json_round_trip_is_unchanged(self, history: tuple[Event, ...]) -> None:
        """A history read back from JSON replays to the same lead."""
        stored: tuple[Event, ...] = from_json(
            to_json(history, tuple[Event, ...]), tuple[Event, ...]
        )
        assert replay(stored) == replay(history)


class TestVersion:
    @given(history=histories())
    def test_version_counts_the_events(self, history: tuple[Event, ...]) -> None:
        """The lead's version equals the number of events folded into it, at every step."""
        for n in range(1, len(history) + 1):
            assert replay(history[:n]).version == n


class TestSource:
    @given(history=histories())
    def test_source_is_never_lost(self, history: tuple[Event, ...]) -> None:
        """The original source stays the lead's source at every point of its history."""
        first = history[0]
        assert isinstance(first, LeadCaptured)
        for n in range(1, len(history) + 1):
            lead = replay(history[:n])
            assert lead.source == first.lead.source
            assert lead.sources[0] == first.lead.source


class TestOwner:
    @given(batches=decided_batches())
    def test_one_valid_owner_after_every_decision(
        self, batches: tuple[tuple[Event, ...], ...]
    ) -> None:
        """After each accepted decision the single owner may own the stage the lead is in."""
        for prefix in _prefixes(batches):
            lead = replay(prefix)
            assert lead.owner.kind in STANDARD_LIFECYCLE.spec(lead.stage).owners

    @given(lifecycle=custom_lifecycles(), data=st.data())
    def test_one_valid_owner_in_custom_lifecycles(
        self, lifecycle: Lifecycle, data: st.DataObject
    ) -> None:
        """The same owner invariant holds for generated custom lifecycles."""
        playbook = Playbook(name="custom", lifecycle=lifecycle)
        batches = data.draw(decided_batches(playbook))
        for prefix in _prefixes(batches):
            lead = replay(prefix)
            assert lead.stage in {s.name for s in lifecycle.stages}
            assert lead.owner.kind in lifecycle.spec(lead.stage).owners

    @given(batches=decided_batches())
    def test_every_decision_is_for_the_captured_lead(
        self, batches: tuple[tuple[Event, ...], ...]
    ) -> None:
        """Every event of a decided history names the lead that was captured."""
        lead_id = batches[0][0].lead_id
        assert all(e.lead_id == lead_id for batch in batches for e in batch)


class TestDefaultPlaybook:
    def test_default_playbook_uses_the_standard_lifecycle(self) -> None:
        """Histories are generated against the standard waterfall unless told otherwise."""
        assert DEFAULT_PLAYBOOK.lifecycle == STANDARD_LIFECYCLE


class TestHistoryBuilder:
    @pytest.mark.parametrize("stage", ["sql", "customer"])
    def test_histories_reach_deep_stages(self, stage: str) -> None:
        """The history builder walks leads deep into the waterfall, so properties see them.

        A customer takes five forward moves without a detour; in a full test run a
        thousand tries sometimes found none. The search stops at the first hit, so a high
        cap costs only the unlucky runs.
        """
        found = find(
            histories(),
            lambda h: replay(h).stage == stage,
            settings=settings(
                max_examples=10_000, database=None, deadline=None, phases=[Phase.generate]
            ),
        )
        assert replay(found).stage == stage
