"""JSON round-trips are the identity for every value, event, history and lifecycle."""

from __future__ import annotations

import json
import typing
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import (
    Company,
    Contact,
    Event,
    Interaction,
    Lead,
    Needs,
    Party,
    ProductHolding,
    Revenue,
    Source,
    from_json,
    to_json,
)
from leadpipeline.events import CriterionResult
from leadpipeline.lead import Offer
from leadpipeline.lifecycle import Lifecycle
from leadpipeline.serialization import structure, tag_of, unstructure
from tests.strategies import (
    EVENT_STRATEGIES,
    companies,
    contacts,
    criterion_results,
    event_of,
    events,
    histories,
    interactions,
    leads,
    lifecycles,
    needs,
    offers,
    parties,
    product_holdings,
    revenues,
    sources,
)

EVENT_TYPES = typing.get_args(Event)

VALUE_STRATEGIES: list[tuple[type[Any], Callable[[], st.SearchStrategy[Any]]]] = [
    (Party, parties),
    (Source, sources),
    (Contact, contacts),
    (Company, companies),
    (Revenue, revenues),
    (Needs, needs),
    (ProductHolding, product_holdings),
    (Interaction, interactions),
    (Offer, offers),
    (CriterionResult, criterion_results),
    (Lead, leads),
]


class TestStrategiesCoverage:
    def test_every_event_type_has_a_strategy(self) -> None:
        """Each member of the `Event` union has a builder in tests/strategies.py."""
        missing = sorted(c.__name__ for c in EVENT_TYPES if c not in EVENT_STRATEGIES)
        assert missing == []


class TestValueRoundTrip:
    @pytest.mark.parametrize(
        ("cls", "strategy"), VALUE_STRATEGIES, ids=[c.__name__ for c, _ in VALUE_STRATEGIES]
    )
    @given(data=st.data())
    def test_value_survives_json(
        self, cls: type[Any], strategy: Callable[[], st.SearchStrategy[Any]], data: st.DataObject
    ) -> None:
        """Writing a value to JSON and reading it back gives an equal value of the same class."""
        value = data.draw(strategy())
        back: Any = from_json(to_json(value), cls)
        assert type(back) is cls
        assert back == value

    @given(lead=leads())
    def test_lead_survives_json_values(self, lead: Lead) -> None:
        """Structuring the parsed JSON of a lead (no text round) gives the lead back."""
        assert structure(json.loads(to_json(lead)), Lead) == lead

    @given(lead=leads())
    def test_lead_json_is_stable(self, lead: Lead) -> None:
        """A lead read back from JSON writes exactly the same JSON again."""
        text = to_json(lead)
        assert to_json(from_json(text, Lead)) == text


class TestEventRoundTrip:
    @pytest.mark.parametrize("cls", EVENT_TYPES, ids=[c.__name__ for c in EVENT_TYPES])
    @given(data=st.data())
    def test_event_survives_json_as_its_own_class(
        self, cls: type[Any], data: st.DataObject
    ) -> None:
        """Each event type reads back equal from JSON written for its own class."""
        event = data.draw(event_of(cls))
        assert from_json(to_json(event), cls) == event

    @pytest.mark.parametrize("cls", EVENT_TYPES, ids=[c.__name__ for c in EVENT_TYPES])
    @given(data=st.data())
    def test_event_survives_json_as_the_union(self, cls: type[Any], data: st.DataObject) -> None:
        """Each event written as an `Event` carries its type tag and reads back as its class."""
        event = data.draw(event_of(cls))
        text = to_json(event, Event)
        assert unstructure(event, Event)["type"] == tag_of(cls)
        back: Event = from_json(text, Event)
        assert type(back) is cls
        assert back == event

    @given(event=events())
    def test_any_event_survives_json_as_the_union(self, event: Event) -> None:
        """An arbitrary event written as `Event` reads back equal."""
        assert from_json(to_json(event, Event), Event) == event


class TestHistoryRoundTrip:
    @given(history=histories())
    def test_history_survives_json(self, history: tuple[Event, ...]) -> None:
        """A whole decided history reads back from JSON equal, event by event, in order."""
        back: tuple[Event, ...] = from_json(to_json(history, tuple[Event, ...]), tuple[Event, ...])
        assert back == history

    @given(history=st.lists(events(), max_size=6).map(tuple))
    def test_mixed_event_tuple_survives_json(self, history: tuple[Event, ...]) -> None:
        """Any tuple of events of mixed types reads back equal."""
        back: tuple[Event, ...] = from_json(to_json(history, tuple[Event, ...]), tuple[Event, ...])
        assert back == history


class TestLifecycleRoundTrip:
    @given(lifecycle=lifecycles())
    def test_lifecycle_survives_json(self, lifecycle: Lifecycle) -> None:
        """The standard lifecycle and generated custom ones read back equal from JSON."""
        assert from_json(to_json(lifecycle), Lifecycle) == lifecycle
