"""The data door: a CSV export to scored totals, and columnar scoring against DuckDB.

Generates 1,000,000 leads (``--quick``: 50,000) with 0-40 touches each as two CSV files
(a lead export and a long activity table), then, in one process:

1. imports both through a column mapping into a checked `LeadFrame` (every cell
   converted, every row judged) and scores it with `score_frame`: CSV to scored totals,
   end to end;
2. scores the same in-memory Arrow tables with DuckDB SQL (CASE WHEN sums per rule, the
   touches aged, decayed, summed and capped per lead and kind), with `score_frame`, and
   with `score_totals` on `Lead` values holding the same data, in interleaved rounds,
   reporting the median of each; the three agree to 1e-9 on every lead.

The model is the 30-rule model of `benchmarks/scoring.py` (14 fit, 11 engagement with
half-life and weekly-step decay, 5 negative). DuckDB is installed for this benchmark only
(``pip install duckdb``); the library never imports it.

Targets: `score_frame` at least 1.0x DuckDB and at least 10x `score_totals`; import at
least 200,000 rows/s, counted for the lead file and the touch file separately (each file's
rows over the time to read and check that file). Peak memory (the process's maximum
resident set) is printed after each phase.

Measured (full run, 1,000,000 leads, 20,003,615 touches, 2 cores shared with other
sessions' test runs at a load of about 5, Python 3.11.7, numpy 2.4, pyarrow 26, duckdb
2.0.1):
    duckdb         5.33 s   score_frame 0.70 s (7.57x, target 1.0x: ok)
    score_totals  15.53 s   (score_frame 22.05x, target 10x: ok)
    lead file 2.90 s (345,319 rows/s, ok); touch file about 29.4 s (679,996 rows/s, ok)
    peak resident memory 4.4 GB (1.8 GB after generating the files)
Two earlier full runs of nearly the same code at loads of 2-6 gave 6.5-9.4x DuckDB,
12.3-21.6x score_totals, 313,806-511,375 lead rows/s and 859,335-1,013,895 touch rows/s.
The same run with --quick (50,000 leads, load about 5): 5.8-6.2x DuckDB, 15.7-16.7x
score_totals, 245,596-364,973 lead rows/s, 0.81-1.6 million touch rows/s; at this size
the lead file takes 0.14-0.20 s, mostly the first read's warm-up and the machine's load
(its rows take about 0.09 s of CPU), so earlier quick runs saw 117,000-195,000 rows/s.
Before touches were summed per lead and kind in short runs and repeated lead values
converted once: score_frame 1.9x DuckDB and 4.0x score_totals, 170,005 lead rows/s.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

sys.path.insert(0, str(Path(__file__).parent))

from leadpipeline.frames import (
    Column,
    ColumnMapping,
    TouchTable,
    read_csv,
    score_frame,
)
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Revenue,
    Source,
)
from leadpipeline.rules.scoring import score_totals
from scoring import (  # the sibling benchmark defines the model
    COMPETITORS,
    COUNTRIES,
    DOMAINS,
    ENGAGEMENT,
    FREE_MAIL,
    INDUSTRIES,
    NOW,
    TITLES,
    build_model,
)

MAPPING = ColumnMapping(
    id="lead_id",
    columns=(
        Column(header="created", field="source.captured_at"),
        Column(header="source", field="source.channel"),
        Column(header="email", field="contact.email"),
        Column(header="last_name", field="contact.last_name"),
        Column(header="title", field="contact.job_title"),
        Column(header="company", field="company.name"),
        Column(header="domain", field="company.domain"),
        Column(header="industry", field="company.industry"),
        Column(header="employees", field="company.employees"),
        Column(header="country", field="company.country"),
        Column(header="revenue", field="company.annual_revenue.amount"),
        Column(header="budget", field="needs.budget"),
        Column(header="decision", field="needs.purchase_decision"),
        Column(header="volume", field="needs.expected_volume"),
        Column(header="product", field="needs.current_product"),
        Column(header="interests", field="interests"),
    ),
    constants={"company.annual_revenue.source": "broker"},
    touch_table=TouchTable(lead_id="lead_id", kind="kind", at="at"),
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pick(rng: np.random.Generator, values: tuple[Any, ...], n: int) -> pa.Array:
    texts = ["" if v is None else str(v) for v in values]
    return pa.array(texts, pa.string()).take(pa.array(rng.integers(0, len(texts), n)))


def generate(n: int, folder: Path) -> tuple[Path, Path, dict[str, Any]]:
    """Two CSV files like a CRM export, and the raw columns to build `Lead` values from."""
    rng = np.random.default_rng(20260304)
    ids = pa.array([f"L-{i}" for i in range(n)])
    counts = rng.integers(0, 41, n)
    rows = np.repeat(np.arange(n), counts)
    pool = 20_000
    kinds = np.array([k.value for k in InteractionKind])
    pool_kind = rng.integers(0, len(kinds), pool)
    pool_age = rng.integers(0, 365 * 86_400, pool)
    pool_at = [NOW - timedelta(seconds=int(s)) for s in pool_age]
    touch = rng.integers(0, pool, len(rows))
    pool_text = pa.array([t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in pool_at])
    touches = pa.table(
        {
            "lead_id": ids.take(pa.array(rows)),
            "kind": pa.array(kinds[pool_kind]).take(pa.array(touch)),
            "at": pool_text.take(pa.array(touch)),
        }
    )
    domains = rng.integers(0, len(DOMAINS), n)
    no_email = rng.random(n) < 0.1
    email = np.char.add(np.char.add("p", np.arange(n).astype(str)), "@")
    email = np.char.add(email, np.array(DOMAINS)[domains])
    email[no_email] = ""
    created = (NOW - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    leads = pa.table(
        {
            "lead_id": ids,
            "created": pa.array([created] * n),
            "source": pick(rng, ("web", "exhibition", "referral", "ads"), n),
            "email": pa.array(email),
            "last_name": pa.array(["Doe"] * n),
            "title": pick(rng, TITLES, n),
            "company": pa.array(["Acme"] * n),
            "domain": pick(rng, DOMAINS, n),
            "industry": pick(rng, INDUSTRIES, n),
            "employees": pick(rng, (None, 10, 80, 400, 9000), n),
            "country": pick(rng, COUNTRIES, n),
            "revenue": pick(rng, (None, 2000000, 25000000, 300000000), n),
            "budget": pick(rng, (None, 50000), n),
            "decision": pick(rng, (None, "2026-09-01"), n),
            "volume": pick(rng, (None, 100), n),
            "product": pick(rng, (None, "legacy suite"), n),
            "interests": pick(rng, ("", "erp", "erp;cloud"), n),
        }
    )
    lead_file, touch_file = folder / "leads.csv", folder / "touches.csv"
    pcsv.write_csv(leads, lead_file)
    pcsv.write_csv(touches, touch_file)
    objects = [
        Interaction(kind=InteractionKind(kinds[k]), at=at)
        for k, at in zip(pool_kind, pool_at, strict=True)
    ]
    raw = {"leads": leads, "counts": counts, "touch": touch, "objects": objects}
    return lead_file, touch_file, raw


def leads_from(raw: dict[str, Any]) -> list[Lead]:
    """`Lead` values holding what the CSV holds (touches share pool objects, as in scoring.py)."""
    table = raw["leads"].to_pydict()
    objects, touch = raw["objects"], raw["touch"].tolist()
    bounds = np.concatenate([[0], np.cumsum(raw["counts"])]).tolist()
    captured = datetime.fromisoformat(table["created"][0])

    def num(text: str, kind: Callable[[str], Any]) -> Any:
        return kind(text) if text else None

    out = []
    for i, lead_id in enumerate(table["lead_id"]):
        revenue = num(table["revenue"][i], float)
        out.append(
            Lead(
                id=lead_id,
                source=Source(channel=table["source"][i], captured_at=captured),
                contact=Contact(
                    last_name="Doe",
                    email=table["email"][i] or None,
                    job_title=table["title"][i] or None,
                ),
                company=Company(
                    name="Acme",
                    domain=table["domain"][i] or None,
                    industry=table["industry"][i] or None,
                    employees=num(table["employees"][i], int),
                    country=table["country"][i] or None,
                    annual_revenue=None
                    if revenue is None
                    else Revenue(amount=revenue, source="broker"),
                ),
                needs=Needs(
                    budget=num(table["budget"][i], float),
                    purchase_decision=num(table["decision"][i], date.fromisoformat),
                    expected_volume=num(table["volume"][i], float),
                    current_product=table["product"][i] or None,
                ),
                interactions=tuple(objects[touch[j]] for j in range(bounds[i], bounds[i + 1])),
                interests=tuple(t for t in table["interests"][i].split(";") if t),
            )
        )
    return out


def duckdb_sql() -> str:
    """The model as SQL, the way a careful analyst writes it: CASE WHEN sums per rule."""

    def domain_in(column: str, domains: frozenset[str]) -> str:
        d = f"lower(trim(regexp_replace({column}, '^.*@', '')))"
        exact = ", ".join(f"'{x}'" for x in sorted(domains))
        suffixes = " OR ".join(f"{d} LIKE '%.{x}'" for x in sorted(domains))
        return f"({column} IS NOT NULL AND ({d} IN ({exact}) OR {suffixes}))"

    title = 'lower("contact.job_title")'
    fit = f"""
      CASE WHEN contains({title}, 'head of') THEN 10 ELSE 0 END
    + CASE WHEN contains({title}, 'director') THEN 10 ELSE 0 END
    + CASE WHEN contains({title}, 'chief') THEN 15 ELSE 0 END
    + CASE WHEN "company.employees" BETWEEN 200 AND 5000 THEN 15 ELSE 0 END
    + CASE WHEN "company.employees" BETWEEN 50 AND 199 THEN 8 ELSE 0 END
    + CASE WHEN "company.annual_revenue.amount" >= 10000000 THEN 10 ELSE 0 END
    + CASE WHEN "needs.budget" IS NOT NULL THEN 10 ELSE 0 END
    + CASE WHEN "needs.purchase_decision" IS NOT NULL THEN 10 ELSE 0 END
    + CASE WHEN "needs.expected_volume" IS NOT NULL THEN 5 ELSE 0 END
    + CASE WHEN trim("needs.current_product") <> '' THEN 5 ELSE 0 END
    + CASE WHEN lower("source.channel") IN ('exhibition', 'referral') THEN 5 ELSE 0 END
    + CASE WHEN lower("company.industry") IN ('manufacturing', 'software', 'logistics')
           THEN 8 ELSE 0 END
    + CASE WHEN lower("company.country") IN ('de', 'at', 'ch') THEN 5 ELSE 0 END
    + CASE WHEN len(interests) > 0 THEN 3 ELSE 0 END
    - CASE WHEN {domain_in('"contact.email"', FREE_MAIL)} THEN 10 ELSE 0 END
    - CASE WHEN contains({title}, 'student') THEN 25 ELSE 0 END
    - CASE WHEN contains({title}, 'intern') THEN 15 ELSE 0 END
    - CASE WHEN {domain_in('"company.domain"', COMPETITORS)} THEN 50 ELSE 0 END
    - CASE WHEN "contact.email" IS NULL OR trim("contact.email") = '' THEN 5 ELSE 0 END
    """
    points = " ".join(f"WHEN '{k.value}' THEN {p}" for _, k, p, _ in ENGAGEMENT)
    caps = " ".join(f"WHEN '{k.value}' THEN {c}" for _, k, _, c in ENGAGEMENT)
    now_us = (NOW - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    return f"""
    WITH aged AS (
      SELECT lead, CAST(kind AS VARCHAR) AS kind, {now_us} - epoch_us("at") AS d
      FROM touches),
    per_kind AS (
      SELECT lead, kind, SUM(
        CASE kind {points} END
        * CASE WHEN kind = 'exhibition' THEN pow(0.8, d // 604800000000)
               ELSE pow(0.5, (d / 1e6) / 2592000.0) END) AS v
      FROM aged WHERE d >= 0 AND d / 1e6 <= 15552000.0
      GROUP BY lead, kind),
    engaged AS (
      SELECT lead, SUM(LEAST(v, CASE kind {caps} END)) AS e FROM per_kind GROUP BY lead),
    fitted AS (
      SELECT row_number() OVER () - 1 AS lead, {fit} AS f FROM leads)
    SELECT GREATEST(LEAST(fitted.f + COALESCE(engaged.e, 0), 100), 0) AS total
    FROM fitted LEFT JOIN engaged USING (lead) ORDER BY fitted.lead
    """


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def target(name: str, measured: float, goal: float, unit: str) -> None:
    verdict = "ok" if measured >= goal else "SHORT"
    print(f"TARGET {name}: measured {measured:,.2f} {unit}, target {goal:,.2f} {unit}, {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 leads instead of 1,000,000")
    args = parser.parse_args()
    import duckdb  # noqa: PLC0415  # installed for this benchmark only

    n = 50_000 if args.quick else 1_000_000
    rounds = 3
    model = build_model()
    with tempfile.TemporaryDirectory() as folder:
        seconds, (lead_file, touch_file, raw) = timed(lambda: generate(n, Path(folder)))
        touches_n = int(raw["counts"].sum())
        print(f"{n:,} leads, {touches_n:,} touches generated in {seconds:.1f} s")
        print(
            f"  files: leads {lead_file.stat().st_size / 1e6:,.0f} MB, touches "
            f"{touch_file.stat().st_size / 1e6:,.0f} MB; peak {peak_mb():,.0f} MB"
        )

        # 1. CSV to scored totals, end to end; each file's import timed on its own too.
        lead_s, alone = timed(lambda: read_csv(lead_file, MAPPING))
        assert not alone.refused
        assert len(alone) == n
        both_s, frame = timed(lambda: read_csv(lead_file, MAPPING, touches=touch_file))
        touch_s = max(both_s - lead_s, 1e-9)
        score_s, scores = timed(lambda: score_frame(frame, model, now=NOW))
        assert not frame.refused
        assert frame.touches.num_rows == touches_n
        print(
            f"CSV to scored totals: {both_s + score_s:.2f} s ({n / (both_s + score_s):,.0f}"
            f" leads/s with their touches; import {both_s:.2f} s, scoring {score_s:.2f} s)"
        )
        print(
            f"  lead file {lead_s:.2f} s, touch file about {touch_s:.2f} s;"
            f" peak {peak_mb():,.0f} MB"
        )
        sample = min(n, 100_000)
        lead_path_s, _ = timed(lambda: alone.to_leads() if sample == n else None)
        if sample != n:
            small = read_csv(lead_file, MAPPING)  # the Lead path on a tenth, for its rate
            part = type(small)(
                leads=small.leads.slice(0, sample),
                touches=small.touches,
                mapping=small.mapping,
                read=sample,
            )
            lead_path_s, _ = timed(part.to_leads)
        print(
            f"  building Lead values from the frame: {sample / lead_path_s:,.0f} leads/s"
            f" (not a target; without touches)"
        )

        # 2. The same in-memory data: DuckDB, score_frame, score_totals, interleaved.
        leads = leads_from(raw)
        print(f"{len(leads):,} Lead values built for score_totals; peak {peak_mb():,.0f} MB")
        connection = duckdb.connect()
        connection.register("leads", frame.leads)
        connection.register("touches", frame.touches)
        sql = duckdb_sql()
        times: dict[str, list[float]] = {"duckdb": [], "score_frame": [], "score_totals": []}
        results: dict[str, Any] = {}
        for _ in range(rounds):
            for name, fn in (
                ("duckdb", lambda: connection.sql(sql).fetchnumpy()["total"]),
                ("score_frame", lambda: score_frame(frame, model, now=NOW).totals),
                ("score_totals", lambda: score_totals(leads, model, now=NOW)),
            ):
                seconds, results[name] = timed(fn)
                times[name].append(seconds)
        medians = {name: statistics.median(values) for name, values in times.items()}
        expected = np.asarray(results["score_totals"])
        for name in ("duckdb", "score_frame"):
            worst = float(np.abs(np.asarray(results[name], dtype=float) - expected).max())
            assert worst < 1e-9, f"{name} and score_totals disagree by {worst}"
        assert np.array_equal(scores.totals, results["score_frame"])
        for name, seconds in medians.items():
            print(
                f"{name:<13} {seconds:8.3f} s  {n / seconds:>12,.0f} leads/s (median of {rounds})"
            )
        print(f"peak memory {peak_mb():,.0f} MB")
        target("frames_vs_duckdb", medians["duckdb"] / medians["score_frame"], 1.0, "x")
        target(
            "frames_vs_score_totals", medians["score_totals"] / medians["score_frame"], 10.0, "x"
        )
        target("import_lead_rows", n / lead_s, 200_000, "rows/s")
        target("import_touch_rows", touches_n / touch_s, 200_000, "rows/s")


if __name__ == "__main__":
    main()
