"""Commands per second through `Pipeline` on PostgreSQL, beside raw psycopg inserts.

Each lead gets six commands: capture, three recorded interactions, MQL qualification and
nurture; every command is a load, a decision and one versioned append (one transaction).
Worker processes each drive their own leads through their own `PostgresStore`; the run
is timed from the first worker's start to the last one's end. Beside it, in the same run,
the rows those commands wrote (events, snapshots, outbox entries) are inserted again with
plain psycopg ``executemany`` into bare tables: the cost of the rows alone, without
decisions, version checks or round trips per command.

The disk's own limit beside it: worker processes committing one row each time in
autocommit (an event's text, keyed by lead and version), with as many processes as the
pipeline run, just before it in each round. Rounds interleave (bare commits, then the
pipeline, for one process and for four; three rounds by default) and the ratios are
medians over the rounds. Four pipeline processes should reach at least 0.4 of the commits
per second those four bare writers reach.

The server's ``synchronous_commit`` is kept (``on``: each commit waits for its WAL
flush); the same run with ``synchronous_commit=off`` is shown too.

Run: LEADPIPELINE_POSTGRES_DSN=postgresql://... python benchmarks/store_postgres.py [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

TARGET = 1500.0
TARGET_VS_RAW = 0.4  # four pipeline processes against four processes of one-row commits
DSN_ENV = "LEADPIPELINE_POSTGRES_DSN"
COMMANDS_PER_LEAD = 6


def fair_lead(lead_id: str, n: int, at: datetime) -> Any:
    """A trade-fair visitor with a project this year: qualifies as MQL."""
    import visitors  # noqa: PLC0415  # imported in the worker process
    from leadpipeline.lead import InteractionKind  # noqa: PLC0415

    return visitors.fair_lead(lead_id, n, at, second_touch=InteractionKind.WEBINAR)


class TimedStore:
    """Delegates to a store and adds up the seconds spent inside its methods."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began

        return timed


def worker(
    dsn: str | None, schema: str, prefix: str, leads: int, *, sync: Any, start: Any
) -> tuple[float, float, int, float]:
    """Drive `leads` leads through six commands each.

    Returns (start, end, commands, seconds inside the store); no DSN means a MemoryStore.
    """
    from leadpipeline.adapters.memory import MemoryStore  # noqa: PLC0415
    from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415
    from leadpipeline.lead import Interaction, InteractionKind  # noqa: PLC0415
    from leadpipeline.pipeline import Pipeline  # noqa: PLC0415

    inner: Any = (
        MemoryStore()
        if dsn is None
        else PostgresStore(
            dsn,
            schema=schema,
            min_size=1,
            max_size=1,
            synchronous_commit=sync,
        )
    )
    store = TimedStore(inner)
    pipeline = Pipeline(store=store)
    now = datetime.now(UTC)
    work = [fair_lead(f"{prefix}-{i:06d}", i, now) for i in range(leads)]
    touch = Interaction(kind=InteractionKind.SITE_VISIT, at=now, detail="pricing page")
    start.wait()
    began = time.time()
    commands = 0
    for lead in work:
        pipeline.capture(lead)
        for _ in range(3):
            pipeline.record_interaction(lead.id, touch)
        pipeline.qualify(lead.id)
        pipeline.nurture(lead.id, reason="no budget before next year")
        commands += COMMANDS_PER_LEAD
    ended = time.time()
    if dsn is not None:
        inner.close()
    return began, ended, commands, store.seconds


