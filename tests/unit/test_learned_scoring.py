"""Learning the points of a scoring model from won and lost leads."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from leadpipeline import ValidationError
from leadpipeline.analytics import FieldSpec
from leadpipeline.analytics.learned import (
    LEARN_HINT,
    CalibrationMethod,
    LearnedModel,
    ScoreCalibration,
    fit_scoring_model,
)
from leadpipeline.analytics.learned._features import COUNT_CAPS, fit_candidates
from leadpipeline.analytics.learned._metrics import auc, isotonic, log_loss, platt
from leadpipeline.events import replay
from leadpipeline.frames import LeadFrame, lead_frame, load_mapping, read_csv, score_frame
from leadpipeline.rules.scoring import (
    EngagementRule,
    FitRule,
    HalfLife,
    NegativeRule,
    RuleKind,
    ScoringModel,
    score,
    score_totals,
)
from leadpipeline.serialization import from_json, from_toml, to_json, to_toml
from tests.learning import NOW, RARE, TRUE_POINTS, known_histories

FEATURES = ("source.channel", "company.industry", "company.employees")
DATA = Path(__file__).resolve().parents[2] / "docs" / "data"


@pytest.fixture(scope="module")
def histories() -> list:
    return known_histories(4000, seed=1)


@pytest.fixture(scope="module")
def learned(histories: list) -> LearnedModel:
    return fit_scoring_model(histories, FEATURES, now=NOW)


def signed_points(model: ScoringModel, name: str) -> float:
    """A rule's points, negative for a negative rule, 0 for a rule the fit left out."""
    for rule in model.fit:
        if rule.name == name:
            return rule.points
    for negative in model.negative:
        if negative.name == name:
            return -negative.penalty
    return 0.0


class TestRecovery:
    @pytest.mark.parametrize("field", sorted(TRUE_POINTS))
    def test_the_true_rules_keep_their_order(self, learned: LearnedModel, field: str) -> None:
        """Values the true table ranks higher get more learned points, field by field."""
        truth = TRUE_POINTS[field]
        by_truth = sorted(truth, key=truth.__getitem__)
        points = [signed_points(learned.model, f"{field} = {value}") for value in by_truth]
        assert points == sorted(points)
        assert len(set(points)) == len(points)

    def test_a_value_that_lowers_the_odds_becomes_a_negative_rule(
        self, learned: LearnedModel
    ) -> None:
        """Leads from a purchased list are won least: that value takes points away."""
        [penalty] = [
            r for r in learned.model.negative if r.name == "source.channel = purchased list"
        ]
        assert penalty.penalty > 0

    def test_recent_touches_choose_the_short_decay(self, learned: LearnedModel) -> None:
        """Only last month's visits make wins here, so the grid picks the 30-day half-life."""
        assert learned.report.decay == "half-life 30 days"
        visits = [r for r in learned.model.engagement if r.name.startswith("site_visit")]
        assert visits
        assert all(r.decay == HalfLife(days=30) for r in visits)

    def test_the_ranking_is_good_on_held_out_leads(self, learned: LearnedModel) -> None:
        """The held-out AUC is well above chance and the log loss beats the base rate."""
        report = learned.report
        assert report.auc > 0.75
        assert report.log_loss < report.base_log_loss
        assert (report.leads, report.held_out) == (3000, 1000)


class TestReadablePoints:
    def test_fit_points_are_whole_and_touch_points_tenths(self, learned: LearnedModel) -> None:
        """A marketer reads whole points per value and tenths per touch."""
        model = learned.model
        assert all(float(r.points).is_integer() for r in model.fit)
        assert all(float(r.penalty).is_integer() for r in model.negative)
        assert all(round(r.points, 1) == r.points for r in model.engagement)

    def test_the_report_states_the_points_the_model_gives(self, learned: LearnedModel) -> None:
        """Every rule of the model is in the report with the same signed points, and no other."""
        model = learned.model
        in_model = {r.name: r.points for r in (*model.fit, *model.engagement)}
        in_model |= {r.name: -r.penalty for r in model.negative}
        assert {r.rule: r.points for r in learned.report.rules} == in_model

    def test_a_touch_rule_caps_at_a_whole_count_of_touches(self, learned: LearnedModel) -> None:
        """Each touch rule's cap is its points times one of the grid's touch counts."""
        for rule in learned.model.engagement:
            assert rule.cap is not None
            assert round(rule.cap / rule.points, 6) in COUNT_CAPS

    def test_the_scale_spans_about_a_hundred_points(
        self, learned: LearnedModel, histories: list
    ) -> None:
        """The middle 98% of leads spread over roughly the `scale` of 100 points."""
        totals = np.array(score_totals([replay(h) for h in histories], learned.model, now=NOW))
        low, high = np.quantile(totals, [0.01, 0.99])
        assert 85 <= high - low <= 115

    def test_each_rule_reports_the_leads_behind_it(
        self, learned: LearnedModel, histories: list
    ) -> None:
        """A rule's lead count and win rate are those of the training leads it fired on."""
        [referral] = [r for r in learned.report.rules if r.rule == "source.channel = referral"]
        assert referral.kind is RuleKind.FIT
        everyone = [replay(h) for h in histories if h[0].lead.source.channel == "referral"]
        assert 0.7 * len(everyone) < referral.leads <= len(everyone)
        assert referral.win_rate is not None
        assert referral.win_rate > learned.report.base_rate

    def test_a_rare_value_is_warned_about_and_earns_nothing(self, learned: LearnedModel) -> None:
        """A channel with a handful of leads gets a warning, not a rule of its own."""
        [warning] = [s for s in learned.report.sparse if s.value == RARE]
        assert warning.field == "source.channel"
        assert warning.leads < 30
        assert all(RARE not in name for name in learned.model.rule_names())
        assert RARE in learned.report.explain()

    def test_grades_follow_the_learned_fit(self, learned: LearnedModel) -> None:
        """Grade bands are set from the learned fit scores, best first."""
        bands = learned.model.grade_bands
        assert [b.grade for b in bands] == ["A", "B", "C"]
        assert bands[0].min_fit > bands[1].min_fit > bands[2].min_fit


