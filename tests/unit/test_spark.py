"""Spark results equal single-machine results on the same generated rows.

One local session (``local[2]``, workers on this interpreter) serves every test; each
test runs one or two jobs on a generated export of 800 leads.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pytest

from leadpipeline import DEFAULT_PLAYBOOK, ValidationError
from leadpipeline.analytics import (
    fit_predictive,
    source_attribution,
    threshold_sweep,
    waterfall,
)
from leadpipeline.frames import LeadFrame, read_arrow, score_frame, what_if_frame
from leadpipeline.rules.qualification import (
    AllOf,
    Definition,
    FieldPresent,
    ScoreAtLeast,
    assess,
)
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
from tests.spark_support import MAPPING, NOW, export, spark_missing

pytestmark = pytest.mark.skipif(spark_missing() is not None, reason=spark_missing() or "")

TOLERANCE = 1e-9
STRICTER = attrs.evolve(DEFAULT_SCORING_MODEL, name="stricter", cap=60.0)
FIELDS = ["source.channel", "company.industry", "company.employees"]
BINS = {"company.employees": [50.0, 500.0]}


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from leadpipeline.spark import local_session  # noqa: PLC0415  # needs pyspark

    session = local_session(2, **{"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data(spark: Any) -> dict[str, Any]:
    leads, touches = export(800, seed=18)
    return {
        "leads": leads,
        "touches": touches,
        "frame": read_arrow(leads, MAPPING, touches=touches),
        "leads_df": spark.createDataFrame(leads),  # in the export's order: ids repeat
        "touches_df": spark.createDataFrame(touches).repartition(2),
    }


def by_id(table: pa.Table, column: str = "Lead ID") -> dict[str, dict[str, Any]]:
    """The accepted rows by id (a repeated id's refused row does not hide its first)."""
    return {row[column]: row for row in table.to_pylist() if row["refused"] is None}


class TestScoreLeads:
    def test_scores_equal_the_columnar_scorer_and_refusals_match(
        self, data: dict[str, Any]
    ) -> None:
        """Each lead's total, fit, engagement, grade, groups and rules equal the local ones."""
        from leadpipeline.spark import score_leads  # noqa: PLC0415

        frame: LeadFrame = data["frame"]
        assert frame.refused, "the generated export refuses some rows"
        local = score_frame(frame, DEFAULT_SCORING_MODEL, now=NOW, rules=True).to_table()
        table = score_leads(
            data["leads_df"],
            DEFAULT_SCORING_MODEL,
            now=NOW,
            mapping=MAPPING,
            touches=data["touches_df"],
            rules=True,
        ).toArrow()
        assert table.num_rows == data["leads"].num_rows
        got = by_id(table)
        expected = {row["lead_id"]: row for row in local.to_pylist()}
        assert set(got) == set(expected)
        numeric = [c for c in local.column_names if c not in ("lead_id", "grade", "won")]
        for lead_id, row in expected.items():
            for column in numeric:
                assert abs(got[lead_id][column] - row[column]) <= TOLERANCE, (lead_id, column)
            assert got[lead_id]["grade"] == row["grade"]
            assert got[lead_id]["won"] == row["won"]
        refused = [row for row in table.to_pylist() if row["refused"] is not None]
        assert len(refused) == data["leads"].num_rows - len(expected)
        assert all(row["total"] is None for row in refused)
        assert any("Telepathy" in row["refused"] for row in refused)

    def test_a_repeated_id_keeps_its_first_row(self, data: dict[str, Any]) -> None:
        """The second row under one id is refused, the first scored, as the local import does."""
        from pyspark.sql import functions as F  # noqa: N812, PLC0415

        from leadpipeline.spark import score_leads  # noqa: PLC0415

        repeated = data["leads"].column("Lead ID")[1].as_py()
        rows = (
            score_leads(data["leads_df"], DEFAULT_SCORING_MODEL, now=NOW, mapping=MAPPING)
            .where(F.col("`Lead ID`") == repeated)
            .select("Email", "total", "refused")
            .collect()
        )
        local = score_frame(read_arrow(data["leads"], MAPPING), DEFAULT_SCORING_MODEL, now=NOW)
        first = local.totals[local.lead_ids.to_pylist().index(repeated)]
        kept = [r for r in rows if r["refused"] is None]
        assert len(rows) == 2
        assert [r["total"] for r in kept] == [first]
        assert [r["Email"] for r in kept] == [data["leads"].column("Email")[1].as_py()]
        assert "duplicate id" in next(r["refused"] for r in rows if r["refused"])

    def test_each_lead_scored_at_its_own_instant(self, data: dict[str, Any]) -> None:
        """A timestamp column as `now` scores each lead at its own instant, as locally."""
        from leadpipeline.spark import score_leads  # noqa: PLC0415

        frame: LeadFrame = data["frame"]
        rows = pa.array(np.asarray(frame.leads.column("row").to_numpy()) - 1)
        instants = data["leads"].column("As of").take(rows)
        local = score_frame(frame, DEFAULT_SCORING_MODEL, now=instants)
        got = by_id(
            score_leads(
                data["leads_df"],
                DEFAULT_SCORING_MODEL,
                now="As of",
                mapping=MAPPING,
                touches=data["touches_df"],
                groups=False,
            )
            .select("Lead ID", "total", "refused")
            .toArrow()
        )
        for lead_id, total in zip(local.lead_ids.to_pylist(), local.totals, strict=True):
            assert abs(got[lead_id]["total"] - total) <= TOLERANCE

    def test_field_path_columns_need_no_mapping(self, spark: Any) -> None:
        """Columns named by field path (as `to_table` writes them) score without a mapping."""
        from leadpipeline.spark import score_leads  # noqa: PLC0415

        leads = pa.table(
            {
                "id": ["L-1", "L-2"],
                "source.channel": ["exhibition", "web"],
                "source.captured_at": pa.array([NOW, NOW], pa.timestamp("us", tz="UTC")),
                "company.employees": pa.array([800, None], pa.int64()),
            }
        )
        touches = pa.table(
            {
                "lead_id": ["L-2"],
                "kind": ["form_submit"],
                "at": pa.array([NOW], pa.timestamp("us", tz="UTC")),
            }
        )
        local = score_frame(leads, DEFAULT_SCORING_MODEL, now=NOW, touches=touches)
        got = by_id(
            score_leads(
                spark.createDataFrame(leads),
                DEFAULT_SCORING_MODEL,
                now=NOW,
                touches=spark.createDataFrame(touches),
            ).toArrow(),
            "id",
        )
        assert [got[i]["total"] for i in ("L-1", "L-2")] == local.totals.tolist()

    def test_naive_now_and_missing_columns_are_refused_before_any_job(
        self, data: dict[str, Any]
    ) -> None:
        """A naive instant, an unknown `now` column, touches without a touch table: each named."""
        from leadpipeline.spark import score_leads  # noqa: PLC0415

        df = data["leads_df"]
        with pytest.raises(ValidationError) as naive:
            score_leads(df, DEFAULT_SCORING_MODEL, now=NOW.replace(tzinfo=None), mapping=MAPPING)
        assert "now" in naive.value.paths
        with pytest.raises(ValidationError) as column:
            score_leads(df, DEFAULT_SCORING_MODEL, now="Tomorrow", mapping=MAPPING)
        assert "now" in column.value.paths
        with pytest.raises(ValidationError) as table:
            score_leads(
                df,
                DEFAULT_SCORING_MODEL,
                now=NOW,
                mapping=attrs.evolve(MAPPING, touch_table=None),
                touches=data["touches_df"],
            )
        assert "mapping.touch_table" in table.value.paths


def sweep_on_spark(data: dict[str, Any], **options: Any) -> Any:
    """The Spark sweep of the test leads and touches with the default model."""
    from leadpipeline import spark as lps  # noqa: PLC0415

    return lps.threshold_sweep(
        data["leads_df"],
        DEFAULT_SCORING_MODEL,
        now=NOW,
        mapping=MAPPING,
        touches=data["touches_df"],
        **options,
    )


class TestBackTests:
    def test_sweep_and_what_if_equal_the_local_values(self, data: dict[str, Any]) -> None:
        """The sweep (counted per score in Spark) and the what-if equal the local values exactly."""
        from leadpipeline import spark as lps  # noqa: PLC0415

        frame: LeadFrame = data["frame"]
        local = threshold_sweep(score_frame(frame, DEFAULT_SCORING_MODEL, now=NOW), months=12)
        got = sweep_on_spark(data, months=12)
        assert len(local) > 20
        assert got == local
        what = lps.what_if(
            data["leads_df"],
            DEFAULT_SCORING_MODEL,
            STRICTER,
            now=NOW,
            mapping=MAPPING,
            touches=data["touches_df"],
            threshold_a=30,
            threshold_b=40,
        )
        expected = what_if_frame(
            frame, DEFAULT_SCORING_MODEL, STRICTER, now=NOW, threshold_a=30, threshold_b=40
        )
        assert what == expected
        assert expected.only_a > 0

    def test_a_sweep_on_a_grid_equals_the_local_one(self, data: dict[str, Any]) -> None:
        """With a step, both sides put the totals on one grid: the values are equal."""
        local = score_frame(data["frame"], DEFAULT_SCORING_MODEL, now=NOW)
        expected = threshold_sweep(local, step=2.5)
        got = sweep_on_spark(data, step=2.5)
        assert got == expected
        assert 1 < len(expected) < len(threshold_sweep(local))

    def test_waterfall_and_attribution_equal_the_local_values(self, data: dict[str, Any]) -> None:
        """The waterfall by channel and the attribution equal those of the local histories."""
        from leadpipeline import spark as lps  # noqa: PLC0415

        histories = data["frame"].to_histories(DEFAULT_PLAYBOOK).items
        on_spark = {"mapping": MAPPING, "touches": data["touches_df"]}
        assert lps.waterfall(data["leads_df"], by="channel", **on_spark) == waterfall(
            histories, by="channel"
        )
        got = lps.source_attribution(data["leads_df"], **on_spark)
        assert got == source_attribution(histories)
        assert got.of("exhibition").revenue > 0

    def test_a_back_test_without_outcomes_is_refused(self, data: dict[str, Any]) -> None:
        """A sweep needs the outcome column; without one it names the mapping's field."""
        from leadpipeline import spark as lps  # noqa: PLC0415

        with pytest.raises(ValidationError) as caught:
            lps.threshold_sweep(
                data["leads_df"],
                DEFAULT_SCORING_MODEL,
                now=NOW,
                mapping=attrs.evolve(MAPPING, outcome=None),
            )
        assert "mapping.outcome.result" in caught.value.paths


class TestFitPredictive:
    def test_fitted_counts_equal_the_local_model(self, data: dict[str, Any]) -> None:
        """The win model fitted in Spark is the very value the local fit returns, JSON included."""
        from leadpipeline import spark as lps  # noqa: PLC0415
        from leadpipeline.serialization import to_json  # noqa: PLC0415

        histories = data["frame"].to_histories(DEFAULT_PLAYBOOK).items
        local = fit_predictive(histories, FIELDS, bins=BINS)
        got = lps.fit_predictive(
            data["leads_df"], FIELDS, mapping=MAPPING, touches=data["touches_df"], bins=BINS
        )
        assert got == local
        assert to_json(got) == to_json(local)
        assert local.stage("opportunity").stopped > 0


class TestAssessLeads:
    def test_qualified_and_missed_equal_assess_on_each_lead(self, data: dict[str, Any]) -> None:
        """Each lead's verdict, missed criteria and score equal `assess` on its `Lead`."""
        from leadpipeline.spark import assess_leads  # noqa: PLC0415

        leads = data["frame"].to_leads()
        warm = Definition(
            name="warm",
            criterion=AllOf(
                criteria=(
                    ScoreAtLeast(threshold=25, exit_below=20),
                    FieldPresent(field="needs.expected_volume"),
                )
            ),
        )
        got = by_id(
            assess_leads(
                data["leads_df"],
                now=NOW,
                mapping=MAPPING,
                touches=data["touches_df"],
                definition=warm,
            ).toArrow()
        )
        verdicts = set()
        for lead in leads:
            expected = assess(lead, warm, DEFAULT_PLAYBOOK.scoring, now=NOW)
            row = got[lead.id]
            assert row["qualified"] is expected.qualified
            assert row["missed"] == [r.criterion for r in expected.missed]
            assert abs(row["score"] - expected.score_card.total) <= TOLERANCE
            verdicts.add(expected.qualified)
        assert verdicts == {True, False}
        assert set(got) == {lead.id for lead in leads}


def test_workers_run_this_interpreter_outside_an_activated_environment() -> None:
    """The local session's workers import the library although `python3` on the PATH lacks it.

    PySpark starts workers with ``PYSPARK_PYTHON`` or the ``python3`` the PATH finds; a
    notebook started by the full path of a virtual environment's interpreter has neither
    pointing at it.
    """
    here = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if k not in {"PYSPARK_PYTHON", "VIRTUAL_ENV"}}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != here)
    code = (
        "from leadpipeline.spark import local_session\n"
        "s = local_session(1)\n"
        "def work(batches):\n"
        "    import leadpipeline.frames\n"
        "    yield from batches\n"
        "print(s.range(3).mapInArrow(work, 'id long').count())\n"
        "s.stop()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "3"
