"""Columnar scoring agrees with scoring `Lead` values: `score_frame` equals `score_totals`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import attrs
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline.frames import _engagement, lead_frame, score_frame
from leadpipeline.lead import Lead
from leadpipeline.rules.scoring import (
    CalendarStep,
    ScoringModel,
    compile_model,
    score_many,
    score_totals,
)
from tests.property.test_scoring_properties import NOW, nows, random_leads, random_models

TOLERANCE = 1e-9


def in_utc(lead: Lead) -> Lead:
    """The lead as a frame holds it: every touch's instant in UTC."""
    touches = tuple(attrs.evolve(t, at=t.at.astimezone(UTC)) for t in lead.interactions)
    return attrs.evolve(lead, interactions=touches)


def counts_months(model: ScoringModel) -> bool:
    return any(isinstance(r.decay, CalendarStep) and r.decay.months for r in model.engagement)


def close(got: np.ndarray, expected: object) -> bool:
    return bool(np.allclose(got, np.asarray(expected, dtype=float), rtol=0, atol=TOLERANCE))


class TestScoreFrameEqualsScoreTotals:
    @settings(max_examples=200, deadline=None)
    @given(random_models(), st.data(), nows)
    def test_totals_equal_on_generated_leads_and_models(
        self, model: ScoringModel, data: st.DataObject, now: datetime
    ) -> None:
        """Decay, windows, caps, groups, negative rules, floor and cap: the same totals."""
        leads = [in_utc(lead) for lead in data.draw(st.lists(random_leads(now), max_size=6))]
        scores = score_frame(lead_frame(leads), model, now=now)
        assert close(scores.totals, score_totals(leads, model, now=now))

    @settings(max_examples=100, deadline=None)
    @given(random_models().filter(lambda m: not counts_months(m)), st.data(), nows)
    def test_touch_time_zones_do_not_matter_without_calendar_months(
        self, model: ScoringModel, data: st.DataObject, now: datetime
    ) -> None:
        """Touches in any zone score the same on columns unless a decay counts months."""
        leads = data.draw(st.lists(random_leads(now), max_size=6))
        scores = score_frame(lead_frame(leads), model, now=now)
        assert close(scores.totals, score_totals(leads, model, now=now))

    @settings(max_examples=100, deadline=None)
    @given(
        random_models(),
        st.data(),
        st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=200)), max_size=6),
    )
    def test_one_instant_per_lead_equals_scoring_each_at_its_own(
        self, model: ScoringModel, data: st.DataObject, earlier: list[timedelta]
    ) -> None:
        """With an instant per lead (a back-test's "as decided"), each total is its own."""
        leads = [
            in_utc(lead)
            for lead in data.draw(
                st.lists(random_leads(NOW), min_size=len(earlier), max_size=len(earlier))
            )
        ]
        instants = [NOW - e for e in earlier]
        scores = score_frame(
            lead_frame(leads), model, now=pa.array(instants, pa.timestamp("us", tz="UTC"))
        )
        compiled = compile_model(model)
        expected = [compiled.total(lead, now=at) for lead, at in zip(leads, instants, strict=True)]
        assert close(scores.totals, expected)

    @settings(max_examples=100, deadline=None)
    @given(random_models(), st.data(), nows)
    def test_touches_cut_into_short_runs_give_the_same_totals(
        self, model: ScoringModel, data: st.DataObject, now: datetime
    ) -> None:
        """Runs of a touch or two, shared among the cores, sum each lead as one run does."""
        leads = [in_utc(lead) for lead in data.draw(st.lists(random_leads(now), max_size=6))]
        with mock.patch.object(_engagement, "_RUN", 1):
            scores = score_frame(lead_frame(leads), model, now=now)
        assert close(scores.totals, score_totals(leads, model, now=now))

    @settings(max_examples=100, deadline=None)
    @given(random_models(), st.data(), nows)
    def test_touches_in_any_order_give_the_same_totals(
        self, model: ScoringModel, data: st.DataObject, now: datetime
    ) -> None:
        """A touch table not sorted by lead scores as the sorted one does."""
        leads = [in_utc(lead) for lead in data.draw(st.lists(random_leads(now), max_size=6))]
        frame = lead_frame(leads)
        order = data.draw(st.permutations(range(frame.touches.num_rows)))
        touches = frame.touches.take(pa.array(order, pa.int64()))
        with mock.patch.object(_engagement, "_RUN", 1):
            scores = score_frame(frame.leads, model, now=now, touches=touches)
        assert close(scores.totals, score_totals(leads, model, now=now))

    @settings(max_examples=100, deadline=None)
    @given(random_models(), st.lists(random_leads(NOW), max_size=6))
    def test_fit_engagement_and_groups_equal_the_cards(
        self, model: ScoringModel, leads: list[Lead]
    ) -> None:
        """Fit, engagement, each group's and each rule's points are the score cards' too."""
        leads = [in_utc(lead) for lead in leads]
        scores = score_frame(lead_frame(leads), model, now=NOW, rules=True)
        cards = score_many(leads, model, now=NOW)
        for name, values in scores.rules:
            shares = [sum(c.points for c in card.contributions if c.rule == name) for card in cards]
            assert close(values, shares)
        assert close(scores.fit, [c.fit for c in cards])
        assert close(scores.engagement, [c.engagement for c in cards])
        for name, values in scores.groups:
            assert close(values, [c.group(name) for c in cards])
        assert scores.grades.to_pylist() == [c.grade for c in cards]
