"""No value a store cannot read gets in: every field of every value refuses the wrong type.

For every value a host, a file or a request hands the library (the lead and its parts,
events, commands, the playbook and every policy in it, notifications), and every field of
it, an ill-typed value is either refused when the value is built, with a
`ValidationError` naming that field, or accepted and then read back equal: through the
JSON converter always, and through every store for what a lead holds.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import leadpipeline
from leadpipeline import Event, Lead, MemoryStore, Party, SqliteStore, ValidationError
from leadpipeline.adapters import Backoff, SimulatedClock
from leadpipeline.cli import demo_playbook
from leadpipeline.events import Outcome
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Needs,
    Offer,
    ProductHolding,
    Revenue,
    Source,
)
from leadpipeline.lifecycle import STANDARD_LIFECYCLE
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.serialization import from_json, to_json
from leadpipeline.stages import (
    Accept,
    AddNote,
    AllocateChannel,
    AssignPartner,
    Capture,
    Complete,
    Disqualify,
    Erase,
    Escalate,
    ExpireOffers,
    HandOver,
    Merge,
    MoveStage,
    Notification,
    Nurture,
    OfferToPartners,
    OutboxEntry,
    PartnerAccept,
    Qualify,
    QualifySql,
    Reclaim,
    RecordInteraction,
    Reject,
    ReturnLead,
    UpdateProfile,
)
from tests.pg import fresh_store, unavailable
from tests.strategies import event_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SOURCE = Source(channel="exhibition", captured_at=T0, campaign="fair", source_id="badge-1")
PARTS: tuple[Any, ...] = (
    SOURCE,
    Contact(first_name="Ada", last_name="Lind", email="ada@acme.example", job_title="CIO"),
    Revenue(amount=4e7, source="broker", as_of=date(2025, 12, 31)),
    Company(name="Acme", domain="acme.example", industry="retail", employees=800, country="DE"),
    Needs(budget=9e4, needs=("erp",), purchase_decision=date(2026, 9, 1), sales_cycle_months=6),
    ProductHolding(product="legacy suite", vendor="Other", since=date(2020, 1, 1)),
    Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0, detail="pricing"),
    Offer(partner_id="p-1", offered_at=T0, expires_at=T0 + timedelta(days=3)),
    Party.sales(team="inside-sales", rep="kim"),
)
LEAD = Lead(
    id="L-1",
    source=SOURCE,
    contact=PARTS[1],
    company=attrs.evolve(PARTS[3], annual_revenue=PARTS[2]),
    needs=PARTS[4],
    holdings=(PARTS[5],),
    interactions=(PARTS[6],),
    interests=("automation",),
    notes=("met at the booth",),
)
COMMANDS: tuple[Any, ...] = (
    Accept(),
    AllocateChannel(),
    AssignPartner(partner_id="p-1"),
    Complete(outcome=Outcome.LOST, reason="budget"),
    Disqualify(reason="student"),
    Erase(),
    Escalate(),
    ExpireOffers(),
    HandOver(to=Party.sales(team="inside-sales")),
    Merge(source=SOURCE),
    Nurture(reason="no project"),
    PartnerAccept(partner_id="p-1"),
    Qualify(),
    QualifySql(),
    Reclaim(partner_id="p-1", reason="silent"),
    Reject(reason="no_budget", comment="later"),
    ReturnLead(partner_id="p-1", reason="no_lead", comment="not reachable"),
    Capture(lead=LEAD),
    RecordInteraction(interaction=PARTS[6]),
    UpdateProfile(contact=PARTS[1], interests=("x",)),
    AddNote(text="called"),
    MoveStage(to_stage="mql", reason="ok"),
    OfferToPartners(partner_ids=("p-1",), expires_in=timedelta(days=2)),
)
OUTBOX: tuple[Any, ...] = (
    Notification(
        key="k", lead_id="L-1", kind="offered", recipient=Party.partner("p-1"), created_at=T0
    ),
    OutboxEntry(
        id=1,
        notification=Notification(
            key="k", lead_id="L-1", kind="offered", recipient=Party.partner("p-1"), created_at=T0
        ),
        next_attempt_at=T0,
    ),
    Backoff(),
)
LEAD_PARTS = {type(part) for part in PARTS} | {Lead}
"""Values a lead holds: these must also read back from every store."""


def reachable(value: Any) -> Iterator[Any]:
    """Every attrs value inside `value`, itself included."""
    if attrs.has(type(value)):
        yield value
        for field in attrs.fields(type(value)):
            yield from reachable(getattr(value, field.name))
    elif isinstance(value, tuple | frozenset | list):
        for item in value:
            yield from reachable(item)


def examples() -> dict[type, Any]:
    """One valid value of each class: lead parts, commands, policies, notifications."""
    found: dict[type, Any] = {}
    for root in (LEAD, *COMMANDS, *OUTBOX, DEFAULT_PLAYBOOK, demo_playbook(), STANDARD_LIFECYCLE):
        for value in reachable(root):
            found.setdefault(type(value), value)
    return found


EXAMPLES = examples()
EVENTS = typing.get_args(Event)


def input_classes() -> set[type]:
    """Every value class the library takes in: public, frozen, built from plain data."""
    classes: set[type] = set(EVENTS)
    for name in leadpipeline.__all__:
        obj = getattr(leadpipeline, name)
        if (
            isinstance(obj, type)
            and attrs.has(obj)
            and name not in ("CaptureResult", "ImportReport")
        ):
            classes.add(obj)
    classes |= {type(v) for v in reachable(DEFAULT_PLAYBOOK)} | {
        type(v) for v in reachable(demo_playbook())
    }
    return classes


class TestEveryInputClassIsCovered:
    def test_each_class_has_an_example_or_a_strategy(self) -> None:
        """A new value class fails here until this test can build one to attack."""
        missing = sorted(
            c.__name__ for c in input_classes() if c not in EXAMPLES and c not in EVENTS
        )
        assert missing == []


def ill_typed() -> st.SearchStrategy[Any]:
    """Values of every wrong kind a careless host or a hostile payload sends."""
    return st.one_of(
        st.booleans(),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
        st.sampled_from(["", "800", "\udc80", "a\x00b", "Select", "N/A"]),
        st.binary(max_size=4),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.tuples(st.text(max_size=3)),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.sampled_from(
            [
                datetime(2026, 3, 2, 9, 0),  # naive
                T0,
                date(2026, 3, 2),
                timedelta(days=3_000_000),
                timedelta(hours=-5),
                InteractionKind.CALL,
                Party.marketing(),
                frozenset({"x"}),
            ]
        ),
    )


def init_fields(cls: type) -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(cls) if f.init]


def stores(tmp: Path) -> Iterator[Any]:
    """A fresh store of every kind this machine has."""
    yield MemoryStore()
    with SqliteStore(tmp / "leads.db") as sqlite:
        yield sqlite
    if unavailable() is None:
        with fresh_store() as postgres:
            yield postgres


def as_lead(value: Any) -> Lead | None:
    """`value` placed where a lead holds it, or None when leads never hold its class."""
    match value:
        case Lead():
            return attrs.evolve(
                value, stage="inquiry", owner=Party.marketing(), offers=(), version=0
            )
        case Source():
            return attrs.evolve(LEAD, source=value)
        case Contact():
            return attrs.evolve(LEAD, contact=value)
        case Company():
            return attrs.evolve(LEAD, company=value)
        case Revenue():
            return attrs.evolve(LEAD, company=attrs.evolve(LEAD.company, annual_revenue=value))
        case Needs():
            return attrs.evolve(LEAD, needs=value)
        case ProductHolding():
            return attrs.evolve(LEAD, holdings=(value,))
        case Interaction():
            return attrs.evolve(LEAD, interactions=(value,))
        case _:
            return None


def read_back_everywhere(lead: Lead) -> None:
    """Capture `lead` into every store and read it back equal, history included."""
    with TemporaryDirectory() as name:
        for store in stores(Path(name)):
            pipeline = leadpipeline.Pipeline(store=store, clock=SimulatedClock(T0))
            stored = pipeline.capture(lead).lead
            assert store.load(lead.id) == stored
            assert store.history(lead.id)[0].lead.contact == lead.contact  # type: ignore[union-attr]


def build(example: Any, alias: str, bad: Any) -> tuple[Any, ValidationError | None]:
    """The example with one field replaced, or the refusal; any other exception fails."""
    try:
        return attrs.evolve(example, **{alias: bad}), None
    except ValidationError as refused:
        return None, refused
    except (TypeError, ValueError, AttributeError) as crashed:
        pytest.fail(f"{type(example).__name__}.{alias}={bad!r} crashed with {crashed!r}")


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


class TestIllTypedFields:
    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def test_refused_naming_the_field_or_read_back_equal(self, data: st.DataObject) -> None:
        """Any wrong value for any field: a ValidationError at that field, or a safe value."""
        cls = data.draw(st.sampled_from(sorted(input_classes(), key=lambda c: c.__name__)))
        example = data.draw(event_of(cls)) if cls in EVENTS else EXAMPLES[cls]
        fields = init_fields(cls)
        if not fields:
            return
        field = data.draw(st.sampled_from(fields), label="field")
        bad = data.draw(ill_typed(), label="value")
        value, refused = build(example, field.alias, bad)
        if refused is not None:
            named = {p.split(".")[0].split("[")[0] for p in refused.paths}
            # an invariant between two fields may be reported at the other one, by name
            named |= {
                n
                for n in (field.name, field.alias)
                for _, m in refused.problems
                if re.search(rf"\b{re.escape(n)}\b", m)
            }
            assert named & {field.name, field.alias}, refused.problems
            return
        if is_nan(getattr(value, field.name)):  # pragma: no cover  # NaN must never get in
            pytest.fail(f"{cls.__name__}.{field.name} accepted NaN")
        as_type = Event if cls in EVENTS else cls
        assert from_json(to_json(value, as_type), as_type) == value
        lead = as_lead(value)
        if lead is not None:
            read_back_everywhere(lead)
