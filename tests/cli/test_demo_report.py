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

RETURNS = "return reasons"  # its heading goes on: "(and where each lead went next)"


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
        assert f"\nleads: {len(histories)} (as of " in golden_run[0]

    def test_sla_attainment(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each printed SLA line has the figures `analytics.sla_attainment` computes as of then."""
        match = re.search(r"^leads: \d+ \(as of ([^,]+),", golden_run[0], re.MULTILINE)
        assert match is not None
        as_of = datetime.fromisoformat(match.group(1))
        playbook = demo_playbook()
        calendars = playbook.party_calendars  # each partner's own: one works from Vienna
        stats = sla_attainment(histories, playbook.sla_policies, calendars, now=as_of)
        body = section(golden_run[0], "SLA attainment")
        printed = {
            name.strip(): numbers(figures)
            for name, figures in zip(body[::2], body[1::2], strict=True)
        }
        described = {p.name: p.description for p in playbook.sla_policies}
        assert printed == {
            described[s.policy]: [s.on_time, s.late, s.open, s.overdue] for s in stats.policies
        }

    def test_partner_scorecard(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each printed partner line has the figures `analytics.partner_scorecard` computes."""
        body = section(golden_run[0], "partner scorecard")
        printed = {
            name.strip(): numbers(figures)
            for name, figures in zip(body[::2], body[1::2], strict=True)
        }
        roster = demo_playbook()
        expected = {
            f"{roster.partner(p.partner_id).name} ({roster.partner(p.partner_id).grade})": [
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
        offered = [h for h in histories if any(isinstance(e, Offered) for e in h)]
        assert journey["offered to partners"] == len(offered)
        assert f"{len(offered)} leads, in {kinds[Offered]} offers" in golden_run[0]
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
        playbook = demo_playbook()
        labels = {r.code: r.label for r in playbook.rejection_reasons}
        labels |= {r.code: r.label for r in playbook.return_policy.reasons}
        for title, kind in ((RETURNS, Returned), ("rejection reasons", Rejected)):
            printed = {
                line[:32].strip(): numbers(line)[0] for line in section(golden_run[0], title)
            }
            assert printed == Counter(labels[e.reason] for e in events if isinstance(e, kind))

    def test_return_reasons_with_where_each_lead_went_next(
        self, golden_run: tuple[str, Path], histories: list[tuple[Event, ...]]
    ) -> None:
        """Each return reason line counts its returns and names where each lead went next."""
        playbook = demo_playbook()
        labels = {r.code: r.label for r in playbook.return_policy.reasons}
        names = {p.id: p.name or p.id for p in playbook.partners}
        expected: dict[str, Counter[str]] = {}
        for history in histories:
            for i, event in enumerate(history):
                if isinstance(event, Returned):
                    to = went_next(history, i)
                    expected.setdefault(labels[event.reason], Counter())[names.get(to, to)] += 1
        printed: dict[str, Counter[str]] = {}
        for line in section(golden_run[0], RETURNS):
            head, _, tail = line.partition("  -> ")
            reason, count = head[:32].strip(), int(head[32:])
            nexts = Counter(
                {to: int(n) for to, n in (pair.rsplit(" ", 1) for pair in tail.split(", "))}
            )
            assert sum(nexts.values()) == count
            printed[reason] = nexts
        assert printed == expected
        assert any(to in names.values() for n in printed.values() for to in n)

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


class TestSaysWhatItSimulated:
    def test_seed_leads_and_period_come_first(self, golden_run: tuple[str, Path]) -> None:
        """The report opens by saying the data is simulated, with its seed, leads and period."""
        head = golden_run[0].splitlines()[:3]
        assert head[0].startswith("SIMULATED DATA")
        assert "seed 5, 40 leads" in head[1]
        assert re.search(r"captured 2026-01-05 \d\d:\d\d UTC to 2026-01-\d\d", head[2])

    def test_report_of_a_store_does_not_claim_simulation(
        self, golden_run: tuple[str, Path]
    ) -> None:
        """`report --db` on the same file says nothing of a simulation: it cannot know."""
        result = run("report", "--db", golden_run[1])
        assert result.returncode == 0, result.stderr
        assert "SIMULATED" not in result.stdout
        assert result.stdout.startswith("leads: 40 (as of ")

    def test_demo_html_writes_the_page(self, tmp_path: Path) -> None:
        """`demo --html FILE` prints the text report and writes the page beside it."""
        result = run("demo", "--html", tmp_path / "demo.html")
        assert result.returncode == 0, result.stderr
        assert "seed 7, 200 leads" in result.stdout
        assert (tmp_path / "demo.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


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
