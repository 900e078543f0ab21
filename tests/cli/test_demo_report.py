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
from leadpipeline.events import (
    Completed,
    Disqualified,
    Escalated,
    Nurtured,
    Offered,
    OwnerChanged,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
    replay,
)
from tests.cli.helpers import GOLDEN, GOLDEN_ARGS, numbers, run, section

RETURNS = "return reasons (and where each lead went next)"


def went_next(history: tuple[Event, ...], index: int) -> str:
    """Where a returned lead went, read from the events decided with the return."""
    at = history[index].at
    owner = "-"
    for event in history[index + 1 :]:
        if event.at != at:
            break
        if isinstance(event, Offered):
            return event.partner_id
        if isinstance(event, Nurtured):
            return "nurture"
        if isinstance(event, Disqualified):
            return "disqualified"
        if isinstance(event, OwnerChanged):
            owner = str(event.to_owner)
    return owner


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
        """`demo --leads 40 --seed 5` prints exactly tests/cli/golden_demo.txt.

        After an intended change, regenerate it with
        ``python -m leadpipeline demo --leads 40 --seed 5 > tests/cli/golden_demo.txt``
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
            "recycled as stale",
            "dropped as stale",
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
        stats = sla_attainment(histories, playbook.sla_policies, playbook.calendar, now=as_of)
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
        assert journey["recycled as stale"] == sum(
            isinstance(e, Nurtured) and e.rule == "stale" for e in events
        )
        assert journey["dropped as stale"] == sum(
            isinstance(e, Disqualified) and e.rule == "stale" for e in events
        )
        printed = {
            line.split()[0]: numbers(line)[0]
            for line in section(golden_run[0], "rejection reasons")
        }
        assert printed == Counter(e.reason for e in events if isinstance(e, Rejected))

    def test_return_reasons_with_where_each_lead_went_next(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each return reason line counts its returns and names where each lead went next."""
        expected: dict[str, Counter[str]] = {}
        for history in histories:
            for i, event in enumerate(history):
                if isinstance(event, Returned):
                    expected.setdefault(event.reason, Counter())[went_next(history, i)] += 1
        printed: dict[str, Counter[str]] = {}
        for line in section(golden_run[0], RETURNS):
            reason, count, _, *rest = line.split()
            nexts = Counter(
                {to: int(n) for to, n in (pair.split() for pair in " ".join(rest).split(", "))}
            )
            assert sum(nexts.values()) == int(count)
            printed[reason] = nexts
        assert printed == expected
        assert any(to.startswith("p-") for n in printed.values() for to in n)

    def test_a_lead_that_did_not_fit_went_to_a_partner_knowing_its_industry(
        self, histories: list[tuple[Event, ...]]
    ) -> None:
        """After 'project does not fit' the next offer went to a partner that knows the industry."""
        roster = {p.id: p for p in demo_playbook().partners}
        checked = 0
        for history in histories:
            for i, event in enumerate(history):
                if isinstance(event, Returned) and event.reason == "project_does_not_fit":
                    to = went_next(history, i)
                    if to in roster:
                        industry = replay(history[:i]).company.industry
                        assert industry in roster[to].competences, (to, industry)
                        checked += 1
        assert checked > 0


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