class TestSameScoreEverywhere:
    def test_score_score_totals_and_score_frame_agree(
        self, learned: LearnedModel, histories: list
    ) -> None:
        """The fitted model gives each lead one total, whichever way it is scored."""
        leads = [replay(h) for h in histories[:400]]
        cards = [score(lead, learned.model, now=NOW).total for lead in leads]
        totals = list(score_totals(leads, learned.model, now=NOW))
        columns = score_frame(lead_frame(leads), learned.model, now=NOW).totals.tolist()
        assert cards == totals
        assert columns == pytest.approx(totals, abs=1e-9)

    def test_the_score_card_explains_a_learned_score(
        self, learned: LearnedModel, histories: list
    ) -> None:
        """A learned score explains itself rule by rule, like any other."""
        lead = replay(histories[100])
        card = score(lead, learned.model, now=NOW)
        assert sum(c.points for c in card.contributions) == pytest.approx(card.total)
        assert f"source.channel = {lead.source.channel}" in card.explain() or (
            f"source.channel = {lead.source.channel}" not in learned.model.rule_names()
        )


class TestRoundTrips:
    def test_the_model_round_trips_through_json_and_toml(self, learned: LearnedModel) -> None:
        """The learned model is an ordinary `ScoringModel` value in both formats."""
        assert from_json(to_json(learned.model), ScoringModel) == learned.model
        assert from_toml(to_toml(learned.model), ScoringModel) == learned.model

    def test_model_calibration_and_report_round_trip_together(self, learned: LearnedModel) -> None:
        """The whole fit, calibration and report included, reads back equal from JSON."""
        assert from_json(to_json(learned), LearnedModel) == learned

    def test_an_edited_model_still_scores(self, learned: LearnedModel, histories: list) -> None:
        """A marketer may change points by hand; the edited model is checked and scores."""
        [first, *rest] = learned.model.fit
        edited = attrs.evolve(learned.model, fit=(attrs.evolve(first, points=50), *rest))
        lead = next(
            replay(h)
            for h in histories
            if first.name in score(replay(h), edited, now=NOW).explain()
        )
        before = score(lead, learned.model, now=NOW).total
        assert score(lead, edited, now=NOW).total == pytest.approx(before + 50 - first.points)


class TestCalibration:
    def test_probabilities_rise_with_the_score(self, learned: LearnedModel) -> None:
        """A higher score never reads as a lower chance of winning."""
        chances = [learned.probability(s) for s in range(-60, 120, 5)]
        assert chances == sorted(chances)
        assert 0 < chances[0] < chances[-1] < 1

    def test_held_out_bins_match_what_was_said(self, learned: LearnedModel) -> None:
        """In each tenth of the held-out leads, the wins seen are near the chance said."""
        bins = learned.report.calibration
        assert sum(b.leads for b in bins) == learned.report.held_out
        assert all(abs(b.predicted - b.observed) < 0.15 for b in bins)
        assert [b.low for b in bins] == sorted(b.low for b in bins)

    def test_isotonic_calibration_is_a_rising_step(self, histories: list) -> None:
        """Isotonic calibration gives rising steps that read back as the same value."""
        fitted = fit_scoring_model(
            histories[:1500], FEATURES, now=NOW, calibration="isotonic", engagement=False
        )
        steps = fitted.calibration
        assert steps.method is CalibrationMethod.ISOTONIC
        assert list(steps.probabilities) == sorted(steps.probabilities)
        assert from_toml(to_toml(steps), ScoreCalibration) == steps
        assert all(isinstance(r, FitRule | NegativeRule) for r in fitted.model.fit)
        assert fitted.model.engagement == ()


