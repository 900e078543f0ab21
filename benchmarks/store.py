"""Pipeline on SqliteStore against raw sqlite3: commands per second and batch capture.

For each lead: capture, three recorded touches, qualify, hand over (six commands), each
one atomic, versioned write through `Pipeline` on a SQLite file on disk, with the default
``synchronous=FULL`` and again with ``NORMAL``. Then `capture_many` imports the same
number of fresh leads in one call. Raw sqlite3 inserts the same rows (the JSON texts the
pipeline wrote: its event rows, one snapshot row per command) with ``executemany`` in one
transaction, in the same run, as the floor.

Run: ``python benchmarks/store.py`` (20,000 leads) or ``--quick`` (2,000 leads).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from leadpipeline import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Pipeline,
    Revenue,
    Source,
)
from leadpipeline.adapters import SimulatedClock, SqliteStore
from leadpipeline.adapters.sqlite import Synchronous

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMMANDS_PER_LEAD = 6
TARGET_COMMANDS = 2000.0
TARGET_RATIO = 3.0


def fair_lead(n: int) -> Lead:
    """A trade-fair visitor good enough to become an MQL."""
    return Lead(
        id=f"L-{n:06d}",
        source=Source(channel="exhibition", captured_at=T0, source_id=f"badge-{n}"),
        contact=Contact(
            first_name="Ada",
            last_name=f"Lind{n}",
            email=f"ada{n}@acme{n}.example",
            job_title="Head of Operations",
        ),
        company=Company(
            name=f"Acme {n}",
            domain=f"acme{n}.example",
            industry="manufacturing",
            employees=800,
            country="DE",
            region="north",
            annual_revenue=Revenue(amount=30e6, source="address-broker"),
        ),
        needs=Needs(
            budget=120_000.0,
            purchase_decision=date(2026, 8, 1),
            expected_volume=400.0,
            current_product="legacy suite",
        ),
        interactions=(
            Interaction(kind=InteractionKind.EXHIBITION, at=T0),
            Interaction(kind=InteractionKind.FORM_SUBMIT, at=T0),
        ),
    )


def run_commands(folder: Path, leads: int, synchronous: Synchronous) -> tuple[float, Path]:
    """Seconds for capture plus five commands per lead, one write each."""
    path = folder / f"commands-{synchronous.lower()}.db"
    store = SqliteStore(path, synchronous=synchronous)
    pipeline = Pipeline(store=store, clock=SimulatedClock(T0))
    batch = [fair_lead(n) for n in range(leads)]
    visit = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)
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


def run_capture_many(folder: Path, leads: int) -> tuple[float, Path]:
    """Seconds for one `capture_many` of all leads (synchronous FULL)."""
    path = folder / "capture-many.db"
    store = SqliteStore(path)
    pipeline = Pipeline(store=store, clock=SimulatedClock(T0))
    batch = [fair_lead(n) for n in range(leads)]
    start = time.perf_counter()
    report = pipeline.capture_many(batch)
    elapsed = time.perf_counter() - start
    assert len(report.captured) == leads
    store.close()
    return elapsed, path


def raw_insert(
    folder: Path, name: str, source: Path, snapshots_per_lead: int, synchronous: str
) -> float:
    """Seconds for raw sqlite3 to insert the same event and snapshot rows with executemany."""
    with sqlite3.connect(source) as conn:
        events = conn.execute("SELECT lead_id, version, body FROM events").fetchall()
        snapshots = conn.execute("SELECT lead_id, snapshot FROM leads").fetchall()
    conn.close()
    rows = [(lid, v, text) for lid, text in snapshots for v in range(snapshots_per_lead)]
    path = folder / f"raw-{name}.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute(f"PRAGMA synchronous = {synchronous}")
    raw.execute("CREATE TABLE events (lead_id TEXT, version INTEGER, body TEXT)")
    raw.execute("CREATE TABLE snapshots (lead_id TEXT, version INTEGER, snapshot TEXT)")
    start = time.perf_counter()
    raw.execute("BEGIN IMMEDIATE")
    raw.executemany("INSERT INTO events VALUES (?, ?, ?)", events)
    raw.executemany("INSERT INTO snapshots VALUES (?, ?, ?)", rows)
    raw.execute("COMMIT")
    elapsed = time.perf_counter() - start
    raw.close()
    return elapsed


def target(name: str, measured: float, goal: float, unit: str, *, higher: bool) -> str:
    ok = measured >= goal if higher else measured <= goal
    return (
        f"TARGET {name}: measured {measured:.1f} {unit}, target {goal:g} {unit}, "
        f"{'ok' if ok else 'SHORT'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 leads instead of 20,000")
    args = parser.parse_args()
    leads = 2_000 if args.quick else 20_000
    commands = leads * COMMANDS_PER_LEAD
    folder = Path(tempfile.mkdtemp(prefix="leadpipeline-bench-"))
    try:
        rates: dict[str, float] = {}
        for level in ("FULL", "NORMAL"):
            elapsed, path = run_commands(folder, leads, level)
            raw = raw_insert(folder, level, path, COMMANDS_PER_LEAD, level)
            rates[level] = commands / elapsed
            print(
                f"pipeline, synchronous={level}: {commands} commands on {leads} leads in "
                f"{elapsed:.2f} s = {rates[level]:.0f} commands/s; raw executemany of the "
                f"same rows {raw:.3f} s (pipeline {elapsed / raw:.0f} x raw)"
            )
        batch, path = run_capture_many(folder, leads)
        raw = raw_insert(folder, "capture-many", path, 1, "FULL")
        ratio = batch / raw
        print(
            f"capture_many of {leads} leads: {batch:.3f} s "
            f"({leads / batch:.0f} leads/s); raw executemany of the same rows {raw:.3f} s"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(target("pipeline_commands", rates["FULL"], TARGET_COMMANDS, "commands/s", higher=True))
    print(target("capture_many_vs_raw", ratio, TARGET_RATIO, "x", higher=False))


if __name__ == "__main__":
    main()
