"""What an executor runs on one batch, checked without a cluster (pyarrow alone)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline.frames import read_arrow, score_frame
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL
from tests.spark_support import MAPPING, NOW, export

partitions = pytest.importorskip("leadpipeline.spark._partitions", exc_type=ImportError)
groups = pytest.importorskip("leadpipeline.spark._groups", exc_type=ImportError)


def nested(leads: pa.Table, touches: pa.Table, *, reverse: bool) -> pa.RecordBatch:
    """The batch Spark hands over: each lead's touches as one list, in any order.

    Every row of an id gets all its touches (as the join gives them), and a repeated id
    is marked on its later rows.
    """
    by_lead: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in touches.to_pylist():
        by_lead[row["Lead"]].append({"When": row["When"], "Activity": row["Activity"]})
    kind = pa.list_(pa.struct([("When", pa.timestamp("us", tz="UTC")), ("Activity", pa.string())]))
    lists = [
        (list(reversed(by_lead[i])) if reverse else by_lead[i]) or None
        for i in leads.column("Lead ID").to_pylist()
    ]
    ids = leads.column("Lead ID").to_pylist()
    repeated = [lead_id in ids[:i] for i, lead_id in enumerate(ids)]  # as the driver marks
    table = leads.append_column(partitions.REPEATED, pa.array(repeated))
    return table.append_column(partitions.TOUCHES, pa.array(lists, kind)).to_batches()[0]


class TestReadBatch:
    def test_a_batch_reads_as_the_whole_table_reads(self) -> None:
        """Nested touches in reverse order read to the same touches, in time order, and refusals."""
        leads, touches = export(60, seed=7)
        local = read_arrow(leads, MAPPING, touches=touches)
        read = partitions.read_batch(
            nested(leads, touches, reverse=True), MAPPING, leads.column_names
        )
        for name in ("lead", "kind", "at"):
            assert (
                read.frame.touches.column(name).to_pylist()
                == local.touches.column(name).to_pylist()
            )
        assert read.frame.leads.column("id").equals(local.leads.column("id"))
        refused_rows = {r.row for r in local.refused if r.table == "leads"}
        assert {i + 1 for i, text in enumerate(read.refusals) if text} == refused_rows


class TestScoredBatch:
    def test_scores_land_on_their_rows_and_refused_rows_stay_null(self) -> None:
        """The scored batch keeps every row: totals where accepted, null and a reason where not."""
        leads, touches = export(60, seed=8)
        local = score_frame(
            read_arrow(leads, MAPPING, touches=touches), DEFAULT_SCORING_MODEL, now=NOW
        )
        expected = dict(zip(local.lead_ids.to_pylist(), local.totals.tolist(), strict=True))
        (out,) = partitions.scored(
            [nested(leads, touches, reverse=False)],
            mapping=MAPPING,
            names=leads.column_names,
            model=DEFAULT_SCORING_MODEL,
            now=NOW,
            groups=True,
            rules=False,
            won=True,
        )
        names = [*leads.column_names, *("total", "fit", "engagement", "grade")]
        table = pa.Table.from_batches([out])
        assert table.num_rows == leads.num_rows
        ids = table.column(0).to_pylist()
        totals = table.column(names.index("total")).to_pylist()
        refused = table.column(table.num_columns - 1).to_pylist()
        for lead_id, total, why in zip(ids, totals, refused, strict=True):
            if why is None:
                assert abs(total - expected[lead_id]) <= 1e-9
            else:
                assert total is None
        assert sum(why is None for why in refused) == len(expected) < leads.num_rows
        assert "duplicate id" in refused[-1]


class TestSweepOfCounts:
    def test_the_columnar_pass_equals_the_local_sweep(self) -> None:
        """Counts per distinct score, summed in numpy, give the very sweep the local pass gives."""
        from leadpipeline.analytics import threshold_sweep  # noqa: PLC0415
        from leadpipeline.spark.backtests import _sweep_of_columns  # noqa: PLC0415

        scores = (0.0, 1.5, 2.0, 3.0, 7.25, -1.0)
        pairs = [(scores[i % 6], i % 7 == 0) for i in range(300)]
        totals = sorted({s for s, _ in pairs}, key=lambda s: (s * 37) % 5)  # Spark's any order
        counted = pa.table(
            {
                "total": totals,
                "n": [sum(s == t for s, _ in pairs) for t in totals],
                "w": [sum(s == t and won for s, won in pairs) or None for t in totals],
            }
        )
        assert _sweep_of_columns(counted, 12.0) == threshold_sweep(pairs, months=12.0)
        empty = counted.slice(0, 0)
        assert _sweep_of_columns(empty, None) == threshold_sweep([])


class TestGroups:
    """What each group's worker does before it reads: the window and the join it replaces."""

    @given(
        st.lists(st.sampled_from(["a", "b", "c", None]), max_size=12).flatmap(
            lambda ids: st.tuples(st.just(ids), st.permutations(list(range(len(ids)))))
        )
    )
    def test_a_repeated_id_is_flagged_after_its_first_row_in_the_source_order(
        self, rows: tuple[list[str | None], list[int]]
    ) -> None:
        """Each row but the first of an id (in the source's order) is flagged; nulls are one id."""
        ids, order = rows
        seen: set[str | None] = set()
        expected = [False] * len(ids)
        for row in sorted(range(len(ids)), key=order.__getitem__):
            expected[row] = ids[row] in seen
            seen.add(ids[row])
        got = groups._repeated(pa.array(ids, pa.string()), pa.array(order, pa.int64()))
        assert got.tolist() == expected

    def test_touches_nest_under_the_first_row_of_their_id(self) -> None:
        """A touch goes to its id's first row, in the touches' order; touches of no lead drop."""
        ids = pa.array(["a", "b", "a", None])
        repeated = np.array([False, False, True, False])
        touches = pa.table(
            {
                "key": ["a", "z", "b", None, "a"],
                "at": [1, 2, 3, 4, 5],
                "kind": ["form", "visit", "visit", "form", "email"],
            }
        )
        nested = groups._nested(ids, repeated, touches, ["When", "Activity"])
        assert nested.to_pylist() == [
            [{"When": 1, "Activity": "form"}, {"When": 5, "Activity": "email"}],
            [{"When": 3, "Activity": "visit"}],
            [],
            [],
        ]

    def test_the_sweep_of_counted_columns_equals_the_cumulative_pass(self) -> None:
        """Counts arriving in several batches give the very value `sweep_of_counts` gives."""
        from leadpipeline.analytics.thresholds import sweep_of_counts  # noqa: PLC0415
        from leadpipeline.spark.backtests import _sweep_of_columns  # noqa: PLC0415

        rng = np.random.default_rng(18)
        for size in (0, 1, 7, 2_000):
            totals = rng.permutation(np.unique(np.round(rng.normal(30, 10, size), 3)))
            n = rng.integers(1, 400, len(totals))
            w = np.minimum(n, rng.integers(0, 300, len(totals)))
            batches = [
                pa.RecordBatch.from_pydict(
                    {"total": totals[i : i + 300], "n": n[i : i + 300], "w": w[i : i + 300]}
                )
                for i in range(0, len(totals), 300)
            ]
            schema = pa.schema([("total", pa.float64()), ("n", pa.int64()), ("w", pa.int64())])
            expected = sweep_of_counts(
                dict(zip(totals.tolist(), n.tolist(), strict=True)),
                dict(zip(totals.tolist(), w.tolist(), strict=True)),
                months=12.0,
            )
            got = _sweep_of_columns(pa.Table.from_batches(batches, schema), 12.0)
            assert got == expected
            assert all(type(t) is float for t in got.thresholds)
            assert all(type(v) is int for v in (*got.volumes, *got.wins))
