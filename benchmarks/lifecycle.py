"""Lifecycle throughput: decide + evolve transitions per second down the whole waterfall.

Each generated lead is captured, gets one recorded touch, and walks
inquiry -> mql -> sal -> sql -> opportunity (direct sales) -> customer: seven transitions,
each one `decide` plus `evolve` of the events it returned. Beside it, in the same run, a
plain dict transition table does the same moves, as the floor of what Python can do.

Usage: python benchmarks/lifecycle.py [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from leadpipeline import (
    DEFAULT_PLAYBOOK,
    Capture,
    Command,
    Interaction,
    InteractionKind,
    Lead,
    MoveStage,
    Party,
    RecordInteraction,
    Source,
    decide,
)
from leadpipeline.events import evolve

TARGET = 100_000  # transitions per second
CHANNELS = ("exhibition", "web", "webinar", "referral", "purchased list")
ZONES = (UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)))
DIRECT = Party.sales(team="direct")
WALK: tuple[Command, ...] = (
    MoveStage(to_stage="mql", reason="score 70"),
    MoveStage(to_stage="sal", reason="accepted"),
    MoveStage(to_stage="sql", reason="budget confirmed"),
    MoveStage(to_stage="opportunity", reason="revenue above band", owner=DIRECT),
    MoveStage(to_stage="customer", reason="contract signed"),
)
TRANSITIONS_PER_LEAD = 2 + len(WALK)


def generate(n: int, seed: int = 7) -> list[tuple[Lead, RecordInteraction, datetime]]:
    """`n` fresh leads with one touch each and the instant their walk starts."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    out = []
    for i in range(n):
        at = (start + timedelta(minutes=rng.randrange(525_600))).astimezone(rng.choice(ZONES))
        source = Source(channel=rng.choice(CHANNELS), captured_at=at, source_id=f"src-{i}")
        touch = Interaction(kind=rng.choice(list(InteractionKind)), at=at)
        out.append((Lead(id=f"L-{i}", source=source), RecordInteraction(interaction=touch), at))
    return out


def run_library(leads: list[tuple[Lead, RecordInteraction, datetime]]) -> int:
    """Walk every lead with decide + evolve; returns the number of transitions done."""
    playbook = DEFAULT_PLAYBOOK
    step = timedelta(hours=1)
    transitions = 0
    for new, touch, at in leads:
        (captured,) = decide(None, Capture(lead=new), playbook, now=at)
        lead = evolve(None, captured)
        now = at + step
        for command in (touch, *WALK):
            for event in decide(lead, command, playbook, now=now):
                lead = evolve(lead, event)
            now += step
        if lead.stage != "customer":  # pragma: no cover - a benchmark that lies is worse
            raise AssertionError(f"{lead.id} ended in {lead.stage}")
        transitions += TRANSITIONS_PER_LEAD
    return transitions


DICT_MOVES = {
    ("inquiry", "mql"): "marketing",
    ("mql", "sal"): "sales",
    ("sal", "sql"): "sales",
    ("sql", "opportunity"): "sales",
    ("opportunity", "customer"): "customer_marketing",
}
DICT_WALK = ("mql", "sal", "sql", "opportunity", "customer")


def run_dicts(leads: list[tuple[Lead, RecordInteraction, datetime]]) -> int:
    """The same walk on plain dicts and a transition table; no checks beyond the table."""
    transitions = 0
    for new, touch, at in leads:
        lead: dict[str, Any] = {
            "id": new.id,
            "source": new.source.channel,
            "stage": "inquiry",
            "owner": "marketing",
            "interactions": [],
            "history": [("captured", at)],
            "version": 1,
        }
        lead["interactions"].append(touch.interaction.kind)
        lead["history"].append(("interaction", at))
        lead["version"] += 1
        for dst in DICT_WALK:
            owner = DICT_MOVES.get((lead["stage"], dst))
            if owner is None:  # pragma: no cover
                raise ValueError(f"{lead['stage']} -> {dst} not allowed")
            lead["history"].append((lead["stage"], dst, at))
            lead["stage"] = dst
            lead["owner"] = owner
            lead["version"] += 1
        transitions += TRANSITIONS_PER_LEAD
    return transitions


def timed(fn: Callable[[Any], int], arg: Any) -> tuple[int, float]:
    began = time.perf_counter()
    count = fn(arg)
    return count, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    """Measure both walks side by side and print the figures and the TARGET line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="10,000 leads instead of 100,000")
    parser.add_argument("--profile", action="store_true", help="print the hot spots (cProfile)")
    args = parser.parse_args(argv)
    n = 10_000 if args.quick else 100_000

    leads = generate(n)
    # Warm up both paths so neither pays first-call costs inside the measurement.
    run_library(leads[:200])
    run_dicts(leads[:200])
    lib_count, lib_seconds = timed(run_library, leads)
    dict_count, dict_seconds = timed(run_dicts, leads)
    lib_rate = lib_count / lib_seconds
    dict_rate = dict_count / dict_seconds

    print(f"leads walked:              {n:,} ({TRANSITIONS_PER_LEAD} transitions each)")
    print(f"decide + evolve:           {lib_count:,} transitions in {lib_seconds:.2f} s")
    print(f"                           {lib_rate:,.0f} transitions/s")
    print(f"plain dict table:          {dict_count:,} transitions in {dict_seconds:.2f} s")
    print(f"                           {dict_rate:,.0f} transitions/s")
    print(f"dict table / library:      {dict_rate / lib_rate:.1f}x faster")
    print(f"per transition (library):  {1e6 / lib_rate:.1f} us")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run_library(leads[: min(n, 20_000)])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)

    verdict = "ok" if lib_rate >= TARGET else "SHORT"
    print(
        f"TARGET transitions: measured {lib_rate:.0f} transitions/s, "
        f"target {TARGET} transitions/s, {verdict}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
