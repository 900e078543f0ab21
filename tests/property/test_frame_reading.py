"""The import's shortcut for repeating values reads every cell as the cell-by-cell path does."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline.frames._cells import convert_column
from leadpipeline.frames._convert import Reading, convert
from leadpipeline.frames._fields import Check, Kind

CELLS = {
    Kind.TEXT: ["web", " web ", "Web", "", "  ", "N/A", "Trade Show", "x@y.de", "ß"],
    Kind.INT: ["12", " 7 ", "-3", "0", "12.0", "lots", "1e3", "", "N/A", "9007199254740993"],
    Kind.FLOAT: ["2.5", "-0.5", "1e3", "nan", "inf", ".5", "5.", "abc", "", "N/A"],
    Kind.DATE: ["2026-09-01", "2026-02-30", "01.09.2026", "2026-9-1", "", "N/A"],
    Kind.DATETIME: [
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:00:00+01:00",
        "2026-03-01 10:00",
        "2026-03-29T02:30:00",
        "2026-02-30T10:00:00",
        "yesterday",
        "",
        "N/A",
    ],
}


@st.composite
def columns(draw: st.DrawFn) -> tuple[pa.Array, Reading]:
    """A column long enough to take the shortcut, its cells drawn from a few tricky ones."""
    kind = draw(st.sampled_from(sorted(CELLS)))
    pool = draw(st.lists(st.sampled_from(CELLS[kind]), min_size=1, max_size=6, unique=True))
    cells = draw(st.lists(st.sampled_from([*pool, None]), min_size=64, max_size=300))
    options = {}
    if kind is Kind.TEXT and draw(st.booleans()):
        options["values"] = {"web": "web", "Web": "web", "Trade Show": "exhibition"}
    if kind in (Kind.INT, Kind.FLOAT) and draw(st.booleans()):
        options["checks"] = frozenset({Check.NON_NEGATIVE})
    zone = draw(st.sampled_from(["UTC", "Europe/Berlin"]))
    return pa.array(cells, pa.string()), Reading(
        kind=kind, missing=("N/A",), time_zone=zone, **options
    )


def found(problems: list[tuple[np.ndarray, str]]) -> list[tuple[list[int], str]]:
    return [(np.flatnonzero(m).tolist(), message) for m, message in problems if m.any()]


class TestConvertColumn:
    @settings(max_examples=300, deadline=None)
    @given(columns())
    def test_values_and_refusals_equal_converting_every_cell(
        self, column: tuple[pa.Array, Reading]
    ) -> None:
        """Each distinct value converted once gives every row the value and refusal it had."""
        cells, reading = column
        expected, expected_problems = convert(cells, reading)
        got, problems = convert_column(cells, reading)
        assert got.to_pylist() == expected.to_pylist()
        assert found(problems) == found(expected_problems)
        if isinstance(got, pa.DictionaryArray):  # nulls in the indices, each value once
            assert got.dictionary.null_count == 0
            assert len(set(got.dictionary.to_pylist())) == len(got.dictionary)
