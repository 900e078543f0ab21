"""Pipeline on SqliteStore against raw sqlite3: commands per second and batch capture.

For each lead: capture, three recorded touches, qualify, hand over (six commands), each
one atomic, versioned write through `Pipeline` on a SQLite file on disk, with the default
``synchronous=FULL`` and again with ``NORMAL``. Then `capture_many` imports the same
number of fresh leads in one call.

The floor beside it, in the same run: raw sqlite3 inserting the same rows with
``executemany`` in one transaction, into a fresh file with the same schema and indexes,
with the same journal mode and durability: every row of every table the pipeline's file
holds, copied from that file, so the texts and index keys are exactly those the pipeline
wrote. The batch comparison runs six pairs, each a `capture_many` and the raw copy of
its rows back to back, three with each going first (whichever runs second finds the
disk busier), and reports the median of the per-pair ratios: a shared disk's speed
drifts over minutes, and a ratio of two runs made far apart measures the drift. Every
timed section starts after a garbage collection and ``os.sync()``, so none pays for
building its inputs or for an earlier section's writeback.

Then the durable command path against the disk's own limit, in interleaved rounds
(the order rotating each round, ratios taken within a round, medians reported), each
on fresh files with ``synchronous=FULL``:

- raw sqlite3 committing one row at a time (an event's text, keyed by lead and
  version), one connection: as many durable commits per second as the disk allows;
- the same bare one-row commits from eight threads, each on its own connection (the
  fairer peer for the eight-thread line: SQLite serialises writers, and each commit
  still syncs alone);
- `Pipeline.record_interaction` from one thread, a cached lead per command;
- the same from eight threads, whose writes the store commits in groups;
- eventsourcing 9.5 on SQLite from eight threads (see `eventsourced.py`), when it is
  installed; otherwise the line says it was skipped.

Run: ``python benchmarks/store.py`` (20,000 leads) or ``--quick`` (2,000 leads).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import eventsourced
import visitors
from leadpipeline import Interaction, InteractionKind, Lead, Pipeline
from leadpipeline.adapters import SimulatedClock, SqliteStore
from leadpipeline.adapters.sqlite import Synchronous

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMMANDS_PER_LEAD = 6
TARGET_COMMANDS = 2000.0
TARGET_RATIO = 3.0
TARGET_ONE_WRITER = 0.5  # x raw single-row commits
TARGET_EIGHT_WRITERS = 1.0  # x raw single-row commits
TARGET_VS_EVENTSOURCING = 1.5  # x eventsourcing, eight threads each
THREADS = 8


def fair_lead(n: int) -> Lead:
    """Visitor `n`, met at the stand when the benchmark's clock starts."""
    return visitors.fair_lead(f"L-{n:06d}", n, T0)


def settle() -> None:
    """Start a timed section clean: no other file's writeback, no garbage left to sweep.

    The inputs are built just before; collecting once moves them out of the young
    generations, so the timed section does not pay to age objects made outside it.
    """
    gc.collect()
    if hasattr(os, "sync"):
        os.sync()


def run_commands(folder: Path, leads: int, synchronous: Synchronous) -> tuple[float, Path]:
    """Seconds for capture plus five commands per lead, one write each."""
    path = folder / f"commands-{synchronous.lower()}.db"
    store = SqliteStore(path, synchronous=synchronous)
    pipeline = Pipeline(store=store, clock=SimulatedClock(T0))
    batch = [fair_lead(n) for n in range(leads)]
    visit = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)
    settle()
    start = time.perf_counter()
    for lead in batch:
        pipeline.capture(lead)
        for _ in range(3):
            pipeline.record_interaction(lead.id, visit)
        pipeline.qualify(lead.id)
        pipeline.hand_over(lead.id)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed, path


def run_capture_many(path: Path, leads: int) -> float:
    """Seconds for one `capture_many` of all leads into a new file (synchronous FULL)."""
    store = SqliteStore(path)
    pipeline = Pipeline(store=store, clock=SimulatedClock(T0))
    batch = [fair_lead(n) for n in range(leads)]
    settle()
    start = time.perf_counter()
    report = pipeline.capture_many(batch)
    elapsed = time.perf_counter() - start
    assert len(report.captured) == leads
    store.close()
    return elapsed


def raw_copy(source: Path, path: Path, synchronous: str) -> float:
    """Seconds for raw sqlite3 to insert every row of `source` into a copy of its schema."""
    with closing(sqlite3.connect(source)) as conn:
        schema = [
            sql
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
            )
        ]
        tables = {name: conn.execute(f"SELECT * FROM {name}").fetchall() for name in names}
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute(f"PRAGMA synchronous = {synchronous}")
        for sql in schema:
            raw.execute(sql)
        settle()
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        for name, rows in tables.items():
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                raw.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
        raw.execute("COMMIT")
        return time.perf_counter() - start


