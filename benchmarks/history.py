"""A command's cost against the length of its lead's history: flat, not linear.

A lead's next deadline (the SLA clocks still open) is worked out on every command. The
pipeline keeps the SLA fold of each cached lead's history beside it and folds only a
command's new events onto it (`SlaFold`), so a touch on a lead with a thousand events
should cost what a touch on a lead with ten costs.

Two leads are built through `Pipeline.record_interaction`, one to 10 events and one to
1,000; then, in interleaved rounds, each gets a few hundred more touches on its cached
copy. The ratio of the per-command times is taken within each round and the median
reported. On MemoryStore that is the command path itself (target: within 2x). On SQLite
(``synchronous=OFF`` on a temporary file, so the disk's sync does not hide the cost) the
figure is printed beside it: each write stores the whole snapshot, and a lead with a
thousand touches is a snapshot of about 100 KB, so that side grows with what is written.

Run: ``python benchmarks/history.py`` (7 rounds of 300 commands) or ``--quick``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import visitors
from leadpipeline import Interaction, InteractionKind, Pipeline
from leadpipeline.adapters import MemoryStore, SimulatedClock, SqliteStore
from leadpipeline.adapters.ports import LeadStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHORT, LONG = 10, 1_000
TARGET_RATIO = 2.0
VISIT = Interaction(kind=InteractionKind.SITE_VISIT, at=T0)


def lead_of(store: LeadStore, length: int) -> Pipeline:
    """A pipeline whose one lead, L-1, has `length` events (a capture and touches)."""
    pipeline = Pipeline(store=store, clock=SimulatedClock(T0))
    pipeline.capture(visitors.fair_lead("L-1", 1, T0))
    for _ in range(length - len(pipeline.history("L-1"))):
        pipeline.record_interaction("L-1", VISIT)
    assert len(pipeline.history("L-1")) == length
    return pipeline


def per_command(pipeline: Pipeline, count: int) -> float:
    """Seconds per touch recorded on the cached lead."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(count):
        pipeline.record_interaction("L-1", VISIT)
    return (time.perf_counter() - start) / count


def ratios(make: Callable[[int], Pipeline], rounds: int, count: int) -> tuple[float, float, float]:
    """Median per-command times at each length, and the median of the per-round ratios."""
    short, long = make(SHORT), make(LONG)
    short_times, long_times, found = [], [], []
    for n in range(rounds):
        sides = [(short, short_times), (long, long_times)]
        for pipeline, times in sides if n % 2 == 0 else sides[::-1]:
            times.append(per_command(pipeline, count))
        found.append(long_times[-1] / short_times[-1])
    return statistics.median(short_times), statistics.median(long_times), statistics.median(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 100 commands")
    args = parser.parse_args()
    rounds, count = (3, 100) if args.quick else (7, 300)
    folder = Path(tempfile.mkdtemp(prefix="leadpipeline-history-"))
    files = iter(range(1_000))

    def on_sqlite(length: int) -> Pipeline:
        path = folder / f"leads-{next(files)}.db"
        return lead_of(SqliteStore(path, synchronous="OFF"), length)

    memory = ratios(lambda length: lead_of(MemoryStore(), length), rounds, count)
    sqlite = ratios(on_sqlite, rounds, count)
    for name, (short, long, ratio) in (("MemoryStore", memory), ("SqliteStore", sqlite)):
        print(
            f"{name}: {short * 1e6:.0f} us per command at {SHORT} events, "
            f"{long * 1e6:.0f} us at {LONG:,} ({ratio:.2f} x, median of {rounds} rounds)"
        )
    ratio = memory[2]
    print(
        f"TARGET command_at_{LONG}_vs_{SHORT}_events: measured {ratio:.2f} x, "
        f"target {TARGET_RATIO:.2f} x, {'ok' if ratio <= TARGET_RATIO else 'SHORT'}"
    )


if __name__ == "__main__":
    main()
