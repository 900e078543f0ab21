"""Playbook durations as people write them, and the playbook TOML a person can read."""

from __future__ import annotations

import tomllib
from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline import Playbook, ValidationError
from leadpipeline._durations import duration_text, parse_duration
from leadpipeline.cli import playbook_template
from leadpipeline.playbook import DEFAULT_PLAYBOOK
from leadpipeline.rules.sla import TimeBasis
from leadpipeline.serialization import from_toml, to_toml


class TestParse:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("3d", timedelta(days=3)),
            ("8h", timedelta(hours=8)),
            ("30m", timedelta(minutes=30)),
            ("1h30m", timedelta(minutes=90)),
            ("1d 12h", timedelta(hours=36)),
            ("2w", timedelta(days=14)),
            ("P3D", timedelta(days=3)),
            ("PT8H", timedelta(hours=8)),
            ("P1DT2H30M", timedelta(hours=26, minutes=30)),
            ("PT0.5S", timedelta(seconds=0.5)),
        ],
    )
    def test_short_and_iso_forms(self, text: str, expected: timedelta) -> None:
        """Each written form reads as the duration it says."""
        assert parse_duration(text) == expected

    @pytest.mark.parametrize("text", ["", "3", "3 days", "P", "PT", "8x", "-3d"])
    def test_other_text_is_refused_with_the_forms(self, text: str) -> None:
        """Text in no accepted form is refused with examples of what to write."""
        with pytest.raises(ValueError, match='"8h"'):
            parse_duration(text)

    def test_years_and_months_are_refused(self) -> None:
        """A month has no fixed length, so P1M is refused, saying to use days."""
        with pytest.raises(ValueError, match="no fixed length"):
            parse_duration("P1M")

    @given(st.integers(min_value=0, max_value=10**8))
    def test_written_text_reads_back(self, seconds: int) -> None:
        """`duration_text` writes what `parse_duration` reads back exactly, with or without days."""
        duration = timedelta(seconds=seconds)
        assert parse_duration(duration_text(duration)) == duration
        assert parse_duration(duration_text(duration, days=False)) == duration


POLICY_TOML = """
[[sla_policies]]
name = "quote_follow_up"
description = "Sales follows up a quote within three working days."
starts_on = "Accepted"
stops_on = [{ event = "InteractionRecorded" }]
allowed = "{allowed}"
basis = "business"

[[sla_policies.escalation]]
action = "notify_manager"
after = "PT4H"
"""


class TestPlaybookFiles:
    @pytest.mark.parametrize("allowed", ["24h", "PT24H", "86400"])
    def test_a_policy_written_by_hand_loads(self, allowed: str) -> None:
        """Durations in a playbook file may be "24h", ISO 8601, or (as before) seconds."""
        text = POLICY_TOML.replace('"{allowed}"', allowed if allowed.isdigit() else f'"{allowed}"')
        playbook = from_toml(text, Playbook)
        policy = playbook.sla_policies[0]
        assert policy.allowed == timedelta(hours=24)
        assert policy.basis is TimeBasis.BUSINESS
        assert policy.escalation[0].after == timedelta(hours=4)

    def test_a_bad_duration_names_its_path(self) -> None:
        """A duration in no accepted form is refused naming the policy's field."""
        with pytest.raises(ValidationError) as exc:
            from_toml(POLICY_TOML.replace("{allowed}", "three days"), Playbook)
        assert exc.value.paths == ("sla_policies[0].allowed",)

    def test_business_time_is_written_in_working_hours(self) -> None:
        """A business-time SLA of three 8-hour working days is written "24h", never "1d"."""
        data = tomllib.loads(playbook_template())
        for policy in data["sla_policies"]:
            assert policy["basis"] in {"business", "wall_clock"}  # stated on every policy
            if policy["basis"] == "business":
                assert "d" not in policy["allowed"]
                assert all("d" not in step["after"] for step in policy.get("escalation", []))
        offer = next(p for p in data["sla_policies"] if p["name"] == "partner_offer_response")
        assert offer["allowed"] == "24h"
        completion = next(p for p in data["sla_policies"] if p["name"] == "partner_completion")
        assert completion["allowed"] == "90d"

    def test_each_policy_is_a_multi_line_table(self) -> None:
        """Policies are [[sla_policies]] tables, one key a line; no line runs past 200 chars."""
        text = playbook_template()
        assert text.count("\n[[sla_policies]]\n") == len(DEFAULT_PLAYBOOK.sla_policies)
        long_lines = [
            line for line in text.splitlines() if len(line) > 200 and not line.startswith("#")
        ]
        assert long_lines == []

    def test_the_written_playbook_loads_back_equal(self) -> None:
        """A changed playbook written as TOML reads back as the same value."""
        policy = attrs.evolve(
            DEFAULT_PLAYBOOK.sla_policies[1], allowed=timedelta(hours=12, minutes=30)
        )
        changed = attrs.evolve(DEFAULT_PLAYBOOK, sla_policies=(policy,))
        assert from_toml(to_toml(changed), Playbook) == changed