def raw_bare(source: Path, path: Path) -> float:
    """Seconds to insert only the event texts and snapshots into tables without indexes.

    The floor an earlier version of this benchmark compared against, printed for
    reference: it leaves out the index columns, source rows and indexes a store needs.
    """
    with closing(sqlite3.connect(source)) as conn:
        events = conn.execute("SELECT lead_id, version, body FROM events").fetchall()
        snapshots = conn.execute("SELECT lead_id, version, snapshot FROM leads").fetchall()
    with closing(sqlite3.connect(path, isolation_level=None)) as raw:
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("PRAGMA synchronous = FULL")
        raw.execute("CREATE TABLE events (lead_id TEXT, version INTEGER, body TEXT)")
        raw.execute("CREATE TABLE snapshots (lead_id TEXT, version INTEGER, snapshot TEXT)")
        settle()
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany("INSERT INTO events VALUES (?, ?, ?)", events)
        raw.executemany("INSERT INTO snapshots VALUES (?, ?, ?)", snapshots)
        raw.execute("COMMIT")
        return time.perf_counter() - start


def paired_capture_many(folder: Path, leads: int, rounds: int = 6) -> list[tuple[float, float]]:
    """Seconds of `capture_many` and of the raw copy of its rows, measured in pairs.

    The two runs of a pair follow each other, in alternating order, so both meet the
    same state of a shared disk; the disk's speed drifts over minutes, so ratios are
    taken within pairs, never between runs made at different times. Each pair's files
    are deleted after it, so no pair runs beside its predecessors' leftovers. The
    rows are the same in every round (same leads, same simulated clock), so the raw
    side always copies the first round's file.
    """
    source = folder / "capture-many-source.db"
    run_capture_many(source, leads)
    pairs: list[tuple[float, float]] = []
    for n in range(rounds):
        batch_path, raw_path = folder / f"capture-many-{n}.db", folder / f"raw-{n}.db"
        if n % 2:
            raw = raw_copy(source, raw_path, "FULL")
            batch = run_capture_many(batch_path, leads)
        else:
            batch = run_capture_many(batch_path, leads)
            raw = raw_copy(source, raw_path, "FULL")
        pairs.append((batch, raw))
        for leftover in folder.glob(f"*-{n}.db*"):
            leftover.unlink()
    return pairs


