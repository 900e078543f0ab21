"""MemoryStore capture cost against the number of leads it holds: flat, not linear.

A capture asks the store for the lead of its source record and for an open duplicate
(same email, or same domain and company name) before it writes. Both stores here are
filled with `capture_many` first, one with 1,000 leads and one with 50,000; then, in
interleaved rounds, each captures a few hundred fresh visitors one by one through
`Pipeline.capture`. The ratio of the two per-capture times is taken within each round
and the median reported, so load on a shared machine shifts both sides alike.

Run: ``python benchmarks/capture.py`` (7 rounds of 400 captures) or ``--quick``.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from datetime import UTC, datetime

import visitors
from leadpipeline import Pipeline
from leadpipeline.adapters import MemoryStore, SimulatedClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SMALL, LARGE = 1_000, 50_000
TARGET_RATIO = 2.0


def filled(size: int) -> tuple[Pipeline, int]:
    """A pipeline on a MemoryStore holding `size` captured leads, and the next lead number."""
    pipeline = Pipeline(store=MemoryStore(), clock=SimulatedClock(T0))
    pipeline.capture_many(visitors.fair_lead(f"L-{n:06d}", n, T0) for n in range(size))
    return pipeline, size


def per_capture(pipeline: Pipeline, first: int, count: int) -> float:
    """Seconds per capture of `count` fresh visitors numbered from `first`."""
    batch = [visitors.fair_lead(f"L-{n:06d}", n, T0) for n in range(first, first + count)]
    gc.collect()
    start = time.perf_counter()
    for lead in batch:
        pipeline.capture(lead)
    return (time.perf_counter() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 200 captures")
    args = parser.parse_args()
    rounds, count = (3, 200) if args.quick else (7, 400)
    (small, next_small), (large, next_large) = filled(SMALL), filled(LARGE)
    ratios, small_times, large_times = [], [], []
    for n in range(rounds):
        if n % 2:
            big = per_capture(large, next_large, count)
            little = per_capture(small, next_small, count)
        else:
            little = per_capture(small, next_small, count)
            big = per_capture(large, next_large, count)
        next_small, next_large = next_small + count, next_large + count
        small_times.append(little)
        large_times.append(big)
        ratios.append(big / little)
    ratio = statistics.median(ratios)
    print(
        f"MemoryStore capture: {statistics.median(small_times) * 1e3:.3f} ms at {SMALL:,} "
        f"stored, {statistics.median(large_times) * 1e3:.3f} ms at {LARGE:,} stored "
        f"(medians of {rounds} rounds of {count}; ratios {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    verdict = "ok" if ratio <= TARGET_RATIO else "SHORT"
    print(
        f"TARGET memory_capture_50k_vs_1k: measured {ratio:.2f} x, "
        f"target {TARGET_RATIO:g} x, {verdict}"
    )


if __name__ == "__main__":
    main()
