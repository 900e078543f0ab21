"""The command line: `python -m leadpipeline demo`, `report`, `playbook init`.

The demo runs a seeded population through the whole pipeline on a SQLite file with a
simulated clock, then prints the report an operations lead would read.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadpipeline.adapters.clock import SimulatedClock
from leadpipeline.adapters.notification import RecordingNotifier
from leadpipeline.adapters.sqlite import SqliteStore
from leadpipeline.analytics import partner_scorecard, sla_attainment, waterfall
from leadpipeline.errors import LeadPipelineError, TransitionError
from leadpipeline.events import Event, Outcome, Returned
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Party,
    Revenue,
    Source,
)
from leadpipeline.pipeline import Pipeline
from leadpipeline.playbook import Playbook
from leadpipeline.rules.partners import Partner

__all__ = ["demo_playbook", "main", "run_demo"]

_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_REGIONS = ("north", "south", "east", "west")
_INDUSTRIES = ("manufacturing", "logistics", "retail", "healthcare", "energy")
_CHANNELS = ("exhibition", "web", "webinar", "referral")
_REJECT = ("not_enough_information", "no_budget", "wrong_timing")
_RETURN = ("project_does_not_fit", "no_capacity", "no_lead", "not_reachable")


def demo_playbook() -> Playbook:
    """The default playbook with a five-partner roster of mixed grades and capacities."""
    roster = tuple(
        Partner(
            id=f"p-{n}",
            name=name,
            regions=frozenset(regions),
            grade=grade,
            capacity=capacity,
        )
        for n, (name, regions, grade, capacity) in enumerate(
            (
                ("Nordlicht Systems", ("north", "east"), "gold", 40),
                ("Südwerk Partner", ("south", "west"), "gold", 30),
                ("Ostbrücke IT", ("east", "south"), "silver", 20),
                ("Westhafen Solutions", ("west", "north"), "silver", 20),
                ("Mitte Consulting", _REGIONS, "bronze", 10),
            ),
            start=1,
        )
    )
    return Playbook(name="demo", partners=roster)


def _lead(rng: random.Random, n: int, at: datetime) -> Lead:
    channel = rng.choice(_CHANNELS)
    employees = rng.choice((20, 80, 250, 900, 4000, 12000))
    revenue_source = "address-broker" if rng.random() < 0.9 else "crm-estimate"
    touches = tuple(
        Interaction(
            kind=rng.choice(
                (InteractionKind.SITE_VISIT, InteractionKind.EMAIL_CLICK, InteractionKind.WEBINAR)
            ),
            at=at - timedelta(days=rng.randint(0, 20)),
        )
        for _ in range(rng.randint(0, 6))
    )
    if channel == "web":
        touches += (Interaction(kind=InteractionKind.FORM_SUBMIT, at=at),)
    if channel == "exhibition":
        touches += (Interaction(kind=InteractionKind.EXHIBITION, at=at),)
    known = rng.random() < 0.75
    return Lead(
        id=f"L-{n:05d}",
        source=Source(
            channel=channel, campaign=f"{channel}-q1", captured_at=at, source_id=f"{channel}-{n}"
        ),
        contact=Contact(
            first_name="Pat",
            last_name=f"Lead{n}",
            email=f"pat{n}@co{n}.example",
            job_title=rng.choice(("Head of IT", "Director Operations", "Buyer")),
        ),
        company=Company(
            name=f"Company {n}",
            domain=f"co{n}.example",
            industry=rng.choice(_INDUSTRIES),
            employees=employees,
            country="DE",
            region=rng.choice(_REGIONS),
            annual_revenue=Revenue(amount=employees * 150_000.0, source=revenue_source),
        ),
        needs=Needs(
            budget=rng.choice((None, 20_000.0, 80_000.0, 250_000.0)),
            purchase_decision=(at + timedelta(days=rng.randint(60, 260))).date() if known else None,
            expected_volume=float(rng.randint(10, 900)) if known else None,
            current_product=rng.choice(("legacy suite", "spreadsheets")) if known else None,
        ),
        interactions=touches,
    )


def _try(step: object) -> bool:
    return step is not None


def _walk(pipeline: Pipeline, clock: SimulatedClock, rng: random.Random, lead_id: str) -> None:
    """One lead's journey; refusals are part of the story, not failures of the demo."""
    try:
        pipeline.qualify(lead_id)
        pipeline.hand_over(lead_id, to=Party.sales(team="inside-sales"))
    except TransitionError:
        return
    clock.advance(timedelta(hours=rng.choice((2, 5, 30))))
    if rng.random() < 0.2:
        pipeline.reject(lead_id, reason=rng.choice(_REJECT), comment="see call notes")
        return
    pipeline.accept(lead_id)
    try:
        pipeline.qualify_sql(lead_id)
    except TransitionError:
        pipeline.nurture(lead_id, reason="not ready for a sales conversation")
        return
    lead = pipeline.allocate(lead_id)
    if lead.stage == "opportunity":
        clock.advance(timedelta(days=rng.randint(5, 30)))
        won = rng.random() < 0.45
        pipeline.complete(
            lead_id,
            Outcome.WON if won else Outcome.LOST,
            reason="" if won else "lost to competitor",
            revenue=rng.choice((40_000.0, 120_000.0)) if won else None,
        )
        return
    if lead.channel != "partner":
        return
    try:
        lead = pipeline.offer(lead_id, seed=rng.randint(0, 999))
    except TransitionError:
        return
    for _ in range(3):
        clock.advance(timedelta(hours=rng.choice((3, 20, 100))))
        pipeline.escalate_breaches()
        lead = pipeline.get(lead_id)
        if not lead.offers:
            return
        taker = rng.choice(lead.offers).partner_id
        try:
            pipeline.partner_accept(lead_id, taker)
        except TransitionError:
            continue
        clock.advance(timedelta(days=rng.randint(2, 20)))
        if rng.random() < 0.3:
            pipeline.return_lead(
                lead_id, taker, reason=rng.choice(_RETURN), comment="returned after first contact"
            )
            continue
        won = rng.random() < 0.5
        pipeline.complete(
            lead_id,
            Outcome.WON if won else Outcome.LOST,
            reason="" if won else "no decision",
            revenue=80_000.0 if won else None,
            actor=Party.partner(taker),
        )
        return