def raw_single_rows(path: Path, commits: int, threads: int = 1) -> float:
    """Seconds for bare one-row commits, `commits` in all, split over `threads` connections."""
    body = '{"type": "interaction_recorded", "lead_id": "L-000001", "version": 2}' * 4
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(
            "CREATE TABLE events (lead_id TEXT, version INTEGER, body TEXT, "
            "PRIMARY KEY (lead_id, version))"
        )

    def work(t: int) -> None:
        with closing(sqlite3.connect(path, isolation_level=None, timeout=60)) as conn:
            conn.execute("PRAGMA synchronous = FULL")
            for n in range(commits // threads):
                conn.execute("INSERT INTO events VALUES (?, ?, ?)", (f"L-{t}", n, body))

    return in_threads(work, threads)


def in_threads(work: Callable[[int], None], threads: int) -> float:
    """Seconds for `work(0)` ... `work(threads - 1)` to run, each on its own thread."""
    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    settle()
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return time.perf_counter() - start


def pipeline_touches(path: Path, commands: int, threads: int, leads: int = 25) -> float:
    """Seconds for `threads` threads to record `commands` touches in all, on their own leads."""
    store = SqliteStore(path)
    pipeline = Pipeline(store=store, clock=SimulatedClock(T0))
    owned = [[f"L-{t:02d}-{i:03d}" for i in range(leads)] for t in range(threads)]
    pipeline.capture_many(
        visitors.fair_lead(lead_id, n, T0)
        for n, lead_id in enumerate(lead_id for mine in owned for lead_id in mine)
    )
    visit = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)

    def work(t: int) -> None:
        mine = owned[t]
        for n in range(commands // threads):
            pipeline.record_interaction(mine[n % leads], visit)

    elapsed = in_threads(work, threads)
    store.close()
    return elapsed


def command_rounds(folder: Path, commands: int, rounds: int) -> dict[str, list[float]]:
    """Commands (or commits) per second of each side, per round, in rotating order."""
    sides: dict[str, Callable[[Path], float]] = {
        "raw": lambda p: raw_single_rows(p, commands),
        f"raw x{THREADS}": lambda p: raw_single_rows(p, commands, THREADS),
        "pipeline x1": lambda p: pipeline_touches(p, commands, 1),
        f"pipeline x{THREADS}": lambda p: pipeline_touches(p, commands, THREADS),
    }
    if eventsourced.available():
        sides[f"eventsourcing x{THREADS}"] = lambda p: eventsourced.commands(
            p, THREADS, commands // THREADS
        )
    rates: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for n in range(rounds):
        for k, name in enumerate(names[n % len(names) :] + names[: n % len(names)]):
            path = folder / f"round-{n}-{k}.db"
            rates[name].append(commands / sides[name](path))
        for leftover in folder.glob(f"round-{n}-*"):
            leftover.unlink()
    return rates


def target(name: str, measured: float, goal: float, unit: str, *, higher: bool) -> str:
    ok = measured >= goal if higher else measured <= goal
    shown = f"{measured:.2f}" if measured < 100 else f"{measured:.0f}"
    return (
        f"TARGET {name}: measured {shown} {unit}, target {goal:g} {unit}, {'ok' if ok else 'SHORT'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 leads instead of 20,000")
    args = parser.parse_args()
    leads = 2_000 if args.quick else 20_000
    durable, rounds = (400, 3) if args.quick else (2_000, 5)
    commands = leads * COMMANDS_PER_LEAD
    folder = Path(tempfile.mkdtemp(prefix="leadpipeline-bench-"))
    try:
        rates: dict[str, float] = {}
        for level in ("FULL", "NORMAL"):
            elapsed, path = run_commands(folder, leads, level)
            raw = raw_copy(path, folder / f"raw-{level}.db", level)
            rates[level] = commands / elapsed
            print(
                f"pipeline, synchronous={level}: {commands} commands on {leads} leads in "
                f"{elapsed:.2f} s = {rates[level]:.0f} commands/s; raw executemany of the "
                f"final rows in one transaction {raw:.3f} s"
            )
        pairs = paired_capture_many(folder, leads)
        ratio = statistics.median(batch / raw for batch, raw in pairs)
        batch = statistics.median(batch for batch, _ in pairs)
        raw = statistics.median(raw for _, raw in pairs)
        bare = raw_bare(folder / "capture-many-source.db", folder / "raw-bare.db")
        print(
            f"capture_many of {leads} leads: {batch:.3f} s ({leads / batch:.0f} leads/s); "
            f"raw executemany of the same rows {raw:.3f} s (medians of {len(pairs)} pairs; "
            f"ratios {', '.join(f'{b / r:.2f}' for b, r in pairs)}); for reference, only "
            f"events and snapshots into tables without indexes {bare:.3f} s "
            f"({batch / bare:.2f} x)"
        )
        per_round = command_rounds(folder, durable, rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name, values in per_round.items():
        print(
            f"{name}: {statistics.median(values):.0f} per s "
            f"(rounds: {', '.join(f'{v:.0f}' for v in values)})"
        )
    ratios = {
        name: statistics.median(v / r for v, r in zip(values, per_round["raw"], strict=True))
        for name, values in per_round.items()
    }
    eight = f"pipeline x{THREADS}"
    fairer = statistics.median(
        a / b for a, b in zip(per_round[eight], per_round[f"raw x{THREADS}"], strict=True)
    )
    print(f"eight pipeline threads against eight threads of bare commits: {fairer:.2f} x")
    print(target("pipeline_commands", rates["FULL"], TARGET_COMMANDS, "commands/s", higher=True))
    print(target("capture_many_vs_raw", ratio, TARGET_RATIO, "x", higher=False))
    print(
        target(
            "one_writer_vs_raw_commits", ratios["pipeline x1"], TARGET_ONE_WRITER, "x", higher=True
        )
    )
    print(
        target(
            "eight_writers_vs_raw_commits", ratios[eight], TARGET_EIGHT_WRITERS, "x", higher=True
        )
    )
    peer = f"eventsourcing x{THREADS}"
    if peer in per_round:
        versus = statistics.median(
            a / b for a, b in zip(per_round[eight], per_round[peer], strict=True)
        )
        print(
            target(
                "eight_writers_vs_eventsourcing", versus, TARGET_VS_EVENTSOURCING, "x", higher=True
            )
        )
    else:
        print(
            "eventsourcing is not installed: skipped the eight_writers_vs_eventsourcing line "
            '(pip install "eventsourcing==9.5.*" to run it)'
        )


if __name__ == "__main__":
    main()
