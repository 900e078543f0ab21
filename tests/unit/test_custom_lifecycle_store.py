"""Stores find open leads through the lifecycle the shell passes, whatever its stages are called."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from leadpipeline import Lead, Pipeline, SqliteStore
from leadpipeline.adapters import LeadStore, MemoryStore, SimulatedClock
from leadpipeline.pipeline import CaptureOutcome
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from tests.lifecycles import RENAMED
from tests.pipeline_support import T0, fair_lead

PLAYBOOK = attrs.evolve(DEFAULT_PLAYBOOK, lifecycle=RENAMED)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeadStore]:
    """Each test runs on the in-memory store and on a SQLite file."""
    if request.param == "memory":
        yield MemoryStore()
    else:
        with SqliteStore(tmp_path / "leads.db") as sqlite:
            yield sqlite


def visitor(n: int, email: str) -> Lead:
    """A fair visitor who starts in the renamed first stage, "lead"."""
    lead = fair_lead(n)
    return attrs.evolve(lead, stage="lead", contact=attrs.evolve(lead.contact, email=email))


class TestOpenLeadsByRole:
    def test_a_second_capture_merges_into_an_open_lead(self, store: LeadStore) -> None:
        """The same person captured twice while the first lead is open becomes one lead."""
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        pipeline.capture(visitor(1, "ann@acme.example"))
        again = pipeline.capture(visitor(2, "ANN@acme.example"))
        assert (again.outcome, again.lead.id) == (CaptureOutcome.MERGED, "L-1")

    def test_a_lost_lead_is_no_duplicate_under_its_renamed_stage(self, store: LeadStore) -> None:
        """A lead dropped into "lost" (the disqualified role) is not merged into."""
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        pipeline.capture(visitor(1, "ann@acme.example"))
        assert pipeline.disqualify("L-1", reason="student").stage == "lost"
        again = pipeline.capture(visitor(2, "ann@acme.example"))
        assert (again.outcome, again.lead.id) == (CaptureOutcome.CAPTURED, "L-2")

    def test_the_standard_names_mean_nothing_to_a_renamed_lifecycle(self, store: LeadStore) -> None:
        """Only the stages playing the won and dropped roles are closed: "recycle" stays open."""
        assert RENAMED.closed_stages == frozenset({"won", "lost"})
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        pipeline.capture(visitor(1, "ann@acme.example"))
        pipeline.move_stage("L-1", "recycle", reason="not now")
        found = store.find_duplicate(
            email="ann@acme.example",
            domain=None,
            company_name=None,
            closed_stages=RENAMED.closed_stages,
        )
        assert found == "L-1"
        assert store.count(stage="recycle") == 1
        assert store.query(stage="nurture") == ()
