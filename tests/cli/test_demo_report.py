"""The demo's report: the same for a seed, and in agreement with the stored histories."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from leadpipeline import Event, Outcome, SqliteStore, sla_attainment, waterfall
from leadpipeline.analytics import partner_scorecard
from leadpipeline.cli import demo_playbook
from leadpipeline.events import Completed, Escalated, Reclaimed, Rejected, Returned, SlaBreached
from tests.cli.helpers import GOLDEN, GOLDEN_ARGS, numbers, run, section


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The golden demo, run once with its database kept: (printed report, database)."""
    db = tmp_path_factory.mktemp("golden") / "demo.db"
    result = run(*GOLDEN_ARGS, "--db", db)
    assert result.returncode == 0, result.stderr
    return result.stdout, db


@pytest.fixture(scope="module")
def histories(golden_run: tuple[str, Path]) -> list[tuple[Event, ...]]:
    """Every stored history of the golden demo, read straight from its SQLite file."""
    with SqliteStore(golden_run[1]) as store:
        return [store.history(lead.id) for lead in store.query()]


class TestGolden:
    def test_report_matches_the_checked_in_text(self, golden_run: tuple[str, Path]) -> None:
        """`demo --leads 40 --seed 3` prints exactly tests/cli/golden_demo.txt.

        After an intended change, regenerate it with
        ``python -m leadpipeline demo --leads 40 --seed 3 > tests/cli/golden_demo.txt``
        and review the difference.
        """
        assert golden_run[0] == GOLDEN.read_text(encoding="utf-8")

    def test_another_seed_tells_another_story(self) -> None:
        """A different seed gives a different report, so the golden file pins the seed."""
        other = run("demo", "--leads", "40", "--seed", "4")
        assert other.returncode == 0, other.stderr
        assert other.stdout != GOLDEN.read_text(encoding="utf-8")

    def test_every_turn_of_the_journey_happens(self, golden_run: tuple[str, Path]) -> None:
        """The demo shows rejections, returns, re-routing, breaches, escalations, completions."""
        journey = {
            line[:27].strip(): numbers(line)[0] for line in section(golden_run[0], "journey")
        }
        for turn in (
            "rejected by sales",
            "returned by partners",
            "re-routed to a partner",
            "SLA breaches",
            "escalation steps",
            "completed",
        ):
            assert journey[turn] > 0, turn


class TestAgreesWithAnalytics:
    def test_waterfall(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each printed waterfall step has the counts `analytics.waterfall` computes."""
        printed = [numbers(line) for line in section(golden_run[0], "waterfall")]
        steps = waterfall(histories).total.conversions
        assert printed == [[s.from_leads, s.to_leads] for s in steps]
        assert golden_run[0].startswith(f"leads: {len(histories)} ")

    def test_sla_attainment(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each printed SLA line has the figures `analytics.sla_attainment` computes as of then."""
        header = golden_run[0].splitlines()[0]
        match = re.search(r"as of (\S+)\)", header)
        assert match is not None
        as_of = datetime.fromisoformat(match.group(1))
        playbook = demo_playbook()
        calendars = playbook.party_calendars  # each partner's own: one works from Vienna
        stats = sla_attainment(histories, playbook.sla_policies, calendars, now=as_of)
        printed = {
            line.split()[0]: numbers(line) for line in section(golden_run[0], "SLA attainment")
        }
        assert printed == {s.policy: [s.on_time, s.late, s.open, s.overdue] for s in stats.policies}

    def test_partner_scorecard(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each printed partner line has the figures `analytics.partner_scorecard` computes."""
        printed = {
            line.split()[0]: numbers(line) for line in section(golden_run[0], "partner scorecard")
        }
        expected = {
            p.partner_id: [
                p.offers,
                p.accepts,
                p.returns,
                p.reclaims,
                p.completed,
                p.wins,
            ]
            for p in partner_scorecard(histories).partners
        }
        assert printed == expected

    def test_journey_and_reasons(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """The journey counts and the reason tables match the events in the histories."""
        events = [e for h in histories for e in h]
        journey = {
            line[:27].strip(): numbers(line)[0] for line in section(golden_run[0], "journey")
        }
        kinds = Counter(type(e) for e in events)
        completed = [e for e in events if isinstance(e, Completed)]
        assert journey["rejected by sales"] == kinds[Rejected]
        assert journey["returned by partners"] == kinds[Returned]
        assert journey["reclaimed from partners"] == kinds[Reclaimed]
        assert journey["SLA breaches"] == kinds[SlaBreached]
        assert journey["escalation steps"] == kinds[Escalated]
        assert journey["completed"] == len(completed)
        won = sum(e.outcome is Outcome.WON for e in completed)
        assert f"(won {won}, lost {len(completed) - won})" in golden_run[0]
        rerouted = sum(
            isinstance(e, Returned | Reclaimed) and e.routing == "next_partner" for e in events
        )
        assert journey["re-routed to a partner"] == rerouted
        for title, kind in (("return reasons", Returned), ("rejection reasons", Rejected)):
            printed = {line.split()[0]: numbers(line)[0] for line in section(golden_run[0], title)}
            assert printed == Counter(e.reason for e in events if isinstance(e, kind))


class TestProgress:
    def test_shown_on_a_terminal(self) -> None:
        """With standard error on a terminal, the demo rewrites one progress line there."""
        pty = pytest.importorskip("pty")
        main_fd, child_fd = pty.openpty()
        with subprocess.Popen(
            [sys.executable, "-m", "leadpipeline", "demo", "--leads", "6"],
            stdout=subprocess.PIPE,
            stderr=child_fd,
        ) as proc:
            os.close(child_fd)
            seen = b""
            while True:
                try:
                    chunk = os.read(main_fd, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            out, _ = proc.communicate()
        os.close(main_fd)
        assert proc.returncode == 0
        assert b"\r demo: 6/6 leads" in seen
        assert b"demo:" not in out

    def test_never_when_piped(self) -> None:
        """With standard error piped, the demo writes nothing there."""
        result = run("demo", "--leads", "3")
        assert result.returncode == 0
        assert result.stderr == ""
