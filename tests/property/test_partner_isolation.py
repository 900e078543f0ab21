"""Partner isolation: a partner trying another's lead learns nothing and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline import Outcome, Pipeline
from leadpipeline.adapters import MemoryStore, SimulatedClock, SqliteStore
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.errors import NotFoundError
from tests.pipeline_support import PLAYBOOK, T0, to_partner_channel

ATTACKER = "p-gold"
VICTIM_LEADS = ("L-2", "L-3", "L-4", "L-5")
"""Silver's offered lead, bronze's held lead, one with sales, one offered to silver and bronze."""


def build_world(store: LeadStore) -> Pipeline:
    pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
    to_partner_channel(pipeline, 1)
    pipeline.offer_to_partners(
        "L-1", [ATTACKER]
    )  # the attacker's own lead, to show it can act at all
    to_partner_channel(pipeline, 2)
    pipeline.offer_to_partners("L-2", ["p-silver"])
    to_partner_channel(pipeline, 3)
    pipeline.assign_partner("L-3", "p-bronze")
    to_partner_channel(pipeline, 4)
    to_partner_channel(pipeline, 5)
    pipeline.offer_to_partners("L-5", ["p-silver", "p-bronze"])
    pipeline.relay_outbox()
    return pipeline


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    """One shared world per store: isolation attempts must never change it."""
    if request.param == "memory":
        yield build_world(MemoryStore())
        return
    folder: Path = tmp_path_factory.mktemp("isolation")
    with SqliteStore(folder / "leads.db") as store:
        yield build_world(store)


def state(pipeline: Pipeline) -> Any:
    store = pipeline.store
    ids = ["L-1", *VICTIM_LEADS]
    return [(store.load(i), store.history(i), store.outbox(i)) for i in ids]


ACTIONS = st.sampled_from(["get", "outbox", "accept", "return", "won", "lost"])
TARGETS = st.one_of(
    st.sampled_from(VICTIM_LEADS),
    st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and s != "L-1"),
)


def attempt(pipeline: Pipeline, action: str, lead_id: str) -> object:
    view = pipeline.for_partner(ATTACKER)
    match action:
        case "get":
            return view.get(lead_id)
        case "outbox":
            return view.outbox(lead_id)
        case "accept":
            return view.accept(lead_id)
        case "return":
            return view.return_lead(lead_id, reason="project_does_not_fit", comment="not ours")
        case "won":
            return view.complete(lead_id, Outcome.WON, revenue=10_000)
        case _:
            return view.complete(lead_id, Outcome.LOST, reason="no budget")


class TestPartnerIsolation:
    @settings(max_examples=40, deadline=None)
    @given(action=ACTIONS, lead_id=TARGETS)
    def test_a_foreign_or_guessed_lead_does_not_exist_for_the_partner(
        self, world: Pipeline, action: str, lead_id: str
    ) -> None:
        """Get, outbox, accept, return or complete on another's lead: NotFoundError, no change."""
        before = state(world)
        with pytest.raises(NotFoundError) as caught:
            attempt(world, action, lead_id)
        assert caught.value.lead_id == lead_id
        assert str(caught.value) == str(NotFoundError(lead_id))
        assert lead_id not in {lead.id for lead in world.for_partner(ATTACKER).leads()}
        assert state(world) == before

    def test_the_attacker_can_see_its_own_lead(self, world: Pipeline) -> None:
        """The same view reaches the attacker's own offered lead, so the refusals mean something."""
        assert world.for_partner(ATTACKER).get("L-1").lead.id == "L-1"
        assert [lead.id for lead in world.for_partner(ATTACKER).leads()] == ["L-1"]
