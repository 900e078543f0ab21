"""Properties of learned scoring: what a fit returns scores one way everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline.analytics.learned import LearnedModel, ScoreCalibration, fit_scoring_model
from leadpipeline.analytics.learned._metrics import auc, isotonic, platt
from leadpipeline.events import replay
from leadpipeline.frames import lead_frame, score_frame
from leadpipeline.rules.scoring import ScoringModel, score_totals
from leadpipeline.serialization import from_json, from_toml, to_json, to_toml
from tests.learning import NOW, known_histories
from tests.strategies import calibrations

FEATURES = ("source.channel", "company.industry", "company.employees")

outcomes = st.lists(
    st.tuples(st.integers(min_value=-100, max_value=100).map(float), st.booleans()),
    min_size=2,
    max_size=60,
).filter(lambda rows: len({won for _, won in rows}) == 2)


class TestFittedModels:
    @settings(max_examples=6, deadline=None)
    @given(
        seed=st.integers(min_value=0, max_value=10_000),
        n=st.integers(min_value=300, max_value=700),
        scale=st.sampled_from([20.0, 100.0, 1000.0]),
    )
    def test_any_fit_scores_alike_on_values_and_columns(
        self, seed: int, n: int, scale: float
    ) -> None:
        """Whatever the data and scale, the learned model's totals agree on both paths."""
        histories = known_histories(n, seed=seed, rare=seed % 12)
        learned = fit_scoring_model(
            histories, FEATURES, now=NOW, seed=seed, scale=scale, min_leads=20
        )
        leads = [replay(h) for h in histories]
        on_values = list(score_totals(leads, learned.model, now=NOW))
        on_columns = score_frame(lead_frame(leads), learned.model, now=NOW).totals.tolist()
        assert on_columns == pytest.approx(on_values, abs=1e-9)
        assert from_toml(to_toml(learned.model), ScoringModel) == learned.model
        assert from_json(to_json(learned), LearnedModel) == learned
        assert min(on_values) >= learned.model.floor
        assert all(s.leads < 20 for s in learned.report.sparse)


class TestCalibrations:
    @given(calibrations(), st.lists(st.floats(-2e3, 2e3), min_size=2, max_size=20))
    def test_a_higher_score_never_reads_as_a_lower_chance(
        self, calibration: ScoreCalibration, scores: list[float]
    ) -> None:
        """Both methods are rising functions of the score, between 0 and 1."""
        chances = [calibration.probability(s) for s in sorted(scores)]
        assert chances == sorted(chances)
        assert all(0.0 <= p <= 1.0 for p in chances)

    @given(calibrations())
    def test_calibrations_round_trip_through_json_and_toml(
        self, calibration: ScoreCalibration
    ) -> None:
        """A calibration is plain data in both formats."""
        assert from_json(to_json(calibration), ScoreCalibration) == calibration
        assert from_toml(to_toml(calibration), ScoreCalibration) == calibration

    @given(outcomes)
    def test_fitted_calibrations_rise(self, rows: list[tuple[float, bool]]) -> None:
        """Platt and isotonic fitted to any outcomes give rising chances."""
        scores = np.array([s for s, _ in rows])
        won = np.array([w for _, w in rows])
        slope, _ = platt(scores, won)
        steps, chances = isotonic(scores, won)
        assert np.isfinite(slope)
        assert list(steps) == sorted(set(steps))
        assert list(chances) == sorted(chances)

    def test_a_separable_fit_gives_finite_numbers(self) -> None:
        """A score that splits the outcomes perfectly (the wrong way) still fits finitely.

        The fit runs away without overflowing, and the slope points the way the data does.
        """
        slope, intercept = platt(np.array([58.0, -72.0, -73.0]), np.array([False, False, True]))
        assert np.isfinite(slope)
        assert np.isfinite(intercept)
        assert slope < 0


class TestAuc:
    @given(outcomes)
    def test_reversing_the_score_reverses_the_auc(self, rows: list[tuple[float, bool]]) -> None:
        """Ranking by the negated score turns an AUC of a into 1 - a."""
        scores = np.array([s for s, _ in rows])
        won = np.array([w for _, w in rows])
        assert auc(scores, won) + auc(-scores, won) == pytest.approx(1.0)

    @given(outcomes)
    def test_a_rising_transform_keeps_the_auc(self, rows: list[tuple[float, bool]]) -> None:
        """Only the order of the scores matters, not their scale."""
        scores = np.array([s for s, _ in rows])
        won = np.array([w for _, w in rows])
        assert auc(np.exp(scores / 50), won) == pytest.approx(auc(scores, won))
