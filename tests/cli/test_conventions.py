"""The command line behaves like other tools: --version, - for stdin, --json, clear ratios."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from leadpipeline import to_json
from tests.cli.helpers import lines_of, refusal, run
from tests.cli.test_commands import fair_lead

NOW = "2026-03-03T09:00:00+00:00"


def _scored(n: int) -> str:
    """`n` scored leads: every third won, scores 0 to n-1."""
    return lines_of([json.dumps({"score": s, "won": s % 3 == 0}) for s in range(n)])


class TestVersion:
    def test_prints_the_installed_version(self) -> None:
        """`--version` prints the program and its version, and exits 0."""
        result = run("--version")
        assert result.returncode == 0
        assert result.stdout.startswith("leadpipeline ")
        assert result.stdout.split()[1][0].isdigit()


class TestStdin:
    def test_score_reads_leads_from_stdin(self) -> None:
        """`score -` reads the JSON lines from standard input."""
        leads = lines_of([to_json(fair_lead(1)), to_json(fair_lead(2, 20))])
        result = run("score", "-", "--now", NOW, stdin=leads)
        assert result.returncode == 0, result.stderr
        assert [json.loads(line)["lead_id"] for line in result.stdout.splitlines()] == [
            "L-1",
            "L-2",
        ]

    def test_sweep_reads_from_stdin_and_names_it_in_errors(self) -> None:
        """`sweep -` reads standard input; a bad line is named as <stdin>, line N."""
        assert run("sweep", "-", stdin=_scored(40)).returncode == 0
        message = refusal(run("sweep", "-", stdin='{"score": 1, "won": true}\n{"score": 2}\n'))
        assert message == "leadpipeline: <stdin>: line 2: won: required field missing"

    def test_playbook_from_stdin(self, tmp_path: Path) -> None:
        """`--playbook -` reads the playbook (TOML) from standard input."""
        template = run("playbook", "init").stdout
        leads = tmp_path / "leads.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        result = run("score", leads, "--playbook", "-", "--now", NOW, stdin=template)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["lead_id"] == "L-1"


class TestScoreFeedsSweep:
    def test_score_cards_with_an_outcome_column_are_swept(self, tmp_path: Path) -> None:
        """The lines `score` prints, with an outcome column added, are `sweep` input."""
        leads = tmp_path / "leads.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(n, 20 + 40 * n)) for n in range(1, 7)]))
        cards = [
            json.loads(line)
            for line in run("score", leads, "--now", NOW).stdout.split("\n")
            if line
        ]
        for i, card in enumerate(cards):
            card["outcome"] = "won" if i % 2 else "lost"
        result = run("sweep", "-", "--json", "--step", "0", stdin=lines_of(map(json.dumps, cards)))
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["leads"] == 6
        assert data["wins"] == 3
        assert data["points"][0]["volume"] == 6

    def test_a_card_without_an_outcome_is_refused_saying_what_to_add(self) -> None:
        """A score card lacking won/outcome is refused with the column to add."""
        message = refusal(run("sweep", "-", stdin='{"lead_id": "L-1", "total": 50}\n'))
        assert "line 1" in message
        assert "outcome" in message


class TestSweepStep:
    def test_one_row_every_step_points(self) -> None:
        """`--step 25` prints rows at 0, 25, 50 and 75 for scores 0..99, not 100 rows."""
        result = run("sweep", "-", "--step", "25", stdin=_scored(100))
        assert result.returncode == 0, result.stderr
        rows = result.stdout.splitlines()[1:-1]
        assert [float(r.split()[0]) for r in rows] == [0, 25, 50, 75]

    def test_step_zero_prints_every_distinct_score(self) -> None:
        """`--step 0` keeps one row per distinct score."""
        result = run("sweep", "-", "--step", "0", stdin=_scored(12))
        assert len(result.stdout.splitlines()) == 1 + 12 + 1

    def test_json_output(self) -> None:
        """`sweep --json` prints the rows and the suggestion as one JSON document."""
        result = run("sweep", "-", "--json", "--min-conversion", "30%", stdin=_scored(100))
        data = json.loads(result.stdout)
        assert data["suggestion"]["reason"].startswith("hand over at score >= ")
        assert data["suggestion"]["threshold"] == 0.0  # a third of all leads is won
        assert {"threshold", "volume", "wins", "conversion"} <= set(data["points"][0])


class TestRatios:
    @pytest.mark.parametrize(("given", "shown"), [("0.3", "30.0%"), ("30%", "30.0%")])
    def test_a_share_or_a_percentage(self, given: str, shown: str) -> None:
        """`--min-conversion` takes 0.3 or 30%, both meaning thirty percent."""
        result = run("sweep", "-", "--min-conversion", given, stdin=_scored(100))
        assert result.returncode == 0, result.stderr
        assert f"conversion at least {shown}" in result.stdout.splitlines()[-1]

    def test_fifty_without_a_percent_sign_is_refused(self) -> None:
        """`--min-conversion 50` is not read as 5000%: it is refused with the fix."""
        message = refusal(run("sweep", "-", "--min-conversion", "50", stdin=_scored(5)))
        assert "for 50% write 50%" in message

    def test_the_suggestion_needs_thirty_leads_by_default(self) -> None:
        """On 10 leads no threshold is suggested; the text says why."""
        result = run("sweep", "-", "--min-conversion", "10%", stdin=_scored(10))
        assert "none (no threshold gives" in result.stdout
        assert "on at least 30 leads" in result.stdout


class TestNowHint:
    def test_the_hint_is_accepted_as_given(self, tmp_path: Path) -> None:
        """The refusal of a naive --now suggests a value that is then accepted."""
        leads = tmp_path / "leads.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        message = refusal(run("score", leads, "--now", "2026-06-01"))
        hint = message.split("e.g. ")[1].split()[0]
        assert hint == "2026-06-01T00:00:00+00:00"
        assert run("score", leads, "--now", hint).returncode == 0


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo's SQLite file."""
    path = tmp_path_factory.mktemp("formats") / "demo.db"
    assert run("demo", "--leads", "20", "--seed", "2", "--db", path).returncode == 0
    return path


