"""The O(n log n) threshold sweep agrees with a naive loop over every threshold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from leadpipeline.analytics import threshold_sweep

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
