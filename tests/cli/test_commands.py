"""Each subcommand's happy path and help, run as a child process."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from leadpipeline import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Playbook,
    Revenue,
    Source,
    to_json,
)
from leadpipeline.serialization import load_file
from tests.cli.helpers import lines_of, run

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fair_lead(n: int, employees: int = 800) -> Lead:
    """A lead met at the spring trade fair, with a form submit on the same day."""
    return Lead(
        id=f"L-{n}",
        source=Source(channel="exhibition", campaign="fair-2026", captured_at=AT),
        contact=Contact(first_name="Ada", last_name=f"Lind{n}", email=f"ada{n}@acme.example"),
        company=Company(
            name=f"Acme {n}",
            industry="manufacturing",
            employees=employees,
            annual_revenue=Revenue(amount=employees * 50_000.0, source="address-broker"),
        ),
        interactions=(
            Interaction(kind=InteractionKind.EXHIBITION, at=AT),
            Interaction(kind=InteractionKind.FORM_SUBMIT, at=AT),
        ),
    )


class TestHelp:
    @pytest.mark.parametrize(
        "command",
        [
            (),
            ("demo",),
            ("report",),
            ("score",),
            ("sweep",),
            ("playbook",),
            ("playbook", "init"),
            ("schema",),
        ],
        ids=lambda c: " ".join(c) or "leadpipeline",
    )
    def test_every_command_explains_itself(self, command: tuple[str, ...]) -> None:
        """`--help` on every command prints its usage and options and exits 0."""
        result = run(*command, "--help")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: leadpipeline {' '.join(command)}".rstrip())
        assert "--help" in result.stdout

    def test_the_console_script_calls_main(self) -> None:
        """The installed `leadpipeline` script is wired to `leadpipeline.cli:main`."""
        (script,) = [e for e in entry_points(group="console_scripts") if e.name == "leadpipeline"]
        assert script.value == "leadpipeline.cli:main"

    def test_the_console_script_exits_with_mains_code(self) -> None:
        """The installed script turns a refusal into a non-zero exit status, like -m."""
        script = Path(sys.executable).with_name("leadpipeline")
        if not script.exists():
            pytest.skip("the package is not installed with its console script here")
        import subprocess  # noqa: PLC0415  # only this test runs the script itself

        done = subprocess.run(
            [str(script), "score", "no-such-file.jsonl"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 2
        assert "no-such-file.jsonl" in done.stderr


class TestDemo:
    def test_prints_the_report(self) -> None:
        """A small demo prints every section of the report and exits 0."""
        result = run("demo", "--leads", "12", "--seed", "5")
        assert result.returncode == 0, result.stderr
        for section in ("waterfall (", "journey (", "SLA attainment (", "partner scorecard\n"):
            assert f"\n{section}" in result.stdout
        assert "\nleads: 12 " in result.stdout

    def test_keeps_the_database_for_report(self, tmp_path: Path) -> None:
        """`--db` keeps the SQLite file, and `report --db` prints the same report from it."""
        db = tmp_path / "demo.db"
        demo = run("demo", "--leads", "10", "--seed", "2", "--db", db)
        assert demo.returncode == 0, demo.stderr
        assert db.is_file()
        again = run("report", "--db", db)
        assert again.returncode == 0, again.stderr
        # the same figures; only the demo can say its data was simulated
        assert again.stdout.split("\nwaterfall")[1] == demo.stdout.split("\nwaterfall")[1]
        assert "SIMULATED" in demo.stdout

    def test_report_as_of_a_later_instant(self, tmp_path: Path) -> None:
        """`report --now` moves the as-of instant the SLA figures are judged at."""
        db = tmp_path / "demo.db"
        assert run("demo", "--leads", "5", "--db", db).returncode == 0
        result = run("report", "--db", db, "--now", "2027-01-01T00:00:00+00:00")
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("leads: 5 (as of 2027-01-01T00:00:00+00:00, ")


class TestScore:
    def test_prints_one_score_card_per_lead(self, tmp_path: Path) -> None:
        """Each lead of a JSON-lines file yields one JSON score card, in file order."""
        leads = tmp_path / "fair.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1)), "", to_json(fair_lead(2, 20))]))
        result = run("score", leads, "--now", "2026-03-03T09:00:00+00:00")
        assert result.returncode == 0, result.stderr
        cards = [json.loads(line) for line in result.stdout.splitlines()]
        assert [c["lead_id"] for c in cards] == ["L-1", "L-2"]
        assert cards[0]["at"] == "2026-03-03T09:00:00+00:00"
        assert cards[0]["total"] > cards[1]["total"]  # 800 staff fit better than 20

    def test_uses_the_given_playbook(self, tmp_path: Path) -> None:
        """`--playbook` loads the scoring model from a TOML file."""
        playbook = tmp_path / "playbook.toml"
        assert run("playbook", "init", playbook).returncode == 0
        leads = tmp_path / "fair.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        result = run("score", leads, "--playbook", playbook, "--now", "2026-03-03T09:00Z")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["lead_id"] == "L-1"


class TestSweep:
    def test_back_tests_thresholds_and_suggests_one(self, tmp_path: Path) -> None:
        """Scored, closed leads give one row per threshold and a suggested threshold."""
        rows = [
            {"score": 90, "won": True},
            {"score": 80, "won": True},
            {"score": 60, "won": False},
            {"score": 40, "won": False},
        ]
        scored = tmp_path / "scored.jsonl"
        scored.write_text(lines_of([json.dumps(r) for r in rows]))
        result = run(
            "sweep", scored, "--months", "1", "--volume-per-month", "2", "--min-leads", "1"
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0].split() == ["threshold", "volume", "wins", "conversion", "recall", "lift"]
        assert lines[-1].startswith("suggested threshold: 80")

    def test_without_a_goal_only_explains_how_to_get_a_suggestion(self, tmp_path: Path) -> None:
        """With neither volume nor conversion goal the sweep says which option to give."""
        scored = tmp_path / "scored.jsonl"
        scored.write_text(lines_of(['{"score": 70, "won": true}', '{"score": 30, "won": false}']))
        result = run("sweep", scored)
        assert result.returncode == 0, result.stderr
        assert "--volume-per-month" in result.stdout.splitlines()[-1]


class TestPlaybookInit:
    def test_writes_a_loadable_playbook(self, tmp_path: Path) -> None:
        """`playbook init FILE` writes commented TOML that loads back as the default."""
        target = tmp_path / "playbook.toml"
        result = run("playbook", "init", target)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"wrote {target}\n"
        text = target.read_text()
        assert text.startswith("# leadpipeline playbook")
        assert load_file(target, Playbook) == Playbook()

    def test_prints_to_stdout_without_a_file(self) -> None:
        """Without a file the TOML goes to standard output."""
        result = run("playbook", "init")
        assert result.returncode == 0, result.stderr
        assert "[partner_policy]" in result.stdout

    def test_force_replaces_an_existing_file(self, tmp_path: Path) -> None:
        """`--force` replaces a file that is already there."""
        target = tmp_path / "playbook.toml"
        target.write_text("old")
        assert run("playbook", "init", target, "--force").returncode == 0
        assert target.read_text().startswith("# leadpipeline playbook")
