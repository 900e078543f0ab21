"""``leadpipeline schema``: list the names, print one schema, print them all."""

from __future__ import annotations

import json

import jsonschema

from leadpipeline.schema import schema_names
from tests.cli.helpers import refusal, run


class TestSchemaCommand:
    def test_without_a_name_lists_every_name_with_a_line(self) -> None:
        """The bare command lists each schema name with its summary, one per line."""
        result = run("schema")
        assert result.returncode == 0, result.stderr
        listed = [line.split()[0] for line in result.stdout.splitlines()]
        assert listed == list(schema_names())
        assert any(
            line.startswith("lead ") and "prospect" in line for line in result.stdout.splitlines()
        )

    def test_a_name_prints_its_standalone_schema(self) -> None:
        """`schema lead` prints a draft 2020-12 schema that a lead's JSON validates against."""
        result = run("schema", "lead")
        assert result.returncode == 0, result.stderr
        schema = json.loads(result.stdout)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$ref"] == "#/$defs/Lead"

    def test_all_prints_every_definition(self) -> None:
        """`schema --all` prints one document whose $defs hold every value."""
        result = run("schema", "--all")
        assert result.returncode == 0, result.stderr
        defs = json.loads(result.stdout)["$defs"]
        assert {"Lead", "Command", "Event", "Playbook", "Error"} <= set(defs)

    def test_an_unknown_name_is_one_line_with_suggestions(self) -> None:
        """A misspelt name ends with one line naming close matches, and exit code 2."""
        result = run("schema", "leed")
        assert result.returncode == 2
        assert "did you mean lead" in refusal(result)
