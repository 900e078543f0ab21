"""Bad input ends with a non-zero exit and one line naming the file, line or key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadpipeline import to_json
from tests.cli.helpers import lines_of, refusal, run
from tests.cli.test_commands import fair_lead


class TestMissingFiles:
    @pytest.mark.parametrize(
        "args",
        [
            ("score", "{missing}"),
            ("sweep", "{missing}"),
            ("report", "--db", "{missing}"),
            ("score", "{leads}", "--playbook", "{missing}"),
            ("report", "--db", "{db}", "--playbook", "{missing}"),
        ],
        ids=["score", "sweep", "report", "score-playbook", "report-playbook"],
    )
    def test_a_missing_file_is_named(self, tmp_path: Path, args: tuple[str, ...]) -> None:
        """Every command refuses a missing file in one line that names it."""
        missing = tmp_path / "nowhere" / "leads.jsonl"
        leads = tmp_path / "leads.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        db = tmp_path / "demo.db"
        if "{db}" in args:
            assert run("demo", "--leads", "2", "--db", db).returncode == 0
        filled = [a.format(missing=missing, leads=leads, db=db) for a in args]
        message = refusal(run(*filled))
        assert message.startswith("leadpipeline")
        assert str(missing) in message


class TestMalformedLines:
    def test_malformed_json_names_the_file_and_line(self, tmp_path: Path) -> None:
        """Broken JSON on line 3 of the leads file is reported as line 3 of that file."""
        leads = tmp_path / "fair.jsonl"
        good = to_json(fair_lead(1))
        leads.write_text(lines_of([good, to_json(fair_lead(2)), good[:40]]))
        message = refusal(run("score", leads, "--now", "2026-03-03T09:00:00+00:00"))
        assert message.startswith(f"leadpipeline: {leads}: line 3: invalid JSON")

    def test_hostile_json_is_refused_with_its_path_not_a_traceback(self, tmp_path: Path) -> None:
        """Nesting 3,000 deep, or a number of 5,000 digits: one line naming where it is."""
        data = json.loads(to_json(fair_lead(1)))
        data["company"]["employees"] = 7
        huge = json.dumps(data).replace('"employees": 7', '"employees": ' + "9" * 5000)
        deep = '{"contact": ' + '{"a": ' * 3000 + "1" + "}" * 3001
        leads = tmp_path / "hostile.jsonl"
        leads.write_text(lines_of([huge, deep]))
        message = refusal(run("score", leads))
        assert message.startswith(f"leadpipeline: {leads}: line 1: company.employees:")
        assert "5000 digits" in message
        leads.write_text(lines_of([deep]))
        message = refusal(run("score", leads))
        assert message.startswith(f"leadpipeline: {leads}: line 1: contact.a.a.")
        assert "nested too deeply" in message

    def test_a_bad_field_names_the_line_and_the_field(self, tmp_path: Path) -> None:
        """A well-formed line with a wrong value names the line and the field path."""
        data = json.loads(to_json(fair_lead(1)))
        data["company"]["employees"] = "many"
        leads = tmp_path / "fair.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(2)), json.dumps(data)]))
        message = refusal(run("score", leads))
        assert message.startswith(f"leadpipeline: {leads}: line 2: company.employees:")

    def test_a_sweep_row_without_won_is_named(self, tmp_path: Path) -> None:
        """A scored row missing its outcome names the line and the missing field."""
        scored = tmp_path / "scored.jsonl"
        scored.write_text(lines_of(['{"score": 70, "won": true}', "", '{"score": 30}']))
        message = refusal(run("sweep", scored))
        assert message == f"leadpipeline: {scored}: line 3: won: required field missing"

    def test_an_empty_sweep_file_is_refused(self, tmp_path: Path) -> None:
        """A file without a single scored lead is refused, not swept."""
        scored = tmp_path / "scored.jsonl"
        scored.write_text("\n\n")
        assert refusal(run("sweep", scored)) == f"leadpipeline: {scored}: no scored leads"


class TestPlaybookFiles:
    def test_unknown_key_names_the_file_and_key_path(self, tmp_path: Path) -> None:
        """A misspelt key inside a policy table is named with its full path."""
        playbook = tmp_path / "playbook.toml"
        assert run("playbook", "init", playbook).returncode == 0
        text = playbook.read_text().replace(
            "[partner_policy]\n", "[partner_policy]\noffer_expiry_days = 3\n"
        )
        playbook.write_text(text)
        leads = tmp_path / "fair.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        db = tmp_path / "demo.db"
        assert run("demo", "--leads", "2", "--db", db).returncode == 0
        expected = f"leadpipeline: {playbook}: partner_policy.offer_expiry_days: unknown field"
        assert refusal(run("report", "--db", db, "--playbook", playbook)) == expected
        assert refusal(run("score", leads, "--playbook", playbook)) == expected

    def test_invalid_toml_names_the_file(self, tmp_path: Path) -> None:
        """A file that is not TOML at all is refused with the file and the parser's line."""
        playbook = tmp_path / "playbook.toml"
        playbook.write_text('name = "emea"\nthis is not toml\n')
        leads = tmp_path / "fair.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        message = refusal(run("score", leads, "--playbook", playbook))
        assert message.startswith(f"leadpipeline: {playbook}: invalid TOML")
        assert "line 2" in message

    def test_init_does_not_overwrite(self, tmp_path: Path) -> None:
        """`playbook init` refuses to replace an existing file without `--force`."""
        target = tmp_path / "playbook.toml"
        target.write_text("mine")
        message = refusal(run("playbook", "init", target))
        assert str(target) in message
        assert target.read_text() == "mine"


