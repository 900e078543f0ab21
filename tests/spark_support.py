"""Generated CRM exports for the Spark tests, and the shared local session's guard.

The same Arrow tables feed `leadpipeline.frames` on one machine and a Spark DataFrame,
so every distributed result can be held against the local one on the same rows.
"""

from __future__ import annotations

import importlib.util
import shutil
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from leadpipeline.frames import Column, ColumnMapping, OutcomeColumns, TouchTable

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)


def spark_missing() -> str | None:
    """Why the Spark tests cannot run here, or None when pyspark and Java are present."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install leadpipeline[spark])"
    if shutil.which("java") is None:
        return "no Java runtime on the PATH (Spark needs Java 17 or later)"
    return None


MAPPING = ColumnMapping(
    id="Lead ID",
    columns=(
        Column(header="Created", field="source.captured_at"),
        Column(
            header="Lead Source",
            field="source.channel",
            values={"Trade Show": "exhibition", "Web": "web", "Referral": "referral", "Ads": "ads"},
        ),
        Column(header="Campaign", field="source.campaign"),
        Column(header="Email", field="contact.email"),
        Column(header="Title", field="contact.job_title"),
        Column(header="Industry", field="company.industry"),
        Column(header="Employees", field="company.employees"),
        Column(header="Country", field="company.country"),
        Column(header="Decision", field="needs.purchase_decision"),
        Column(header="Volume", field="needs.expected_volume"),
        Column(header="Product", field="needs.current_product"),
    ),
    touch_table=TouchTable(
        lead_id="Lead",
        kind="Activity",
        at="When",
        kinds={
            "Email Open": "email_open",
            "Form": "form_submit",
            "Visit": "site_visit",
            "Fair": "exhibition",
        },
        skip=("Unsubscribe",),
    ),
    outcome=OutcomeColumns(
        result="Result",
        results={"Won": "won", "Lost": "lost", "Open": "open"},
        closed_at="Closed",
        revenue="Revenue",
        reached={"mql": "MQL at", "sql": "SQL at"},
    ),
)
"""The export's mapping: value maps, a long touch table with skipped names, outcomes."""

_TITLES = ("Head of IT", "Director Finance", "Chief Digital Officer", "Intern", None)
_INDUSTRIES = ("manufacturing", "software", "retail", None)
_SOURCES = ("Trade Show", "Web", "Referral", "Ads")
_ACTIVITIES = ("Email Open", "Form", "Visit", "Fair", "Unsubscribe")


def _stamp(values: list[datetime | None]) -> pa.Array:
    return pa.array(values, pa.timestamp("us", tz="UTC"))


def export(n: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """A lead export of `n` rows and its long touch table, sorted by lead id, time, activity.

    About one row in forty is refused at the door (negative employees, an unknown source
    text or activity, and the last row repeats the second's id); outcomes mix won, lost,
    open and blank, with whole revenues.
    """
    rng = np.random.default_rng(seed)
    ids = [f"L-{seed}-{i}" for i in range(n)]
    ids[-1] = ids[1]  # a repeated id: the later row is refused, wherever it lands
    created = [NOW - timedelta(days=int(d)) for d in rng.integers(30, 400, n)]
    employees: list[int | None] = [
        None if r < 0.1 else int(e)
        for r, e in zip(rng.random(n), rng.integers(1, 9000, n), strict=True)
    ]
    source = [_SOURCES[i] for i in rng.integers(0, 4, n)]
    for i in rng.choice(n, size=max(1, n // 80), replace=False):
        employees[i] = -5  # refused: employees never negative
    for i in rng.choice(n, size=max(1, n // 80), replace=False):
        source[i] = "Fax"  # refused: no such source in the value map
    result = [(None, "Won", "Lost", "Open")[i] for i in rng.integers(0, 4, n)]
    closed = [
        c + timedelta(days=60) if r in ("Won", "Lost") else None
        for c, r in zip(created, result, strict=True)
    ]
    mql = [
        c + timedelta(days=5) if (r in ("Won", "Lost") or x < 0.4) else None
        for c, r, x in zip(created, result, rng.random(n), strict=True)
    ]
    sql = [
        m + timedelta(days=10) if m is not None and x < 0.5 else None
        for m, x in zip(mql, rng.random(n), strict=True)
    ]
    leads = pa.table(
        {
            "Lead ID": ids,
            "Created": _stamp(created),
            "Lead Source": source,
            "Campaign": [("fair-2026", "spring", None)[i] for i in rng.integers(0, 3, n)],
            "Email": [f"p{i}@acme.example" if i % 7 else None for i in range(n)],
            "Title": [_TITLES[i] for i in rng.integers(0, len(_TITLES), n)],
            "Industry": [_INDUSTRIES[i] for i in rng.integers(0, len(_INDUSTRIES), n)],
            "Employees": pa.array(employees, pa.int64()),
            "Country": [("DE", "FR", "US")[i] for i in rng.integers(0, 3, n)],
            "Decision": pa.array(
                [date(2026, 9, 1) if x < 0.6 else None for x in rng.random(n)], pa.date32()
            ),
            "Volume": pa.array([500 if x < 0.6 else None for x in rng.random(n)], pa.int64()),
            "Product": [("legacy suite" if x < 0.6 else None) for x in rng.random(n)],
            "Result": result,
            "Closed": _stamp(closed),
            "Revenue": [
                float(v) if r == "Won" else None
                for v, r in zip(rng.integers(1, 90, n) * 1000, result, strict=True)
            ],
            "MQL at": _stamp(mql),
            "SQL at": _stamp(sql),
            "As of": _stamp(
                [
                    c + timedelta(days=int(d))
                    for c, d in zip(created, rng.integers(0, 200, n), strict=True)
                ]
            ),
        }
    )
    counts = rng.integers(0, 9, n)
    rows = np.repeat(np.arange(n), counts)
    when = [NOW - timedelta(hours=int(h)) for h in rng.integers(1, 24 * 300, len(rows))]
    activity = [_ACTIVITIES[i] for i in rng.integers(0, len(_ACTIVITIES), len(rows))]
    bad = rng.choice(len(rows), size=max(1, len(rows) // 500), replace=False)
    for i in bad:
        activity[i] = "Telepathy"  # refused, and its lead with it
    order = sorted(range(len(rows)), key=lambda i: (ids[int(rows[i])], when[i], activity[i]))
    touches = pa.table(
        {
            "Lead": [ids[int(rows[i])] for i in order],
            "Activity": [activity[i] for i in order],
            "When": _stamp([when[i] for i in order]),
        }
    )
    return leads, touches