class TestMeasures:
    def test_auc_counts_ties_as_half(self) -> None:
        """Every won lead above every lost one is 1; all tied is a half."""
        won = np.array([True, True, False, False])
        assert auc(np.array([4.0, 3.0, 2.0, 1.0]), won) == 1.0
        assert auc(np.zeros(4), won) == 0.5

    def test_log_loss_of_certainty_is_clipped(self) -> None:
        """A wrong certain prediction costs a lot, but not infinity."""
        assert 20 < log_loss(np.array([0.0]), np.array([True])) < 30

    def test_platt_recovers_a_logistic_curve(self) -> None:
        """Outcomes drawn from a known logistic curve give back its slope and intercept."""
        rng = np.random.default_rng(3)
        scores = rng.uniform(-50, 50, 20_000)
        won = rng.random(20_000) < 1 / (1 + np.exp(-(0.08 * scores - 0.5)))
        slope, intercept = platt(scores, won)
        assert slope == pytest.approx(0.08, rel=0.1)
        assert intercept == pytest.approx(-0.5, abs=0.1)

    def test_isotonic_pools_what_falls(self) -> None:
        """A win rate that falls with the score is pooled into one step."""
        steps = isotonic(np.array([1.0, 2.0, 3.0]), np.array([True, False, False]))
        assert steps == ((1.0,), (1 / 3,))


class TestFramesAndHistories:
    def test_a_frame_and_its_histories_learn_the_same_model(self) -> None:
        """An export fitted as columns or as the histories it makes gives one model."""
        mapping = load_mapping(DATA / "public_mapping.toml")
        frame = read_csv(DATA / "public_leads.csv", mapping)
        small = LeadFrame(
            leads=frame.leads.slice(0, 1500),
            touches=frame.touches.filter(pc.less(frame.touches.column("lead"), 1500)),
            mapping=mapping,
            read=1500,
        )
        at = datetime(2026, 1, 31, tzinfo=UTC)
        fields = ("source.channel", "contact.job_title", "company.industry")
        from_frame = fit_scoring_model(small, fields, now=at)
        from_histories = fit_scoring_model(small.to_histories().items, fields, now=at)
        assert from_frame.model == from_histories.model
        assert from_frame.report == from_histories.report
        assert any(r.kind is RuleKind.ENGAGEMENT for r in from_frame.report.rules)


class TestRefusals:
    def test_a_frame_without_outcomes_is_refused(self, histories: list) -> None:
        """Without won and lost there is nothing to learn from."""
        frame = lead_frame(replay(h) for h in histories[:50])
        with pytest.raises(ValidationError) as caught:
            fit_scoring_model(frame, FEATURES, now=NOW)
        assert caught.value.paths == ("data",)

    def test_only_wins_are_refused(self, histories: list) -> None:
        """Histories that were all won teach nothing about losing."""
        wins = [h for h in histories if h[-1].outcome.value == "won"][:40]
        with pytest.raises(ValidationError, match="two won and two lost"):
            fit_scoring_model(wins, FEATURES, now=NOW)

    def test_a_date_field_is_refused_by_position(self, histories: list) -> None:
        """A field holding dates has no values to learn points for; its place is named."""
        with pytest.raises(ValidationError) as caught:
            fit_scoring_model(histories[:100], ["source.channel", "source.captured_at"], now=NOW)
        assert caught.value.paths == ("features[1]",)

    def test_nothing_common_enough_to_learn_from_is_refused(self, histories: list) -> None:
        """When no value or touch kind has enough leads, the fit says so instead of guessing."""
        with pytest.raises(ValidationError, match="no value, band or kind of touch") as caught:
            fit_scoring_model(histories[:200], ["source.channel"], now=NOW, min_leads=500)
        assert caught.value.paths == ("features",)

    def test_close_band_edges_get_distinct_rule_names(self) -> None:
        """Edges that differ only in the seventh digit still name two different rules."""
        leads = pa.table({"company.employees": [10, 1234567, 1234568, 2000000]})
        spec = FieldSpec(path="company.employees", edges=(1234567.0, 1234568.0))
        found = fit_candidates(leads, [spec], np.ones(4, dtype=bool), bands=4, min_leads=1)
        assert [r.name for r in found.rules] == [
            "company.employees >= 1234567",
            "company.employees >= 1234568",
        ]

    def test_without_scikit_learn_the_install_hint_is_raised(
        self, histories: list, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Fitting without the learn extra says which extra to install."""
        monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
        with pytest.raises(ImportError, match="leadpipeline\\[learn\\]") as caught:
            fit_scoring_model(histories[:200], FEATURES, now=NOW)
        assert str(caught.value) == LEARN_HINT

    def test_open_leads_are_left_out(self, histories: list) -> None:
        """A lead still open has no outcome: it is neither a win nor a loss to learn from."""
        still_open = [h[:1] for h in histories[:500]]
        fitted = fit_scoring_model(
            [*histories[:1000], *still_open], FEATURES, now=NOW + timedelta(days=1)
        )
        assert fitted.report.leads + fitted.report.held_out == 1000

    def test_touch_rules_only_add_points(self, learned: LearnedModel) -> None:
        """A touch can only add points: every engagement rule is positive and capped."""
        assert all(isinstance(r, EngagementRule) for r in learned.model.engagement)
        assert all(r.points > 0 for r in learned.model.engagement)
        assert all(r.cap is not None for r in learned.model.engagement)
