"""The strict converter: what it writes, what it reads, and how it refuses bad input."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadpipeline import (
    Event,
    Interaction,
    InteractionKind,
    Lead,
    OfferToPartners,
    Party,
    Revenue,
    Source,
    ValidationError,
    from_json,
    to_json,
)
from leadpipeline.events import NoteAdded, StageChanged
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle
from leadpipeline.serialization import from_toml, load_file, structure, tag_of, unstructure
from tests.levels import accepted_by

AT = "2026-03-04T10:00:00+01:00"
LEAD: dict[str, Any] = {"id": "L-1", "source": {"channel": "exhibition", "captured_at": AT}}
MARKETING = {"kind": "marketing"}


def lead_with(**fields: Any) -> str:
    """A minimal lead payload with `fields` replaced, as JSON text."""
    data = copy.deepcopy(LEAD)
    data.update(fields)
    return json.dumps(data)


def note(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "type": "note_added",
        "lead_id": "L-1",
        "at": AT,
        "actor": MARKETING,
        "text": "called back",
    }
    data.update(fields)
    return data


BAD_INPUT: list[Any] = [
    pytest.param(
        lead_with(company={"employees": "12"}), Lead, ("company.employees",), id="string-for-int"
    ),
    pytest.param(
        lead_with(company={"annual_revenue": {"amount": "lots", "source": "broker"}}),
        Lead,
        ("company.annual_revenue.amount",),
        id="string-for-number",
    ),
    pytest.param(lead_with(company={"name": 42}), Lead, ("company.name",), id="number-for-string"),
    pytest.param(lead_with(id=1.5), Lead, ("id",), id="float-for-id"),
    pytest.param(
        lead_with(company={"employees": True}), Lead, ("company.employees",), id="bool-for-int"
    ),
    pytest.param(lead_with(version="3"), Lead, ("version",), id="string-for-version"),
    pytest.param(json.dumps({"source": LEAD["source"]}), Lead, ("id",), id="missing-id"),
    pytest.param(json.dumps({"id": "L-1"}), Lead, ("source",), id="missing-source"),
    pytest.param(
        json.dumps({k: v for k, v in note().items() if k not in ("at", "text")}),
        Event,
        ("at", "text"),
        id="missing-event-fields",
    ),
    pytest.param(
        lead_with(source={"channel": "web", "captured_at": "2026-03-04T10:00:00"}),
        Lead,
        ("source.captured_at",),
        id="naive-captured-at",
    ),
    pytest.param(json.dumps(note(at="2026-03-04T10:00:00")), Event, ("at",), id="naive-event-time"),
    pytest.param(
        lead_with(interactions=[{"kind": "call", "at": "2026-03-04 10:00"}]),
        Lead,
        ("interactions[0].at",),
        id="naive-interaction-time",
    ),
    pytest.param(
        json.dumps(
            {
                "stages": [{"name": "inquiry", "owners": ["marketing"], "role": "prospect"}],
                "moves": [],
                "initial": "inquiry",
            }
        ),
        Lifecycle,
        ("stages[0].role",),
        id="unknown-stage-role",
    ),
    pytest.param(
        json.dumps(
            {
                "stages": [{"name": "inquiry", "owners": ["robot"]}],
                "moves": [],
                "initial": "inquiry",
            }
        ),
        Lifecycle,
        ("stages[0].owners[0]",),
        id="unknown-owner-kind",
    ),
    pytest.param(
        lead_with(interactions=[{"kind": "carrier_pigeon", "at": AT}]),
        Lead,
        ("interactions[0].kind",),
        id="unknown-interaction-kind",
    ),
    pytest.param(lead_with(owner={"kind": "intern"}), Lead, ("owner.kind",), id="unknown-party"),
    pytest.param(
        json.dumps(
            {"type": "completed", "lead_id": "L-1", "at": AT, "actor": MARKETING, "outcome": "tie"}
        ),
        Event,
        ("outcome",),
        id="unknown-outcome",
    ),
    pytest.param(
        lead_with(company={"annual_revenue": {"amount": -5, "source": "broker"}}),
        Lead,
        ("company.annual_revenue.amount",),
        id="negative-revenue",
    ),
    pytest.param(
        lead_with(company={"employees": -1}), Lead, ("company.employees",), id="negative-employees"
    ),
    pytest.param(lead_with(version=-1), Lead, ("version",), id="negative-version"),
    pytest.param(
        lead_with(needs={"sales_cycle_months": 0}),
        Lead,
        ("needs.sales_cycle_months",),
        id="zero-sales-cycle",
    ),
    pytest.param(lead_with(colour="red"), Lead, ("colour",), id="unknown-key-top"),
    pytest.param(
        lead_with(company={"annual_revenue": {"amount": 1.0, "source": "b", "audited": True}}),
        Lead,
        ("company.annual_revenue.audited",),
        id="unknown-key-depth-3",
    ),
    pytest.param(
        lead_with(interactions=[{"kind": "call", "at": AT, "mood": "good"}]),
        Lead,
        ("interactions[0].mood",),
        id="unknown-key-in-list",
    ),
    pytest.param(json.dumps(note(extra=1)), Event, ("extra",), id="unknown-key-in-event"),
    pytest.param(lead_with(interests="robots"), Lead, ("interests",), id="string-for-list"),
    pytest.param(lead_with(company=[]), Lead, ("company",), id="list-for-table"),
    pytest.param('"hello"', Lead, ("",), id="string-for-lead"),
    pytest.param("{not json", Lead, ("",), id="garbage-json"),
    pytest.param("", Lead, ("",), id="empty-text"),
    pytest.param(
        json.dumps(note(type="lead_teleported")), Event, ("type",), id="unknown-event-type-tag"
    ),
    pytest.param(
        json.dumps({k: v for k, v in note().items() if k != "type"}),
        Event,
        ("type",),
        id="event-without-type-tag",
    ),
    pytest.param(
        json.dumps([note(), note(type="lead_teleported")]),
        tuple[Event, ...],
        ("[1].type",),
        id="unknown-tag-in-history",
    ),
    pytest.param(
        json.dumps([note(), note(text=5)]),
        tuple[Event, ...],
        ("[1].text",),
        id="bad-field-in-history",
    ),
    pytest.param(json.dumps(note(text="  ")), Event, ("text",), id="blank-note"),
    pytest.param(
        lead_with(owner={"kind": "partner"}), Lead, ("owner.partner_id",), id="partner-without-id"
    ),
    pytest.param(
        lead_with(owner={"kind": "sales", "partner_id": "p-1"}),
        Lead,
        ("owner.partner_id",),
        id="sales-with-partner-id",
    ),
    pytest.param(
        lead_with(owner={"kind": "marketing", "team": "events"}),
        Lead,
        ("owner.team",),
        id="marketing-with-team",
    ),
    pytest.param(
        lead_with(
            offers=[
                {
                    "partner_id": "p-1",
                    "offered_at": AT,
                    "expires_at": "2026-03-03T10:00:00+01:00",
                }
            ]
        ),
        Lead,
        ("offers[0].expires_at",),
        id="offer-expires-before-made",
    ),
    pytest.param(
        lead_with(needs={"purchase_decision": "next spring"}),
        Lead,
        ("needs.purchase_decision",),
        id="bad-date",
    ),
    pytest.param(
        lead_with(needs={"purchase_decision": AT}),
        Lead,
        ("needs.purchase_decision",),
        id="datetime-for-date",
    ),
    pytest.param(
        json.dumps(
            {
                "type": "lead_captured",
                "lead_id": "L-1",
                "at": AT,
                "actor": MARKETING,
                "lead": {**LEAD, "company": {"employees": -3}},
            }
        ),
        Event,
        ("lead.company.employees",),
        id="bad-field-inside-captured-lead",
    ),
    pytest.param(
        lead_with(owner={"kind": "partner"}, company={"employees": -1}),
        Lead,
        ("company.employees", "owner.partner_id"),
        id="two-problems-both-named",
    ),
    pytest.param(
        json.dumps(
            {
                "stages": [
                    {"name": "inquiry", "owners": ["marketing"]},
                    {"name": "mql", "owners": ["marketing"]},
                ],
                "moves": [],
                "initial": "inquiry",
            }
        ),
        Lifecycle,
        ("stages",),
        id="unreachable-stage",
    ),
    pytest.param(
        json.dumps(
            {
                "stages": [{"name": "inquiry", "owners": ["marketing"]}],
                "moves": [["inquiry", "inquiry", "mql"]],
                "initial": "inquiry",
            }
        ),
        Lifecycle,
        ("moves[0]",),
        id="move-with-three-ends",
    ),
    pytest.param(
        "9" * 400,
        float,
        ("",),
        id="number-too-large-for-float",
    ),
    pytest.param(
        '{"amount": ' + "9" * 5000 + ', "source": "b"}',
        Revenue,
        ("amount",),
        id="integer-literal-too-long",
    ),
    pytest.param(
        '{"expires_in": 1e20}',
        OfferToPartners,
        ("expires_in",),
        id="duration-beyond-a-timedelta",
    ),
]


class TestBadInput:
    @pytest.mark.parametrize(("text", "cls", "paths"), BAD_INPUT)
    def test_bad_input_names_the_bad_fields(
        self, text: str, cls: Any, paths: tuple[str, ...]
    ) -> None:
        """Malformed input raises ValidationError naming exactly the bad field paths."""
        with pytest.raises(ValidationError) as info:
            from_json(text, cls)
        assert type(info.value) is ValidationError
        assert info.value.paths == paths

    def test_table_is_large_enough(self) -> None:
        """The bad-input table keeps at least twenty malformed payloads."""
        assert len(BAD_INPUT) >= 20

    def test_garbage_json_message_gives_line_and_column(self) -> None:
        """A syntax error in the JSON says where it is."""
        with pytest.raises(ValidationError, match="line 1 column 2"):
            from_json("{not json", Lead)


class TestWriting:
    def test_datetimes_keep_their_offset(self) -> None:
        """A datetime is written as ISO 8601 with its UTC offset."""
        at = datetime(2026, 3, 4, 10, 0, tzinfo=timezone(timedelta(hours=1)))
        source = Source(channel="exhibition", captured_at=at)
        assert json.loads(to_json(source))["captured_at"] == "2026-03-04T10:00:00+01:00"

    def test_events_in_a_union_carry_a_snake_case_tag(self) -> None:
        """An event written as `Event` carries ``"type": "stage_changed"``."""
        event = StageChanged(
            lead_id="L-1",
            at=datetime(2026, 3, 4, tzinfo=UTC),
            actor=Party.marketing(),
            from_stage="inquiry",
            to_stage="mql",
        )
        assert json.loads(to_json(event, Event))["type"] == "stage_changed"
        assert "type" not in json.loads(to_json(event))

    def test_tag_of_is_the_snake_case_class_name(self) -> None:
        """The tag is derived from the class name."""
        assert tag_of(NoteAdded) == "note_added"

    def test_owner_kinds_are_written_sorted(self) -> None:
        """Frozensets are written as sorted lists so the same lifecycle gives the same text."""
        data = json.loads(to_json(STANDARD_LIFECYCLE))
        mql = next(s for s in data["stages"] if s["name"] == "mql")
        assert mql["owners"] == ["marketing", "sales"]
        assert to_json(STANDARD_LIFECYCLE) == to_json(
            from_json(to_json(STANDARD_LIFECYCLE), Lifecycle)
        )

    def test_plain_data_reads_back(self) -> None:
        """structure(unstructure(x)) gives x back for a value holding an enum."""
        party = Party.sales(team="direct")
        assert structure(unstructure(party), Party) == party

    def test_plain_data_holds_plain_strings(self) -> None:
        """Unstructured data holds the enum's string value, equal to the plain string."""
        assert unstructure(Party.marketing())["kind"] == "marketing"