class TestArguments:
    def test_a_naive_now_is_refused(self, tmp_path: Path) -> None:
        """`--now` without a UTC offset is refused in one line that says what to add."""
        leads = tmp_path / "fair.jsonl"
        leads.write_text(lines_of([to_json(fair_lead(1))]))
        result = run("score", leads, "--now", "2026-03-03T09:00")
        message = refusal(result)
        assert result.returncode == 2
        assert "--now" in message
        assert "UTC offset" in message

    def test_not_a_datetime_is_refused(self) -> None:
        """`report --now` with something that is no datetime is a one-line usage error."""
        message = refusal(run("report", "--db", "x.db", "--now", "tuesday"))
        assert "'tuesday'" in message

    @pytest.mark.parametrize("leads", ["0", "-3", "many"])
    def test_demo_needs_at_least_one_lead(self, leads: str) -> None:
        """`demo --leads` must be a whole number of at least one."""
        message = refusal(run("demo", "--leads", leads))
        assert "--leads" in message

    def test_no_command_is_a_usage_error(self) -> None:
        """Without a command the line says which one is missing and points at --help."""
        message = refusal(run())
        assert message.endswith("(see leadpipeline --help)")

    def test_demo_never_writes_into_an_existing_database(self, tmp_path: Path) -> None:
        """`demo --db` refuses a file that already exists, and leaves it as it was."""
        db = tmp_path / "leads.db"
        db.write_bytes(b"precious")
        message = refusal(run("demo", "--leads", "2", "--db", db))
        assert str(db) in message
        assert db.read_bytes() == b"precious"

    def test_demo_names_a_missing_folder(self, tmp_path: Path) -> None:
        """`demo --db` into a folder that does not exist names the file it cannot create."""
        db = tmp_path / "no" / "such" / "demo.db"
        assert str(db) in refusal(run("demo", "--leads", "2", "--db", db))

    def test_report_refuses_a_file_that_is_not_a_store(self, tmp_path: Path) -> None:
        """`report --db` on a file that is not a leadpipeline database says so in one line."""
        db = tmp_path / "notes.db"
        db.write_text("shopping list\n" * 100)
        message = refusal(run("report", "--db", db))
        assert message.startswith("leadpipeline: ")
