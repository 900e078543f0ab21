"""The O(n log n) threshold sweep agrees with a naive loop over every threshold."""

from __future__ import annotations

import array
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline.analytics import threshold_sweep
from leadpipeline.errors import ValidationError

# a small set of scores makes ties common, which is where cumulative counting can slip
scores = st.one_of(
    st.sampled_from([0.0, 5.0, 12.5, 40.0, 40.0, 99.0]),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False),
)
scored = st.lists(st.tuples(scores, st.booleans()), max_size=60)


def naive(data: list[tuple[float, bool]]) -> list[tuple[float, int, int]]:
    """Per threshold, one full pass: the definition the sweep must match."""
    rows = []
    for t in sorted({s for s, _ in data}):
        volume = sum(1 for s, _ in data if s >= t)
        wins = sum(1 for s, w in data if s >= t and w)
        rows.append((t, volume, wins))
    return rows


class TestThresholdSweepProperties:
    @given(scored)
    def test_matches_naive_loop(self, data: list[tuple[float, bool]]) -> None:
        """Every threshold's volume and wins equal a direct count of scores at or above it."""
        sweep = threshold_sweep(data)
        got = list(zip(sweep.thresholds, sweep.volumes, sweep.wins, strict=True))
        assert got == naive(data)

    @given(scored, st.floats(min_value=0.5, max_value=36))
    def test_rates_match_their_definitions(
        self, data: list[tuple[float, bool]], months: float
    ) -> None:
        """Conversion, recall, lift and monthly volume follow from the counts."""
        sweep = threshold_sweep(data, months=months)
        total_wins = sum(w for _, w in data)
        for point in sweep:
            assert point.conversion == point.wins / point.volume
            assert point.recall == (point.wins / total_wins if total_wins else None)
            if total_wins:
                assert point.lift == point.conversion / (total_wins / len(data))
            assert point.volume_per_month == point.volume / months

    @given(scored)
    def test_volume_never_rises_with_the_threshold(self, data: list[tuple[float, bool]]) -> None:
        """Raising the threshold hands over fewer or the same leads, and never more wins."""
        sweep = threshold_sweep(data)
        assert list(sweep.volumes) == sorted(sweep.volumes, reverse=True)
        assert list(sweep.wins) == sorted(sweep.wins, reverse=True)


class _Columns:
    """Two columns, as `score_frame` gives them."""

    def __init__(self, totals: object, won: object) -> None:
        self.totals = totals
        self.won = won


class TestThresholdSweepOnArrays:
    @given(scored)
    def test_numpy_columns_sweep_as_pairs_do(self, data: list[tuple[float, bool]]) -> None:
        """Scores and outcomes as numpy arrays give the very sweep their pairs give."""
        np = pytest.importorskip("numpy")
        totals = np.array([s for s, _ in data], dtype=float)
        won = np.array([w for _, w in data], dtype=bool)
        assert threshold_sweep(_Columns(totals, won)) == threshold_sweep(data)

    @given(scored)
    def test_any_buffer_of_numbers_is_read_in_place(self, data: list[tuple[float, bool]]) -> None:
        """An `array.array` of scores and a bytes buffer of outcomes read like the pairs."""
        pytest.importorskip("numpy")
        totals = array.array("d", [s for s, _ in data])
        won = bytes(int(w) for _, w in data)
        assert threshold_sweep(_Columns(totals, won)) == threshold_sweep(data)

    def test_an_array_is_never_made_a_list(self) -> None:
        """The sweep reads an array in place: its `tolist` is never called."""
        np = pytest.importorskip("numpy")

        class NoLists(np.ndarray):  # type: ignore[misc]
            def tolist(self) -> list[object]:
                raise AssertionError("turned into a list")

        totals = np.array([80.0, 60.0, 60.0, 20.0]).view(NoLists)
        won = np.array([True, False, True, False]).view(NoLists)
        sweep = threshold_sweep(_Columns(totals, won))
        assert [(p.threshold, p.volume, p.wins) for p in sweep] == [
            (20.0, 4, 2),
            (60.0, 3, 2),
            (80.0, 1, 1),
        ]

    def test_a_score_that_is_not_finite_names_its_row(self) -> None:
        """An infinite score in an array is refused with its row, as in pairs."""
        np = pytest.importorskip("numpy")
        columns = _Columns(np.array([1.0, np.inf]), np.array([True, False]))
        with pytest.raises(ValidationError, match=r"scored\[1\]"):
            threshold_sweep(columns)


class TestSweepOnAGrid:
    @given(scored, st.sampled_from([0.1, 0.5, 1.0, 2.5, 7.0]))
    def test_a_grid_sweep_is_the_sweep_of_the_scores_put_on_the_grid(
        self, data: list[tuple[float, bool]], step: float
    ) -> None:
        """Each score counts at floor(score / step) * step; volumes stay cumulative from the top."""
        on_grid = [(math.floor(s / step) * step, w) for s, w in data]
        sweep = threshold_sweep(data, step=step)
        assert sweep == threshold_sweep(on_grid)
        assert set(sweep.thresholds) == {s for s, _ in on_grid}

    @given(scored, st.sampled_from([0.1, 0.5, 1.0, 2.5, 7.0]))
    def test_columns_and_pairs_give_the_same_grid(
        self, data: list[tuple[float, bool]], step: float
    ) -> None:
        """Scores as numpy columns land on the very grid points plain numbers land on."""
        np = pytest.importorskip("numpy")
        columns = _Columns(
            np.array([s for s, _ in data], dtype=np.float64), np.array([w for _, w in data])
        )
        assert threshold_sweep(columns, step=step) == threshold_sweep(data, step=step)

    def test_a_step_must_be_a_positive_number(self) -> None:
        """A step of zero, below zero or not finite is refused, naming the step."""
        for step in (0.0, -1.0, math.inf, math.nan):
            with pytest.raises(ValidationError) as caught:
                threshold_sweep([(1.0, True)], step=step)
            assert "step" in caught.value.paths