class TestReportFormats:
    def test_json(self, db: Path) -> None:
        """`report --json` gives the same figures as the text, as JSON."""
        data = json.loads(run("report", "--db", db, "--json").stdout)
        text = run("report", "--db", db).stdout
        assert data["leads"] == 20
        assert data["simulation"] is None
        assert (
            f"{data['journey']['offered_leads']} leads, in {data['journey']['offers']} offers"
            in text
        )
        assert next(r["stage"] for r in data["funnel"]["reached"]) == "inquiry"
        assert all(line["description"] for line in data["sla"])

    def test_csv(self, db: Path) -> None:
        """`report --csv` is one long table: section, item, measure, value."""
        rows = list(csv.DictReader(io.StringIO(run("report", "--db", db, "--csv").stdout)))
        assert rows[0] == {"section": "summary", "item": "", "measure": "leads", "value": "20"}
        funnel = [r for r in rows if r["section"] == "funnel"]
        assert funnel[0]["item"] == "inquiry"
        assert funnel[0]["value"] == "20"
        assert {r["section"] for r in rows} >= {"journey", "sla", "funnel"}

    def test_json_and_csv_exclude_each_other(self, db: Path) -> None:
        """Asking for both is a usage error."""
        assert run("report", "--db", db, "--json", "--csv").returncode == 2

    def test_html_to_a_missing_folder_is_refused(self, db: Path, tmp_path: Path) -> None:
        """`--html` into a folder that does not exist is refused before any work."""
        message = refusal(run("report", "--db", db, "--html", tmp_path / "nope" / "r.html"))
        assert "no such folder" in message
