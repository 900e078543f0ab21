"""The five-minute call is one rule: the SLA deadline and the call-now due time agree."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
from hypothesis import event, given, settings
from hypothesis import strategies as st

from leadpipeline.lead import Interaction, InteractionKind, Lead
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.rules.heat import HeatPolicy
from leadpipeline.rules.sla import deadlines
from leadpipeline.stages import Capture, RecordInteraction, transition
from tests.strategies import aware_datetimes, captured_leads, heat_policies, touches_before

CALL = "hot_form_submit_call"
submits = aware_datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 1, 1))
delays = st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=30))


class TestOneCallRule:
    @settings(max_examples=150, deadline=None)
    @given(
        lead=captured_leads(),
        heat=heat_policies(),
        submit_at=submits,
        delay=delays,
        data=st.data(),
    )
    def test_sla_deadline_equals_the_call_now_due_time_for_a_recorded_submit(
        self,
        lead: Lead,
        heat: HeatPolicy,
        submit_at: datetime,
        delay: timedelta,
        data: st.DataObject,
    ) -> None:
        """For any lead, hot rule and submit time, the SLA on the call is due when call-now is."""
        playbook = DEFAULT_PLAYBOOK.with_heat(heat)
        before = data.draw(touches_before(submit_at - timedelta(seconds=1)))
        lead = attrs.evolve(lead, interactions=before)
        captured_at = max([submit_at, *(t.at for t in before)]) + delay
        first = transition(None, Capture(lead=lead), playbook, now=captured_at)
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=submit_at)
        done = transition(
            first.after,
            RecordInteraction(interaction=submit),
            playbook,
            now=captured_at,
            history=first.events,
        )
        history = (*first.events, *done.events)
        calls = [n for n in done.notifications if n.kind == "call_now"]
        clocks = [
            d
            for d in deadlines(history, playbook.sla_policies, playbook.calendar)
            if d.policy == CALL and d.started_at == submit_at
        ]
        event("asks for a call" if calls else "asks for none")
        assert [n.due_at for n in calls] == [d.due_at for d in clocks]
        for note in calls:
            assert note.due_at == submit_at + heat.call_within
            assert note.recipient.kind.value == "sales"

    @settings(max_examples=150, deadline=None)
    @given(
        lead=captured_leads(), heat=heat_policies(), submit_at=submits, delay=delays, data=st.data()
    )
    def test_sla_deadline_equals_the_call_now_due_time_for_a_captured_submit(
        self,
        lead: Lead,
        heat: HeatPolicy,
        submit_at: datetime,
        delay: timedelta,
        data: st.DataObject,
    ) -> None:
        """A lead captured with its form submit: the clock and the notice agree as well."""
        playbook = DEFAULT_PLAYBOOK.with_heat(heat)
        before = data.draw(touches_before(submit_at - timedelta(seconds=1)))
        submit = Interaction(kind=InteractionKind.FORM_SUBMIT, at=submit_at)
        lead = attrs.evolve(lead, interactions=(*before, submit))
        done = transition(None, Capture(lead=lead), playbook, now=submit_at + delay)
        calls = [n for n in done.notifications if n.kind == "call_now"]
        clocks = [
            d
            for d in deadlines(done.events, playbook.sla_policies, playbook.calendar)
            if d.policy == CALL
        ]
        event("asks for a call" if calls else "asks for none")
        assert [n.due_at for n in calls] == [d.due_at for d in clocks]
        assert [d.started_at for d in clocks] == [submit_at] * len(clocks)