def raw_worker(dsn: str, table: str, prefix: str, commits: int, start: Any) -> tuple[float, float]:
    """Commit `commits` single rows in autocommit, each its own transaction: (start, end)."""
    import psycopg  # noqa: PLC0415

    body = (
        '{"type": "interaction_recorded", "lead_id": "L-000001", "version": 2, '
        '"at": "2026-03-02T09:00:00+00:00", "interaction": {"kind": "site_visit", '
        '"at": "2026-03-02T09:00:00+00:00", "detail": "pricing page"}}'
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        start.wait()
        began = time.time()
        for n in range(commits):
            conn.execute(f"INSERT INTO {table} VALUES (%s, %s, %s::jsonb)", (prefix, n, body))
        return began, time.time()


def run_raw_commits(dsn: str, schema: str, workers: int, commits: int) -> float:
    """One-row autocommit commits per second of `workers` processes on the same server."""
    import psycopg  # noqa: PLC0415

    table = f'"{schema}".raw_commits'
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (lead_id text, version int, body jsonb, "
            "PRIMARY KEY (lead_id, version))"
        )
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    with ctx.Pool(workers) as pool:
        pending = [
            pool.apply_async(raw_worker, (dsn, table, f"R{w}", commits // workers, start))
            for w in range(workers)
        ]
        time.sleep(1.0)
        start.set()
        spans = [p.get() for p in pending]
    return (commits // workers * workers) / (max(e for _, e in spans) - min(b for b, _ in spans))


def run_pipeline(
    dsn: str | None, schema: str, workers: int, leads: int, sync: str | None
) -> tuple[float, float]:
    """Commands per second of `workers` processes, and their share of time in the store."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    per = leads // workers
    with ctx.Pool(workers) as pool:
        pending = [
            pool.apply_async(
                worker, (dsn, schema, f"W{workers}{w}", per), {"sync": sync, "start": start}
            )
            for w in range(workers)
        ]
        time.sleep(1.0)  # let every worker open its store and build its leads
        start.set()
        results = [p.get() for p in pending]
    span = max(r[1] for r in results) - min(r[0] for r in results)
    busy = sum(r[1] - r[0] for r in results)
    return sum(r[2] for r in results) / span, sum(r[3] for r in results) / busy


def run_raw(dsn: str, schema: str) -> tuple[int, float]:
    """Insert the stored rows again with executemany into bare tables: (rows, rows/s)."""
    import psycopg  # noqa: PLC0415

    q = f'"{schema}"'
    with psycopg.connect(dsn) as conn:
        events = conn.execute(f"SELECT lead_id, version, body::text FROM {q}.events").fetchall()
        leads = conn.execute(f"SELECT lead_id, version, snapshot::text FROM {q}.leads").fetchall()
        notes = conn.execute(
            f"SELECT lead_id, key, body::text, next_attempt_at FROM {q}.outbox"
        ).fetchall()
        conn.execute(
            f"CREATE TABLE {q}.raw_events (lead_id text, version int, body jsonb, "
            "UNIQUE (lead_id, version))"
        )
        conn.execute(
            f"CREATE TABLE {q}.raw_leads (lead_id text PRIMARY KEY, version int, snapshot jsonb)"
        )
        conn.execute(
            f"CREATE TABLE {q}.raw_outbox (id bigserial PRIMARY KEY, lead_id text, key text, "
            "body jsonb, next_attempt_at timestamptz)"
        )
        conn.commit()
        began = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {q}.raw_events VALUES (%s, %s, %s::jsonb)", events)
            cur.executemany(f"INSERT INTO {q}.raw_leads VALUES (%s, %s, %s::jsonb)", leads)
            cur.executemany(
                f"INSERT INTO {q}.raw_outbox (lead_id, key, body, next_attempt_at) "
                "VALUES (%s, %s, %s::jsonb, %s)",
                notes,
            )
        conn.commit()
        took = time.perf_counter() - began
    rows = len(events) + len(leads) + len(notes)
    return rows, rows / took


@contextmanager
def fresh_schema(dsn: str) -> Iterator[str]:
    """A schema of its own for one measurement, dropped afterwards."""
    from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415

    schema = f"lp_bench_{uuid.uuid4().hex[:10]}"
    store = PostgresStore(dsn, schema=schema, min_size=0)
    try:
        yield schema
    finally:
        store.drop_schema()


def pipeline_line(workers: int, leads: int, label: str, rate: float, share: float) -> str:
    return (
        f"pipeline, {workers} process(es), {label}: {leads:,} leads x "
        f"{COMMANDS_PER_LEAD} commands at {rate:,.0f} commands/s "
        f"({share:.0%} of the workers' time inside PostgresStore)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="400 leads instead of 2,000")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--dsn", default=os.environ.get(DSN_ENV), help=f"default: ${DSN_ENV}")
    args = parser.parse_args()
    if not args.dsn:
        print(f"set {DSN_ENV} or pass --dsn to run this benchmark")
        print(
            f"TARGET postgres_commands: measured 0 commands/s, target {TARGET:g} commands/s, SHORT"
        )
        sys.exit(0)

    leads = 400 if args.quick else 2000
    memory, _ = run_pipeline(None, "", 1, leads // 4, None)
    print(
        f"pipeline, 1 process, MemoryStore (the core alone, the ceiling): {memory:,.0f} commands/s"
    )
    ratios: dict[int, list[float]] = {1: [], 4: []}
    rates: dict[int, list[float]] = {1: [], 4: []}
    for n in range(1, args.rounds + 1):
        for workers in (1, 4):
            with fresh_schema(args.dsn) as schema:
                raw_rate = run_raw_commits(args.dsn, schema, workers, leads * 2)
                rate, share = run_pipeline(args.dsn, schema, workers, leads, None)
                ratios[workers].append(rate / raw_rate)
                rates[workers].append(rate)
                print(
                    f"round {n}: raw one-row autocommit commits, {workers} process(es): "
                    f"{raw_rate:,.0f} commits/s; "
                    + pipeline_line(workers, leads, "server default", rate, share)
                    + f"; {rate / raw_rate:.2f} x"
                )
                if n == 1 and workers == 4:
                    rows, raw = run_raw(args.dsn, schema)
                    print(
                        f"raw psycopg executemany of the same {rows:,} rows (events, snapshots, "
                        f"outbox), one transaction: {raw:,.0f} rows/s, "
                        f"{raw / (rows / (leads * COMMANDS_PER_LEAD)):,.0f} commands' worth/s"
                    )
    for workers in (1, 4):
        with fresh_schema(args.dsn) as schema:
            rate, share = run_pipeline(args.dsn, schema, workers, leads, "off")
            print(pipeline_line(workers, leads, "synchronous_commit=off", rate, share))
    print(
        f"one process against one process of bare commits: "
        f"{statistics.median(ratios[1]):.2f} x (median of {args.rounds} rounds)"
    )
    measured = statistics.median(rates[4])
    verdict = "ok" if measured >= TARGET else "SHORT"
    print(
        f"TARGET postgres_commands: measured {measured:.0f} commands/s, "
        f"target {TARGET:g} commands/s, {verdict}"
    )
    ratio = statistics.median(ratios[4])
    verdict = "ok" if ratio >= TARGET_VS_RAW else "SHORT"
    print(
        f"TARGET postgres_four_processes_vs_raw_commits: measured {ratio:.2f} x, "
        f"target {TARGET_VS_RAW:g} x, {verdict}"
    )


if __name__ == "__main__":
    main()