class TestDatetimes:
    def test_zone_becomes_its_offset(self) -> None:
        """A zoneinfo datetime reads back as the same instant with a fixed offset."""
        at = datetime(2026, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
        back: Interaction = from_json(
            to_json(Interaction(kind=InteractionKind.CALL, at=at)), Interaction
        )
        assert back.at == at
        assert back.at.utcoffset() == timedelta(hours=2)

    def test_repeated_wall_time_keeps_its_instant(self) -> None:
        """The second 02:30 of a clock change keeps its offset and instant (not zone equality)."""
        at = datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin"))
        back: Interaction = from_json(
            to_json(Interaction(kind=InteractionKind.CALL, at=at)), Interaction
        )
        assert back.at.timestamp() == at.timestamp()
        assert back.at.utcoffset() == timedelta(hours=1)


class TestFiles:
    def test_toml_reads_a_lifecycle_like_json(self) -> None:
        """A lifecycle written in TOML reads the same as its JSON."""
        text = """
initial = "new"
moves = [["new", "won"]]

[[stages]]
name = "new"
owners = ["marketing"]

[[stages]]
name = "won"
owners = ["customer_marketing"]
"""
        lifecycle: Lifecycle = from_toml(text, Lifecycle)
        assert lifecycle.allowed_from("new") == ("won",)

    def test_bad_toml_is_a_validation_error(self) -> None:
        """Broken TOML is refused as input, not as a crash."""
        with pytest.raises(ValidationError):
            from_toml("initial = ", Lifecycle)

    def test_load_file_by_suffix(self, tmp_path: Path) -> None:
        """A .json file loads as the requested class."""
        path = tmp_path / "lifecycle.json"
        path.write_text(to_json(STANDARD_LIFECYCLE), encoding="utf-8")
        assert load_file(path, Lifecycle) == STANDARD_LIFECYCLE

    def test_load_file_names_the_file_in_errors(self, tmp_path: Path) -> None:
        """A bad field in a file is reported with the file name in its path."""
        path = tmp_path / "revenue.json"
        path.write_text('{"amount": -1, "source": "broker"}', encoding="utf-8")
        with pytest.raises(ValidationError) as info:
            load_file(path, Revenue)
        assert info.value.paths == (f"{path}: amount",)

    def test_load_file_refuses_unknown_suffix(self, tmp_path: Path) -> None:
        """Only .json and .toml are understood."""
        path = tmp_path / "lifecycle.yaml"
        path.write_text("initial: inquiry", encoding="utf-8")
        with pytest.raises(ValidationError, match="unknown file type"):
            load_file(path, Lifecycle)

    def test_load_file_refuses_a_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a ValidationError naming it."""
        with pytest.raises(ValidationError) as info:
            load_file(tmp_path / "nope.json", Lifecycle)
        assert info.value.paths == (str(tmp_path / "nope.json"),)


class TestHistories:
    """A lead's history written to JSON and read back."""

    def test_a_history_round_trips_without_naming_its_type(self) -> None:
        """to_json(history) tags each event, so from_json reads the same events back."""
        _, history = accepted_by("p-gold")

        text = to_json(history)

        assert json.loads(text)[0]["type"] == "lead_captured"
        assert from_json(text, tuple[Event, ...]) == history

    def test_a_list_of_events_is_tagged_too(self) -> None:
        """A list of events from a host's own code is written the same way as the tuple."""
        _, history = accepted_by("p-gold")

        assert to_json(list(history)) == to_json(history, tuple[Event, ...])

    def test_a_tuple_of_other_values_stays_untagged(self) -> None:
        """Only events get tags: a tuple of parties is written as plain tables."""
        text = to_json((Party.sales(), Party.marketing()))

        assert "type" not in json.loads(text)[0]
