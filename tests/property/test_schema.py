"""JSON Schema both ways: every value written validates, every accepted payload parses."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import (
    DEFAULT_PLAYBOOK,
    Capture,
    Command,
    Event,
    Lead,
    Party,
    Pipeline,
    Playbook,
    from_json,
    to_json,
    transition,
)
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.cli import demo_playbook, playbook_template
from leadpipeline.errors import LeadPipelineError, ValidationError
from leadpipeline.rules import DEFAULT_MQL, DEFAULT_SCORING_MODEL, assess, score
from leadpipeline.schema import json_schema
from leadpipeline.serialization import from_toml, tag_of, unstructure
from leadpipeline.stages import Notification, Transition, handover_package, partner_package
from tests.pipeline_support import PLAYBOOK, T0, to_partner_channel
from tests.schema_strategies import from_schema, validator_for
from tests.strategies import (
    COMMAND_STRATEGIES,
    EVENT_STRATEGIES,
    captured_leads,
    commands,
    commands_for,
    custom_lifecycles,
    events,
    leads,
    texts,
)

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
_VALIDATORS: dict[str, Any] = {}


def assert_valid(name: str, data: object) -> None:
    """`data` (plain, as `unstructure` wrote it) validates against the schema `name`."""
    if name not in _VALIDATORS:
        _VALIDATORS[name] = validator_for(json_schema(name))
    plain = json.loads(json.dumps(data))  # exactly what goes over the wire
    errors = sorted(_VALIDATORS[name].iter_errors(plain), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors]


@st.composite
def transitions(draw: Any) -> list[Transition]:
    """The transitions of a random walk: a capture, then basic commands the core accepted."""
    lead = draw(captured_leads())
    done = [transition(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=NOW)]
    history = list(done[0].events)
    lead = done[0].after
    now = NOW
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        now += draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
        command = draw(commands_for(lead, DEFAULT_PLAYBOOK.lifecycle, legal_moves=True))
        try:
            step = transition(lead, command, DEFAULT_PLAYBOOK, now=now, history=history)
        except LeadPipelineError:
            continue
        done.append(step)
        history += step.events
        lead = step.after
    return done


def _json_like(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=3) | st.dictionaries(texts(10), children, max_size=3)


class TestEveryValueValidates:
    @given(leads())
    def test_leads(self, lead: Lead) -> None:
        """Every generated lead validates against the lead schema."""
        assert_valid("lead", unstructure(lead))

    @given(events())
    def test_events(self, event: Event) -> None:
        """Every generated event, tagged, validates against the event schema."""
        assert_valid("event", unstructure(event, Event))

    @given(st.data())
    def test_each_event_on_its_own(self, data: st.DataObject) -> None:
        """Each event class, untagged, validates against its own schema."""
        cls = data.draw(st.sampled_from(list(EVENT_STRATEGIES)))
        assert_valid(tag_of(cls), unstructure(data.draw(EVENT_STRATEGIES[cls])))

    @given(commands())
    def test_commands(self, command: Command) -> None:
        """Every generated command, tagged, validates against the command schema."""
        assert_valid("command", unstructure(command, Command))

    @given(st.data())
    def test_each_command_on_its_own(self, data: st.DataObject) -> None:
        """Each command class, untagged, validates against its own schema."""
        cls = data.draw(st.sampled_from(list(COMMAND_STRATEGIES)))
        assert_valid(tag_of(cls), unstructure(data.draw(COMMAND_STRATEGIES[cls])))

    @given(leads())
    def test_score_cards_and_assessments(self, lead: Lead) -> None:
        """A generated lead's score card and MQL assessment validate against theirs."""
        assert_valid("score_card", unstructure(score(lead, DEFAULT_SCORING_MODEL, now=NOW)))
        result = assess(lead, DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=NOW)
        assert_valid("assessment", unstructure(result))

    @given(transitions())
    def test_transitions_and_notifications(self, done: list[Transition]) -> None:
        """Every transition of a random walk, and each notification in it, validates."""
        for step in done:
            assert_valid("transition", unstructure(step))
            for note in step.notifications:
                assert_valid("notification", unstructure(note))

    @given(custom_lifecycles())
    def test_playbooks_with_any_lifecycle(self, lifecycle: Any) -> None:
        """A playbook with a generated lifecycle validates against the playbook schema."""
        playbook = attrs.evolve(DEFAULT_PLAYBOOK, lifecycle=lifecycle)
        assert_valid("playbook", unstructure(playbook))

    @pytest.mark.parametrize(
        "playbook",
        [DEFAULT_PLAYBOOK, PLAYBOOK, demo_playbook(), from_toml(playbook_template(), Playbook)],
        ids=["default", "with-partners", "demo", "template"],
    )
    def test_shipped_playbooks(self, playbook: Playbook) -> None:
        """The default, demo and template playbooks validate against the playbook schema."""
        assert_valid("playbook", unstructure(playbook))

    @given(st.text(max_size=60) | st.recursive(st.none() | texts(), _json_like, max_leaves=8))
    def test_errors_from_bad_input(self, garbage: Any) -> None:
        """The error a malformed lead or command raises, as a dict, validates."""
        text = garbage if isinstance(garbage, str) else json.dumps(garbage)
        for cls in (Lead, Command):
            with pytest.raises(ValidationError) as caught:
                from_json(text, cls)
            assert_valid("error", caught.value.to_dict())

    @given(st.data())
    def test_errors_from_refused_commands(self, data: st.DataObject) -> None:
        """Whatever the core refuses a command with, as a dict, validates against the schema."""
        steps = data.draw(transitions())
        lead, history = steps[-1].after, tuple(e for s in steps for e in s.events)
        command = data.draw(commands())
        try:
            transition(lead, command, PLAYBOOK, now=NOW + timedelta(days=1), history=history)
        except LeadPipelineError as refused:
            assert_valid("error", refused.to_dict())


