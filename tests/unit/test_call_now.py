"""The five-minute call is one rule: hot once, asked of the sales team on duty, from the submit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadpipeline import Interaction, InteractionKind, Lead, Party, Pipeline, Source
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.errors import ConfigurationError
from leadpipeline.events import CallRequested
from leadpipeline.lead import Company
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.heat import DutyTeam, HeatPolicy
from leadpipeline.rules.sla import HotLead, deadlines

SUBMIT = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
"""A Tuesday afternoon: the prospect presses send on the web form."""
CALL = "hot_form_submit_call"
INSIDE_SALES = Party.sales(team="inside-sales")


def busy_touches(count: int = 4) -> tuple[Interaction, ...]:
    """Site visits in the hours before the submit: with the submit, five touches."""
    return tuple(
        Interaction(kind=InteractionKind.SITE_VISIT, at=SUBMIT - timedelta(hours=h + 1))
        for h in range(count)
    )


def web_lead(*touches: Interaction, region: str = "north", lead_id: str = "L-web") -> Lead:
    return Lead(
        id=lead_id,
        source=Source(channel="web", captured_at=SUBMIT, source_id=f"form-{lead_id}"),
        company=Company(name="Acme", region=region, country="DE"),
        interactions=touches,
    )


def pipeline_at(
    at: datetime, playbook: Playbook = DEFAULT_PLAYBOOK
) -> tuple[Pipeline, MemoryStore]:
    store = MemoryStore()
    return Pipeline(playbook, store, clock=SimulatedClock(at)), store


def call_notes(store: MemoryStore, lead_id: str = "L-web") -> list[tuple[Party, datetime | None]]:
    return [
        (e.notification.recipient, e.notification.due_at)
        for e in store.outbox(lead_id)
        if e.notification.kind == "call_now"
    ]


def call_clocks(pipeline: Pipeline, lead_id: str = "L-web") -> list[tuple[datetime, datetime]]:
    playbook = pipeline.playbook
    return [
        (d.started_at, d.due_at)
        for d in deadlines(pipeline.history(lead_id), playbook.sla_policies, playbook.calendar)
        if d.policy == CALL and d.due_at is not None
    ]


class TestTheFiveMinuteCall:
    def test_capture_with_a_form_submit_asks_sales_on_duty_to_call_within_five_minutes(
        self,
    ) -> None:
        """A lead captured with a form submit asks sales on duty to call within five minutes."""
        pipeline, store = pipeline_at(SUBMIT + timedelta(seconds=20))
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        pipeline.capture(web_lead(*busy_touches(), submit))
        due = SUBMIT + timedelta(minutes=5)
        assert call_notes(store) == [(INSIDE_SALES, due)]
        assert call_clocks(pipeline) == [(SUBMIT, due)]
        (request,) = [e for e in pipeline.history("L-web") if isinstance(e, CallRequested)]
        assert (request.to, request.submitted_at) == (INSIDE_SALES, SUBMIT)
        assert "call now" in request.reason

    def test_the_call_goes_to_sales_not_to_marketing_that_holds_the_inquiry(self) -> None:
        """Marketing owns the inquiry, but only a sales call stops the clock: sales is asked."""
        pipeline, store = pipeline_at(SUBMIT)
        pipeline.capture(web_lead(*busy_touches()))
        pipeline.record_interaction(
            "L-web", Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        )
        assert str(pipeline.get("L-web").owner) == "marketing"
        assert [who for who, _ in call_notes(store)] == [INSIDE_SALES]

    def test_a_submit_that_reaches_us_late_counts_from_its_own_time(self) -> None:
        """A submit recorded three minutes after it was made leaves two minutes, in both places."""
        pipeline, store = pipeline_at(SUBMIT + timedelta(minutes=3))
        pipeline.capture(web_lead(*busy_touches()))
        pipeline.record_interaction(
            "L-web", Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        )
        due = SUBMIT + timedelta(minutes=5)
        assert call_notes(store) == [(INSIDE_SALES, due)]
        assert call_clocks(pipeline) == [(SUBMIT, due)]

    def test_the_team_on_duty_for_the_lead_region_is_asked(self) -> None:
        """The playbook names a team per region; the southern lead goes to the southern team."""
        heat = HeatPolicy(
            on_duty=(
                DutyTeam(team="inside-sales-north", regions=frozenset({"north"})),
                DutyTeam(team="inside-sales-south", regions=frozenset({"south"})),
            )
        )
        pipeline, store = pipeline_at(SUBMIT, DEFAULT_PLAYBOOK.with_heat(heat))
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        pipeline.capture(web_lead(*busy_touches(), submit, region="south"))
        assert [who for who, _ in call_notes(store)] == [Party.sales(team="inside-sales-south")]

    def test_a_lead_sales_already_holds_is_called_by_its_owner(self) -> None:
        """Once sales holds the lead, its own rep is asked, not the team on duty."""
        rep = Party.sales(team="field", rep="jonas")
        pipeline, store = pipeline_at(SUBMIT)
        pipeline.capture(web_lead(*busy_touches()))
        pipeline.move_stage("L-web", "mql")
        pipeline.move_stage("L-web", "sal", owner=rep)
        pipeline.record_interaction(
            "L-web", Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        )
        assert [who for who, _ in call_notes(store)] == [rep]

    def test_a_sales_call_answers_it_and_a_second_submit_meanwhile_asks_no_one_again(
        self,
    ) -> None:
        """While the call is awaited another submit adds nothing; after the call, a new one asks."""
        clock = SimulatedClock(SUBMIT)
        store = MemoryStore()
        pipeline = Pipeline(DEFAULT_PLAYBOOK, store, clock=clock)
        pipeline.capture(web_lead(*busy_touches()))
        form = InteractionKind.FORM_SUBMIT
        pipeline.record_interaction("L-web", Interaction(kind=form, at=SUBMIT))
        clock.advance(timedelta(minutes=1))
        pipeline.record_interaction("L-web", Interaction(kind=form, at=clock.now()))
        assert len(call_notes(store)) == 1
        clock.advance(timedelta(minutes=2))
        pipeline.record_interaction(
            "L-web", Interaction(kind=InteractionKind.CALL, at=clock.now()), actor=INSIDE_SALES
        )
        (answered,) = [
            d
            for d in deadlines(
                pipeline.history("L-web"), DEFAULT_PLAYBOOK.sla_policies, DEFAULT_PLAYBOOK.calendar
            )
            if d.policy == CALL
        ]
        assert answered.met_at == SUBMIT + timedelta(minutes=3)
        clock.advance(timedelta(hours=1))
        pipeline.record_interaction("L-web", Interaction(kind=form, at=clock.now()))
        assert len(call_notes(store)) == 2

    def test_an_old_submit_brought_in_by_an_import_asks_nobody(self) -> None:
        """A submit older than the hot recency window is history, not a call to make now."""
        pipeline, store = pipeline_at(SUBMIT + timedelta(days=30))
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        pipeline.capture(web_lead(*busy_touches(), submit))
        assert call_notes(store) == []
        assert call_clocks(pipeline) == []

    def test_a_duplicate_capture_merged_with_its_submit_asks_for_the_call(self) -> None:
        """The web form of a known prospect merges into its lead and still asks for the call."""
        pipeline, store = pipeline_at(SUBMIT)
        known = attrs.evolve(
            web_lead(*busy_touches()),
            contact=attrs.evolve(web_lead().contact, email="ann@acme.example"),
        )
        pipeline.capture(known)
        again = attrs.evolve(
            web_lead(Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT), lead_id="L-again"),
            contact=known.contact,
        )
        assert pipeline.capture(again).outcome.value == "merged"
        assert call_notes(store) == [(INSIDE_SALES, SUBMIT + timedelta(minutes=5))]


class TestOneDefinitionOfHot:
    def test_three_touches_in_a_week_is_not_hot_under_the_playbook(self) -> None:
        """The old SLA-only rule (three touches in seven days) no longer starts a clock alone."""
        pipeline, store = pipeline_at(SUBMIT)
        pipeline.capture(web_lead(*busy_touches(3)))
        pipeline.record_interaction(
            "L-web", Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        )
        assert call_notes(store) == []
        assert call_clocks(pipeline) == []

    def test_changing_the_playbook_definition_changes_both(self) -> None:
        """With hot at three touches, the same submit asks for the call and starts the clock."""
        playbook = DEFAULT_PLAYBOOK.with_heat(HeatPolicy(hot_touches=3))
        pipeline, store = pipeline_at(SUBMIT, playbook)
        pipeline.capture(web_lead(*busy_touches(2)))
        pipeline.record_interaction(
            "L-web", Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        )
        due = SUBMIT + timedelta(minutes=5)
        assert call_notes(store) == [(INSIDE_SALES, due)]
        assert call_clocks(pipeline) == [(SUBMIT, due)]

    def test_a_second_hot_definition_in_an_sla_is_refused(self) -> None:
        """An SLA condition that counts touches itself is refused, naming where it sits."""
        (call, *rest) = DEFAULT_PLAYBOOK.sla_policies
        own = attrs.evolve(call, starts_on="InteractionRecorded", conditions=(HotLead(),))
        with pytest.raises(ConfigurationError) as err:
            attrs.evolve(DEFAULT_PLAYBOOK, sla_policies=(own, *rest))
        assert err.value.paths == ("sla_policies[0].conditions[0]",)

    def test_a_call_window_that_differs_from_the_heat_policy_is_refused(self) -> None:
        """The call window is set once: an SLA allowing ten minutes beside five is refused."""
        with pytest.raises(ConfigurationError) as err:
            attrs.evolve(DEFAULT_PLAYBOOK, heat=HeatPolicy(call_within=timedelta(minutes=10)))
        assert err.value.paths == ("sla_policies[0].allowed",)

    def test_with_heat_moves_the_call_window_everywhere(self) -> None:
        """`with_heat` sets the heat policy and the SLA on the call together."""
        playbook = DEFAULT_PLAYBOOK.with_heat(HeatPolicy(call_within=timedelta(minutes=10)))
        pipeline, store = pipeline_at(SUBMIT, playbook)
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        pipeline.capture(web_lead(*busy_touches(), submit))
        due = SUBMIT + timedelta(minutes=10)
        assert call_notes(store) == [(INSIDE_SALES, due)]
        assert call_clocks(pipeline) == [(SUBMIT, due)]


class TestAMissedCall:
    def test_a_missed_call_escalates_to_the_team_asked_to_call_not_to_marketing(self) -> None:
        """Six minutes without a sales call: the team on duty hears of it, then its manager."""
        clock = SimulatedClock(SUBMIT)
        store = MemoryStore()
        pipeline = Pipeline(DEFAULT_PLAYBOOK, store, clock=clock)
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=SUBMIT)
        pipeline.capture(web_lead(*busy_touches(), submit))
        clock.advance(timedelta(minutes=16))
        pipeline.escalate("L-web")
        escalated = [
            (e.notification.recipient, e.notification.role)
            for e in store.outbox("L-web")
            if e.notification.kind == "escalated"
        ]
        assert escalated == [(INSIDE_SALES, ""), (INSIDE_SALES, "manager")]
