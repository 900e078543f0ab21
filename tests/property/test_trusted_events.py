"""The fast paths build what the checked constructors build, for any input they are given.

`decide` builds its most frequent events and `evolve` its leads without re-running the
validators on parts already checked (`leadpipeline._unchecked`,
`leadpipeline.stages._trusted`). Here every such value is built again through its class,
with every validator running, and must come out equal, field by field and type by type.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import DEFAULT_PLAYBOOK, Event, Lead, Party, ValidationError
from leadpipeline._checks import EARLIEST, LATEST, require_aware
from leadpipeline._snapshots import with_owner, with_stage, with_touches, with_version
from leadpipeline._unchecked import unchecked_copy, unchecked_replace
from leadpipeline.events import (
    InteractionRecorded,
    LeadCaptured,
    OwnerChanged,
    StageChanged,
    evolve,
)
from leadpipeline.lead import Interaction, InteractionKind, PartyKind, Source
from leadpipeline.lifecycle import Lifecycle, Stage
from leadpipeline.stages import Capture, MoveStage, RecordInteraction, _trusted, decide
from tests.strategies import (
    event_of,
    histories,
    interactions,
    leads,
    lifecycles,
    parties,
    texts,
    timezones,
)

BUILDERS = {
    InteractionRecorded: _trusted.interaction_recorded,
    LeadCaptured: _trusted.lead_captured,
    OwnerChanged: _trusted.owner_changed,
    StageChanged: _trusted.stage_changed,
}


def arguments(value: Any) -> dict[str, Any]:
    """The keyword arguments that build `value` through its class."""
    return {f.alias: getattr(value, f.name) for f in attrs.fields(type(value)) if f.init}


def checked(value: Any) -> Any:
    """`value` built again through its class, every validator running on every field."""
    return type(value)(**arguments(value))


def assert_same(fast: Any, slow: Any) -> None:
    """Equal, of one class, and every field of one type (``100`` and ``100.0`` are not)."""
    assert type(fast) is type(slow)
    assert fast == slow
    for field in attrs.fields(type(slow)):
        assert type(getattr(fast, field.name)) is type(getattr(slow, field.name)), field.name


class TestTrustedEvents:
    @pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda c: c.__name__)
    @given(data=st.data())
    def test_each_builder_equals_the_class(self, cls: type[Any], data: st.DataObject) -> None:
        """From the parts of any valid event, the builder gives what the class gives."""
        event = data.draw(event_of(cls))
        assert_same(BUILDERS[cls](**arguments(event)), event)

    @pytest.mark.parametrize("cls", list(BUILDERS), ids=lambda c: c.__name__)
    def test_each_builder_takes_the_defaults_of_the_class(self, cls: type[Any]) -> None:
        """A field left out gets the class's default, as the class's own constructor gives it."""
        at = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
        lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        parts: dict[str, Any] = {"lead_id": "L-1", "at": at, "actor": Party.marketing()}
        parts |= {
            InteractionRecorded: {"interaction": Interaction(kind=InteractionKind.CALL, at=at)},
            LeadCaptured: {"lead": lead},
            OwnerChanged: {"from_owner": Party.marketing(), "to_owner": Party.sales()},
            StageChanged: {"from_stage": "inquiry", "to_stage": "mql"},
        }[cls]
        assert_same(BUILDERS[cls](**parts), cls(**parts))

    @given(history=histories())
    def test_every_decided_event_equals_its_checked_construction(
        self, history: tuple[Event, ...]
    ) -> None:
        """Whatever `decide` returned for random commands, the checked constructor agrees."""
        for event in history:
            assert_same(event, checked(event))

    @given(history=histories())
    def test_every_folded_lead_equals_its_checked_construction(
        self, history: tuple[Event, ...]
    ) -> None:
        """After every event, the lead `evolve` built is the one `Lead(...)` builds."""
        lead: Lead | None = None
        for event in history:
            lead = evolve(lead, event)
            assert_same(lead, checked(lead))

    @given(
        lead=leads(stage="inquiry", owner=Party.marketing()),
        touch=interactions(),
        reason=texts(20),
        owner=parties(),
        zone=timezones(),
    )
    def test_the_waterfall_walk_equals_its_checked_construction(
        self, lead: Lead, touch: Any, reason: str, owner: Party, zone: Any
    ) -> None:
        """Capture, a touch and every onward move, as the benchmark walks them, agree."""
        now = lead.source.captured_at.astimezone(zone)
        walk: list[Any] = [Capture(lead=lead), RecordInteraction(interaction=touch)]
        walk += [MoveStage(to_stage=s, reason=reason) for s in ("mql", "sal", "sql")]
        walk += [MoveStage(to_stage="opportunity", owner=Party.sales(team="direct"))]
        walk += [MoveStage(to_stage="customer", reason=reason)]
        if owner.kind is PartyKind.SALES:  # a move within mql: an owner change alone
            walk.insert(3, MoveStage(to_stage="mql", reason=reason, owner=owner))
        state: Lead | None = None
        for command in walk:
            for event in decide(state, command, DEFAULT_PLAYBOOK, now=now):
                assert_same(event, checked(event))
                state = evolve(state, event)
                assert_same(state, checked(state))
            now += timedelta(hours=1)
        assert state is not None
        assert state.stage == "customer"


class TestFirstSnapshot:
    @given(lead=leads(stage="inquiry", owner=Party.marketing()))
    def test_captured_snapshot_equals_the_checked_reset(self, lead: Lead) -> None:
        """A capture drops what only events bring, as `attrs.evolve` would, fresh or not."""
        now = lead.source.captured_at
        (captured, *_) = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=now)
        assert isinstance(captured, LeadCaptured)
        reset = attrs.evolve(
            lead,
            channel=None,
            offers=(),
            returned_by=(),
            lapsed_offers=(),
            merged_sources=(),
            erased=False,
            version=0,
        )
        assert_same(captured.lead, reset)


_LEAD_FIELDS = [f.name for f in attrs.fields(Lead)]


class TestUncheckedCopy:
    @given(
        lead=leads(),
        other=leads(),
        names=st.sets(st.sampled_from(_LEAD_FIELDS)),
    )
    def test_copy_equals_attrs_evolve(self, lead: Lead, other: Lead, names: set[str]) -> None:
        """Replacing any fields with checked values gives what `attrs.evolve` gives."""
        changes = {name: getattr(other, name) for name in names}
        assert_same(unchecked_copy(Lead)(lead, **changes), attrs.evolve(lead, **changes))

    @given(lead=leads(), other=leads(), names=st.permutations(_LEAD_FIELDS), size=st.integers(1, 3))
    def test_replace_equals_attrs_evolve(
        self, lead: Lead, other: Lead, names: list[str], size: int
    ) -> None:
        """Replacing any fields, named in any order, gives what `attrs.evolve` gives."""
        chosen = tuple(names[:size])
        replace = unchecked_replace(Lead, chosen)
        values = [getattr(other, name) for name in chosen]
        expected = attrs.evolve(lead, **dict(zip(chosen, values, strict=True)))
        assert_same(replace(lead, *values), expected)

    @given(lead=leads(), other=leads())
    def test_the_folds_copiers_equal_attrs_evolve(self, lead: Lead, other: Lead) -> None:
        """The copiers `evolve` uses give what `attrs.evolve` gives."""
        version = other.version
        assert_same(
            with_stage(lead, other.stage, version),
            attrs.evolve(lead, stage=other.stage, version=version),
        )
        assert_same(
            with_owner(lead, other.owner, version),
            attrs.evolve(lead, owner=other.owner, version=version),
        )
        assert_same(
            with_touches(lead, other.interactions, version),
            attrs.evolve(lead, interactions=other.interactions, version=version),
        )
        assert_same(with_version(lead, version), attrs.evolve(lead, version=version))


def _near(instant: datetime) -> st.SearchStrategy[datetime]:
    """Wall times within two days of `instant` (a UTC instant), in any zone."""
    naive = instant.replace(tzinfo=None)
    return st.datetimes(
        min_value=naive - timedelta(days=2), max_value=naive + timedelta(days=2)
    ).flatmap(lambda wall: timezones().map(lambda zone: wall.replace(tzinfo=zone)))


class TestNowCheck:
    @given(
        value=st.one_of(
            _near(EARLIEST),
            _near(LATEST),
            st.datetimes(
                min_value=datetime(1899, 1, 1),
                max_value=datetime(9001, 1, 1),
                timezones=timezones(),
            ),
        )
    )
    def test_an_aware_instant_passes_exactly_when_in_range(self, value: datetime) -> None:
        """The quick path for the common instant refuses and passes what the range says."""
        if EARLIEST <= value < LATEST:
            require_aware("now", value)
        else:
            with pytest.raises(ValidationError):
                require_aware("now", value)

    @given(value=st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(8998, 1, 1)))
    def test_a_naive_instant_is_refused(self, value: datetime) -> None:
        """An instant without a zone is refused however ordinary its year."""
        with pytest.raises(ValidationError, match="naive"):
            require_aware("now", value)


class TestLifecycleLookups:
    @given(lifecycle=lifecycles(), data=st.data())
    def test_lookups_agree_with_a_scan_of_the_stages(
        self, lifecycle: Lifecycle, data: st.DataObject
    ) -> None:
        """`has`, `spec`, `name_of`, `names_of` and `closed_stages` say what the stages say."""
        names = [s.name for s in lifecycle.stages]
        name = data.draw(st.sampled_from([*names, "won", "INQUIRY", ""]))
        assert lifecycle.has(name) == (name in names)
        if name in names:
            assert lifecycle.spec(name) is next(s for s in lifecycle.stages if s.name == name)
        by_role = {s.role: s.name for s in lifecycle.stages if s.role is not None}
        for role in Stage:
            if role in by_role:
                assert lifecycle.name_of(role) == by_role[role]
        roles = data.draw(st.lists(st.sampled_from(list(Stage)), max_size=4))
        assert lifecycle.names_of(*roles) == tuple(by_role[r] for r in roles if r in by_role)
        closed = {by_role[r] for r in (Stage.CUSTOMER, Stage.DISQUALIFIED) if r in by_role}
        assert lifecycle.closed_stages == closed


class TestEdgesOfTheShortcuts:
    """Where a shortcut's assumption does not hold, the checked path is taken instead."""

    AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def test_a_host_subclass_of_lead_is_captured_as_the_constructor_would(self) -> None:
        """A subclass keeps its class and a whole-number enum version is reset to 0."""

        @attrs.frozen(kw_only=True)
        class CrmLead(Lead):
            pass

        source = Source(channel="web", captured_at=self.AT)
        for lead in (
            CrmLead(id="L-1", source=source, version=3),
            Lead(id="L-1", source=source, version=_Zero.ZERO),
        ):
            (event,) = decide(None, Capture(lead=lead), DEFAULT_PLAYBOOK, now=self.AT)
            assert isinstance(event, LeadCaptured)
            assert type(event.lead) is type(lead)
            assert type(event.lead.version) is int
            assert event.lead == attrs.evolve(lead, version=0)

    def test_a_touch_for_another_lead_is_refused_with_or_without_a_submit(self) -> None:
        """The shortcut for a touch that asks for no call still checks whose touch it is."""
        from leadpipeline.stages.calls import with_call  # noqa: PLC0415

        lead = evolve(
            None,
            LeadCaptured(
                lead_id="L-1",
                at=self.AT,
                actor=Party.marketing(),
                lead=Lead(id="L-1", source=Source(channel="web", captured_at=self.AT)),
            ),
        )
        for kind in (InteractionKind.SITE_VISIT, InteractionKind.FORM_SUBMIT):
            touch = InteractionRecorded(
                lead_id="L-2",
                at=self.AT,
                actor=Party.marketing(),
                interaction=Interaction(kind=kind, at=self.AT),
            )
            with pytest.raises(ValidationError, match="L-2"):
                with_call(lead, touch, DEFAULT_PLAYBOOK, now=self.AT)

    @pytest.mark.parametrize("field", ["from_stage", "to_stage"])
    def test_a_blank_stage_name_never_makes_an_event(self, field: str) -> None:
        """A lead folded from a stage change could otherwise hold a stage `Lead` refuses."""
        stages = {"from_stage": "inquiry", "to_stage": "mql", field: "  "}
        with pytest.raises(ValidationError, match=field):
            StageChanged(lead_id="L-1", at=self.AT, actor=Party.marketing(), **stages)


class _Zero(enum.IntEnum):
    ZERO = 0