class TestShellValuesValidate:
    def test_a_journey_to_a_partner(self) -> None:
        """Capture results, outbox entries and partner and handover packages of a walk validate."""
        store = MemoryStore()
        pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
        lead_id = to_partner_channel(pipeline, 1)
        pipeline.offer_to_partners(lead_id)
        assert_valid("capture_result", unstructure(pipeline.capture(store.load(lead_id))))
        for entry in store.outbox(lead_id):
            assert_valid("outbox_entry", unstructure(entry))
        lead, history = store.load(lead_id), store.history(lead_id)
        for pid in lead.offered_to:
            package = partner_package(lead, history, PLAYBOOK, partner_id=pid)
            assert_valid("partner_package", unstructure(package))
        assert_valid(
            "handover_package", unstructure(handover_package(lead, history, PLAYBOOK, now=T0))
        )
        report = pipeline.capture_many([store.load(lead_id)], atomic=False)
        assert_valid("import_report", unstructure(report))


# --- the other way: what the schema accepts, from_json accepts ------------------------------

LISTED_RULES = {"an offer must expire after it was made"}
"""Refusals of the cross-field rules the schemas list under x-leadpipeline-rules."""

REQUEST_VALUES: dict[str, Any] = {
    "lead": Lead,
    "command": Command,
    "event": Event,
    "notification": Notification,
    "party": Party,
}


@pytest.mark.parametrize("name", sorted(REQUEST_VALUES))
class TestEveryAcceptedPayloadParses:
    def test_from_json_accepts_what_the_schema_accepts(self, name: str) -> None:
        """A payload drawn from the schema parses with from_json, but for a listed rule."""

        @given(from_schema(json_schema(name)))
        def check(payload: Any) -> None:
            text = json.dumps(payload)
            refused: ValidationError | None = None
            try:
                value = from_json(text, REQUEST_VALUES[name])
            except ValidationError as exc:
                refused = exc
            else:  # what it parsed to is written back in a form the schema accepts
                assert_valid(name, json.loads(to_json(value, REQUEST_VALUES[name])))
            if refused is not None:
                assert {m for _, m in refused.problems} <= LISTED_RULES, refused

        check()


def test_every_union_member_has_a_strategy() -> None:
    """The builders cover every command and event, so the checks above see them all."""
    assert set(COMMAND_STRATEGIES) == set(typing.get_args(Command))
    assert set(EVENT_STRATEGIES) == set(typing.get_args(Event))
