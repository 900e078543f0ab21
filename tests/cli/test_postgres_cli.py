"""The demo and the report against PostgreSQL, through the command line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.helpers import refusal, run
from tests.pg import fresh_schema, require_postgres


@pytest.fixture
def target() -> Iterator[tuple[str, str]]:
    """A DSN and a schema name no other test uses; the schema is dropped afterwards."""
    dsn = require_postgres()
    schema = fresh_schema()
    yield dsn, schema
    import psycopg  # noqa: PLC0415  # only where a server was found

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


class TestPostgresDemo:
    def test_demo_and_report_agree_on_a_postgres_database(self, target: tuple[str, str]) -> None:
        """`demo --db postgresql://...` writes there, and `report` prints the same report."""
        dsn, schema = target
        demo = run("demo", "--leads", "12", "--seed", "4", "--db", dsn, "--schema", schema)
        assert demo.returncode == 0, demo.stderr
        report = run("report", "--db", dsn, "--schema", schema)
        assert report.returncode == 0, report.stderr
        # the same figures; only the demo can say its data was simulated
        assert report.stdout.split("\nwaterfall")[1] == demo.stdout.split("\nwaterfall")[1]
        assert demo.stdout.startswith("SIMULATED DATA")
        assert report.stdout.startswith("leads: 12 ")

    def test_the_demo_refuses_a_schema_that_already_holds_leads(
        self, target: tuple[str, str]
    ) -> None:
        """A second demo into the same schema is refused in one line; nothing is mixed."""
        dsn, schema = target
        assert run("demo", "--leads", "3", "--db", dsn, "--schema", schema).returncode == 0
        again = run("demo", "--leads", "3", "--db", dsn, "--schema", schema)
        assert again.returncode != 0
        assert "already holds leads" in refusal(again)
