"""Count columns: an export that says how often, not when, still brings its touches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadpipeline import ConfigurationError
from leadpipeline.frames import Column, ColumnMapping, TouchCount, read_records, score_frame
from leadpipeline.frames.mapping import MOST_COUNTED
from leadpipeline.lead import InteractionKind
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL, score_totals
from leadpipeline.serialization import from_toml, to_toml

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
CAPTURED = "2026-03-01T10:00:00Z"

MAPPING = ColumnMapping(
    id="Prospect ID",
    columns=(
        Column(header="Lead Source", field="source.channel"),
        Column(header="Created", field="source.captured_at"),
    ),
    counts=(
        TouchCount(header="TotalVisits", kind=InteractionKind.SITE_VISIT),
        TouchCount(header="Seconds", kind=InteractionKind.WEBINAR, per=600),
    ),
    missing=("", "Select"),
)


def row(lead_id: str, visits: str, seconds: str = "0", created: str = CAPTURED) -> dict[str, str]:
    return {
        "Prospect ID": lead_id,
        "Lead Source": "Google",
        "Created": created,
        "TotalVisits": visits,
        "Seconds": seconds,
    }


class TestTouchCount:
    def test_a_count_becomes_that_many_touches_at_capture(self) -> None:
        """Seven visits are seven site-visit touches, dated when the lead was captured."""
        frame = read_records([row("P-1", "7"), row("P-2", "0")], MAPPING)
        [lead, quiet] = frame.to_leads()
        assert [t.kind for t in lead.interactions] == [InteractionKind.SITE_VISIT] * 7
        assert {t.at for t in lead.interactions} == {lead.source.captured_at}
        assert quiet.interactions == ()

    def test_per_counts_one_touch_for_every_so_many_units(self) -> None:
        """With per = 600, 1,250 seconds make two touches: the rest is rounded away."""
        frame = read_records([row("P-1", "0", seconds="1250")], MAPPING)
        assert [t.kind for t in frame.to_leads().items[0].interactions] == [
            InteractionKind.WEBINAR
        ] * 2

    def test_an_unknown_count_is_no_touch(self) -> None:
        """An empty or placeholder cell means the count is unknown: no touches, no refusal."""
        frame = read_records([row("P-1", ""), row("P-2", "Select")], MAPPING)
        assert len(frame) == 2
        assert frame.touches.num_rows == 0

    @pytest.mark.parametrize(
        ("cell", "message"),
        [("lots", "expected a number"), ("-2", "must not be negative"), ("1e9", "a typo or a bot")],
    )
    def test_a_bad_count_refuses_its_row(self, cell: str, message: str) -> None:
        """A count that is no number, is negative or absurdly large refuses the whole row."""
        frame = read_records([row("P-1", cell), row("P-2", "3")], MAPPING)
        [refusal] = frame.refused
        assert (refusal.row, refusal.column, refusal.field) == (1, "TotalVisits", "interactions")
        assert message in refusal.message
        assert frame.leads.column("id").to_pylist() == ["P-2"]
        assert frame.touches.column("lead").to_pylist() == [0, 0, 0]

    def test_most_counted_is_still_accepted(self) -> None:
        """The largest allowed count is read, the next one up is refused."""
        frame = read_records(
            [row("P-1", str(MOST_COUNTED)), row("P-2", str(MOST_COUNTED + 1))], MAPPING
        )
        assert frame.touches.num_rows == MOST_COUNTED
        assert [r.row for r in frame.refused] == [2]

    def test_a_row_refused_for_its_date_brings_no_touches(self) -> None:
        """A lead refused for another column leaves none of its counted touches behind."""
        frame = read_records([row("P-1", "4", created="yesterday"), row("P-2", "1")], MAPPING)
        assert frame.touches.column("lead").to_pylist() == [0]

    def test_counted_touches_score_like_the_leads_they_make(self) -> None:
        """Columnar scoring of counted touches equals scoring the `Lead` values."""
        frame = read_records([row("P-1", "7", "3000"), row("P-2", "1"), row("P-3", "")], MAPPING)
        on_columns = score_frame(frame, DEFAULT_SCORING_MODEL, now=NOW).totals.tolist()
        on_values = score_totals(frame.to_leads(), DEFAULT_SCORING_MODEL, now=NOW)
        assert on_columns == pytest.approx(list(on_values), abs=1e-9)
        assert on_columns[0] > on_columns[1] > on_columns[2]

    def test_mapping_with_counts_round_trips_through_toml(self) -> None:
        """Count columns are part of the mapping value, written and read as TOML."""
        assert from_toml(to_toml(MAPPING), ColumnMapping) == MAPPING

    def test_a_count_header_mapped_twice_is_refused(self) -> None:
        """A count column may not also feed a field."""
        with pytest.raises(ConfigurationError) as caught:
            ColumnMapping(
                id="id",
                columns=MAPPING.columns,
                counts=(TouchCount(header="Lead Source", kind=InteractionKind.CALL),),
            )
        assert "columns" in caught.value.paths

    def test_per_must_be_positive(self) -> None:
        """One touch for every zero units means nothing: refused when built."""
        with pytest.raises(ValueError, match="positive"):
            TouchCount(header="x", kind=InteractionKind.CALL, per=0)
