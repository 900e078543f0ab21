"""Playbooks, compiled scoring models and SLA policies pickle, so worker processes can use them."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given

from leadpipeline import DEFAULT_PLAYBOOK, Lead, Playbook, Source, transition
from leadpipeline.cli import demo_playbook
from leadpipeline.events import Event
from leadpipeline.lead import InteractionKind, PartyKind
from leadpipeline.rules.calendar import STANDARD_CALENDAR, BusinessCalendar
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL, CompiledModel, compile_model
from leadpipeline.rules.sla import (
    DEFAULT_SLA_POLICIES,
    AssignedTo,
    CompiledPolicies,
    HotLead,
    InStage,
    InteractionIs,
    SlaPolicy,
    breaches,
)
from leadpipeline.rules.sla.policy import EventMatch
from leadpipeline.stages import Capture
from tests.strategies import histories, leads

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def roundtrip(value: object) -> object:
    return pickle.loads(pickle.dumps(value))


def _score_in_worker(compiled: CompiledModel, lead: Lead) -> float:
    """Runs in a worker process: score with the model it was handed."""
    return compiled.total(lead, now=NOW)


def _capture_in_worker(playbook: Playbook, lead: Lead) -> tuple[Event, ...]:
    """Runs in a worker process: decide a capture with the playbook it was handed."""
    return transition(None, Capture(lead=lead), playbook, now=NOW).events


class TestPickling:
    def test_the_default_playbook_pickles(self) -> None:
        """The default playbook comes back equal from pickle."""
        assert roundtrip(DEFAULT_PLAYBOOK) == DEFAULT_PLAYBOOK

    def test_a_playbook_with_partners_and_every_condition_pickles(self) -> None:
        """A playbook with a roster and SLA conditions of every kind comes back equal.

        A playbook holds no HotLead condition (hot is its `heat` policy's), so that one
        pickles in a policy of its own.
        """
        hot = SlaPolicy(
            name="hot",
            starts_on="InteractionRecorded",
            conditions=(HotLead(min_interactions=2, window=timedelta(days=3)),),
            stops_on=(EventMatch(event="HandedOver"),),
            allowed=timedelta(minutes=5),
        )
        assert roundtrip(hot) == hot
        policy = SlaPolicy(
            name="every_condition",
            starts_on="InteractionRecorded",
            conditions=(
                InteractionIs(kinds=frozenset({InteractionKind.FORM_SUBMIT})),
                InStage(stages=frozenset({"inquiry", "mql"})),
            ),
            stops_on=(EventMatch(event="HandedOver"),),
            allowed=timedelta(minutes=5),
        )
        assigned = SlaPolicy(
            name="partner_assigned",
            starts_on="OwnerChanged",
            conditions=(AssignedTo(kind=PartyKind.PARTNER),),
            stops_on=(EventMatch(event="PartnerAccepted"),),
            allowed=timedelta(hours=8),
        )
        playbook = attrs.evolve(
            demo_playbook(), sla_policies=(*DEFAULT_SLA_POLICIES, policy, assigned)
        )
        assert roundtrip(playbook) == playbook

    def test_a_compiled_model_pickles_as_its_model(self) -> None:
        """A compiled scoring model comes back equal and scores the same."""
        compiled = compile_model(DEFAULT_SCORING_MODEL)
        back = roundtrip(compiled)
        assert back == compiled
        assert isinstance(back, CompiledModel)
        lead = Lead(id="L-1", source=Source(channel="exhibition", captured_at=NOW))
        assert back.total(lead, now=NOW) == compiled.total(lead, now=NOW)

    def test_sla_policies_and_their_compiled_book_pickle(self) -> None:
        """Each default SLA policy and the compiled policies come back equal."""
        for policy in DEFAULT_SLA_POLICIES:
            assert roundtrip(policy) == policy
        compiled = CompiledPolicies(policies=DEFAULT_SLA_POLICIES)
        assert roundtrip(compiled) == compiled

    def test_a_used_calendar_pickles_without_its_memos(self) -> None:
        """A calendar that has answered many questions pickles as small as a fresh one."""
        fresh = len(pickle.dumps(BusinessCalendar.weekly(name="standard")))
        STANDARD_CALENDAR.add(NOW, timedelta(days=400))
        assert roundtrip(STANDARD_CALENDAR) == STANDARD_CALENDAR
        assert len(pickle.dumps(STANDARD_CALENDAR)) == fresh

    @given(histories(max_commands=8))
    def test_unpickled_policies_find_the_same_breaches(self, history: tuple[Event, ...]) -> None:
        """Policies that went through pickle find exactly the breaches the originals find."""
        later = history[-1].at + timedelta(days=30)
        back = roundtrip(DEFAULT_PLAYBOOK)
        assert isinstance(back, Playbook)
        assert breaches(history, back.sla_policies, back.calendar, now=later) == breaches(
            history, DEFAULT_SLA_POLICIES, STANDARD_CALENDAR, now=later
        )

    @given(leads())
    def test_an_unpickled_compiled_model_scores_like_the_original(self, lead: Lead) -> None:
        """A compiled model that went through pickle gives every lead the same score card."""
        compiled = compile_model(DEFAULT_SCORING_MODEL)
        back = roundtrip(compiled)
        assert isinstance(back, CompiledModel)
        assert back.score(lead, now=NOW) == compiled.score(lead, now=NOW)


@pytest.fixture(scope="module")
def worker() -> Iterator[ProcessPoolExecutor]:
    # spawn: the worker gets everything by pickle, nothing inherited from this process
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        yield pool


class TestWorkerProcesses:
    def test_a_worker_scores_with_a_compiled_model(self, worker: ProcessPoolExecutor) -> None:
        """A worker process handed a compiled model scores a lead as this process does."""
        compiled = compile_model(DEFAULT_SCORING_MODEL)
        lead = Lead(id="L-1", source=Source(channel="exhibition", captured_at=NOW))
        assert worker.submit(_score_in_worker, compiled, lead).result() == compiled.total(
            lead, now=NOW
        )

    def test_a_worker_decides_with_a_playbook(self, worker: ProcessPoolExecutor) -> None:
        """A worker process handed the demo playbook decides a capture as this process does."""
        playbook = demo_playbook()
        lead = Lead(id="L-1", source=Source(channel="web", captured_at=NOW))
        expected = transition(None, Capture(lead=lead), playbook, now=NOW).events
        assert worker.submit(_capture_in_worker, playbook, lead).result() == expected