def run_demo(*, leads: int, seed: int, db: Path) -> str:
    """Run the seeded demo into `db` and return the printed report."""
    rng = random.Random(seed)  # a reproducible demo, not security
    clock = SimulatedClock(_START)
    store = SqliteStore(db)
    pipeline = Pipeline(demo_playbook(), store, RecordingNotifier(), clock)
    try:
        for n in range(leads):
            clock.advance(timedelta(minutes=rng.randint(20, 400)))
            lead = _lead(rng, n, clock.now())
            pipeline.capture(lead)
            _walk(pipeline, clock, rng, lead.id)
            if n % 10 == 9:
                pipeline.escalate_breaches()
                pipeline.relay_outbox(limit=1000)
        clock.advance(timedelta(days=14))
        pipeline.escalate_breaches()
        pipeline.relay_outbox(limit=10_000)
        return report(store, pipeline.playbook, clock.now())
    finally:
        store.close()


def _histories(store: SqliteStore) -> list[tuple[Event, ...]]:
    return [store.history(lead.id) for lead in store.query()]


def report(store: SqliteStore, playbook: Playbook, now: datetime) -> str:
    """The waterfall, SLA attainment, partner scorecard and return reasons of a store."""
    histories = _histories(store)
    lines = [f"leads: {len(histories)}", "", "waterfall"]
    funnel = waterfall(histories).total
    for step in funnel.conversions:
        rate = "-" if step.rate is None else f"{step.rate:.0%}"
        lines.append(
            f"  {step.from_stage:>12} -> {step.to_stage:<12} "
            f"{step.from_leads:>5} -> {step.to_leads:<5} {rate:>5}"
        )
    lines += ["", "SLA attainment"]
    for sla in sla_attainment(histories, playbook.sla_policies, playbook.calendar, now).policies:
        share = "-" if sla.attainment is None else f"{sla.attainment:.0%}"
        lines.append(
            f"  {sla.policy:<28} on time {sla.on_time:>4}  late {sla.late:>4}  "
            f"open {sla.open:>4}  {share:>5}"
        )
    lines += ["", "partner scorecard"]
    for p in partner_scorecard(histories).partners:
        acc = "-" if p.acceptance_rate is None else f"{p.acceptance_rate:.0%}"
        win = "-" if p.win_rate is None else f"{p.win_rate:.0%}"
        lines.append(
            f"  {p.partner_id:<6} offers {p.offers:>4}  accepted {acc:>5}  "
            f"returns {p.returns:>3}  reclaimed {p.reclaims:>3}  won {p.wins:>3} ({win})"
        )
    reasons = Counter(e.reason for h in histories for e in h if isinstance(e, Returned))
    lines += ["", "return reasons"]
    lines += [f"  {reason:<24} {count}" for reason, count in reasons.most_common()] or ["  none"]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadpipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a seeded population through the whole pipeline")
    demo.add_argument("--leads", type=int, default=200, help="how many leads (default 200)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--db", type=Path, help="SQLite file to keep (default: a temporary file)")
    rep = sub.add_parser("report", help="print the demo's report for any SQLite store")
    rep.add_argument("--db", type=Path, required=True, help="the SQLite file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "demo":
            if args.leads < 1:
                raise LeadPipelineError("--leads must be at least 1")
            if args.db is not None:
                print(run_demo(leads=args.leads, seed=args.seed, db=args.db))
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    print(run_demo(leads=args.leads, seed=args.seed, db=Path(tmp) / "demo.db"))
        elif args.command == "report":
            if not args.db.exists():
                raise LeadPipelineError(f"{args.db}: no such file")
            store = SqliteStore(args.db)
            try:
                print(report(store, demo_playbook(), datetime.now(UTC)))
            finally:
                store.close()
    except LeadPipelineError as exc:
        print(f"leadpipeline: {exc}", file=sys.stderr)
        return 2
    return 0
