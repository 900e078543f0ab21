"""The demo: a seeded population of leads through the whole pipeline on a simulated clock.

Each lead is a journey (a generator that yields how long it waits before its next step);
the journeys and an SLA desk run in time order on one `SimulatedClock`, against a SQLite
file or a PostgreSQL schema. The `demo` and `report` commands live here because both open
the stores the demo writes.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, TextIO

from leadpipeline.adapters.clock import SimulatedClock
from leadpipeline.adapters.notification import RecordingNotifier
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.adapters.sqlite import SqliteStore
from leadpipeline.cli.demo_playbook import REGIONS as _REGIONS
from leadpipeline.cli.demo_playbook import demo_playbook
from leadpipeline.cli.files import load_playbook
from leadpipeline.cli.report_data import START, Simulation, gather
from leadpipeline.cli.report_output import Renderer, check_html_target, renderer
from leadpipeline.cli.report_text import render_text
from leadpipeline.errors import LeadPipelineError, TransitionError
from leadpipeline.events import CallRequested, InteractionRecorded, Outcome
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Party,
    PartyKind,
    ProductHolding,
    Revenue,
    Source,
)
from leadpipeline.lifecycle import Stage
from leadpipeline.pipeline import Pipeline
from leadpipeline.stages.commands import AddNote

__all__ = ["demo_command", "demo_playbook", "report_command", "run_demo"]

_INDUSTRIES = ("manufacturing", "logistics", "retail", "healthcare", "energy")
_CHANNELS = ("exhibition", "web", "webinar", "referral")
_REJECT = ("not_enough_information", "no_budget", "wrong_timing")
_RETURN = (
    "project_does_not_fit",
    "project_does_not_fit",
    "project_does_not_fit",
    "no_capacity",
    "no_lead",
    "not_reachable",
)
"""Return reasons as partners give them: a project that does not fit most often."""

Progress = Callable[[int, int], None]
"""Called with (leads done, leads in total) as the demo runs."""


def _lead(rng: random.Random, n: int, at: datetime) -> Lead:
    channel = rng.choice(_CHANNELS)
    employees = rng.choice((20, 80, 150, 250, 900, 4000))
    revenue_source = "address-broker" if rng.random() < 0.9 else "crm-estimate"
    touches = tuple(
        Interaction(
            kind=rng.choice(
                (InteractionKind.SITE_VISIT, InteractionKind.EMAIL_CLICK, InteractionKind.WEBINAR)
            ),
            at=at - timedelta(days=rng.randint(0, 20)),
        )
        for _ in range(rng.randint(0, 10))
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
        holdings=(ProductHolding(product="legacy suite", vendor="OldCo"),) if known else (),
        interactions=touches,
        interests=("automation",) if rng.random() < 0.6 else (),
    )


Steps = Iterator[timedelta]
"""A journey in the simulation: each value is how long it waits before its next step."""


def _sales_answer(pipeline: Pipeline, rng: random.Random, lead_id: str) -> Steps:
    """Sales answers the handover: usually within the day, sometimes only after escalation."""
    if rng.random() < 0.15:
        # the handover sits unanswered: the SLA desk notifies the owner, then the manager,
        # and after two more working days hands the lead back to marketing
        yield timedelta(days=rng.randint(1, 5))
    else:
        yield timedelta(hours=rng.choice((2, 5, 30)))
    if rng.random() < 0.2:
        pipeline.reject(lead_id, reason=rng.choice(_REJECT), comment="see call notes")
        return
    pipeline.accept(lead_id)
    try:
        pipeline.qualify_sql(lead_id)
    except TransitionError:
        pipeline.nurture(
            lead_id, reason="not_enough_information", comment="not ready for a sales conversation"
        )
        return
    lead = pipeline.allocate_channel(lead_id)
    if lead.stage == pipeline.playbook.lifecycle.name_of(Stage.OPPORTUNITY):
        yield timedelta(days=rng.randint(5, 30))
        won = rng.random() < 0.45
        pipeline.complete(
            lead_id,
            Outcome.WON if won else Outcome.LOST,
            reason="" if won else "lost to competitor",
            revenue=rng.choice((40_000.0, 120_000.0)) if won else None,
        )
    elif lead.channel == "partner":
        pipeline.offer_to_partners(lead_id, seed=rng.randint(0, 999))
        yield from _partners_work(pipeline, rng, lead_id)


def _partners_work(pipeline: Pipeline, rng: random.Random, lead_id: str) -> Steps:
    """Partners take offers, return some, go quiet on some (reclaimed), and report outcomes."""
    for _ in range(4):
        yield timedelta(hours=rng.choice((3, 20, 100)))  # unanswered offers expire meanwhile
        lead = pipeline.get(lead_id)
        if not lead.offers:
            return
        taker = rng.choice(lead.offers).partner_id
        partner = Party.partner(taker)
        try:
            pipeline.partner_accept(lead_id, taker)
        except TransitionError:
            continue  # another partner was faster, or the offer lapsed
        if rng.random() < 0.12:
            # the partner goes quiet: status reports lapse, the SLA desk escalates until
            # the lead is reclaimed and offered to the next partner
            yield timedelta(days=40)
            continue
        days = rng.randint(2, 24)
        if days > 10 and rng.random() < 0.7:
            yield timedelta(days=days // 2)
            pipeline.execute(lead_id, AddNote(text="demo booked", actor=partner))
            days -= days // 2
        yield timedelta(days=days)
        if rng.random() < 0.45:
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
            actor=partner,
        )
        return


def _call_back(pipeline: Pipeline, rng: random.Random, lead_id: str) -> Steps:
    """The sales team on duty calls a hot lead back, mostly within the five minutes.

    Only when the last form submit asked for a call (a `CallRequested` not yet answered
    by a sales call); the team asked is the one that calls.
    """
    asked: Party | None = None
    for event in pipeline.history(lead_id):
        if isinstance(event, CallRequested):
            asked = event.to
        elif (
            isinstance(event, InteractionRecorded)
            and event.interaction.kind is InteractionKind.CALL
            and event.actor.kind is PartyKind.SALES
        ):
            asked = None
    if asked is None:
        return
    yield timedelta(minutes=rng.choice((1, 3, 4, 12)))
    pipeline.record_interaction(
        lead_id,
        Interaction(kind=InteractionKind.CALL, at=pipeline.clock.now(), detail="call back"),
        actor=asked,
    )


def _journey(
    pipeline: Pipeline, rng: random.Random, calls: random.Random, n: int, now: datetime
) -> Steps:
    """One lead from capture to its end; refusals are part of the story, not failures.

    Between two steps other leads move and the SLA desk escalates, so a step may find
    the lead already elsewhere (handed back to marketing, reclaimed): the journey ends.
    """
    lead = _lead(rng, n, now)
    pipeline.capture(lead)
    try:
        # call-backs draw from their own stream, so the rest of a seed's story stays as it was
        yield from _call_back(pipeline, calls, lead.id)  # a web form captured with its lead
        if lead.source.channel == "web" and rng.random() < 0.5:
            yield timedelta(minutes=rng.choice((2, 30)))
            pipeline.record_interaction(
                lead.id, Interaction(kind=InteractionKind.FORM_SUBMIT, at=pipeline.clock.now())
            )
            yield from _call_back(pipeline, calls, lead.id)
        pipeline.qualify(lead.id)
        pipeline.hand_over(lead.id, to=Party.sales(team="inside-sales"))
        yield from _sales_answer(pipeline, rng, lead.id)
    except TransitionError:
        return


def _sla_desk(pipeline: Pipeline) -> Steps:
    """Every six hours: escalate breached SLAs, expire offers, deliver notifications.

    Once a week it also sweeps stale leads: marketing's leads whose low score has not
    moved for the stale period are recycled to nurture, and dropped if that did not help.
    """
    for turn in itertools.count():
        pipeline.escalate_breaches()
        if turn % 28 == 0:
            pipeline.sweep_stale()
        pipeline.relay_outbox(limit=10_000)
        yield timedelta(hours=6)


def _simulate(
    pipeline: Pipeline,
    clock: SimulatedClock,
    rng: random.Random,
    leads: int,
    progress: Progress,
    *,
    calls: random.Random,
) -> None:
    """Run every journey and the SLA desk in time order on one simulated clock."""
    order = itertools.count()
    queue: list[tuple[datetime, int, Steps | None]] = []
    at = clock.now()
    for _ in range(leads):
        at += timedelta(minutes=rng.randint(20, 400))
        heapq.heappush(queue, (at, next(order), None))  # None: a lead arrives
    desk = _sla_desk(pipeline)
    heapq.heappush(queue, (clock.now(), next(order), desk))
    arrived = finished = 0
    while finished < leads:
        at, _, steps = heapq.heappop(queue)
        clock.set(at)
        if steps is None:
            steps = _journey(pipeline, rng, calls, arrived, at)
            arrived += 1
        wait = next(steps, None)
        if wait is not None:
            heapq.heappush(queue, (at + wait, next(order), steps))
        elif steps is not desk:
            finished += 1
            progress(finished, leads)
    clock.advance(timedelta(days=14))
    next(desk)


class _ClosableStore(LeadStore, Protocol):
    """A store the command line opens and therefore closes."""

    def close(self) -> None:
        """Release the store's connections."""


def _is_dsn(db: Path | str) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def _open_store(db: Path | str, *, schema: str, fresh: bool) -> _ClosableStore:
    """A SQLite file, or a PostgreSQL database when `db` is a postgresql:// DSN."""
    if not _is_dsn(db):
        # The demo's file is scratch: NORMAL in WAL mode survives a crash of the process.
        return SqliteStore(db, synchronous="NORMAL") if fresh else SqliteStore(db)
    try:
        from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415  # optional extra
    except ImportError:
        raise LeadPipelineError(
            "a postgresql:// database needs the extra: pip install 'leadpipeline[postgres]'"
        ) from None
    store = PostgresStore(str(db), schema=schema, create=fresh)
    if fresh and store.query(limit=1):
        store.close()
        raise LeadPipelineError(
            f"schema {schema!r} already holds leads; give the demo an empty --schema"
        )
    return store


def run_demo(
    *,
    leads: int,
    seed: int,
    db: Path | str,
    progress: Progress | None = None,
    schema: str = "leadpipeline",
    render: Renderer | None = None,
) -> str:
    """Run the seeded demo into `db` (a SQLite file or a postgresql:// DSN); return its report.

    Why: one command shows every part of the library working together on realistic data
    (rejections, partner returns and where each went next, SLA escalations, stale leads
    recycled or dropped, completions), and the same seed always gives the same report.

    Example:
        >>> import pathlib, tempfile
        >>> text = run_demo(leads=3, seed=1, db=pathlib.Path(tempfile.mkdtemp()) / "d.db")
        >>> print(text.splitlines()[1])
          seed 1, 3 leads; the same seed always gives this report
    """
    rng = random.Random(seed)  # a reproducible demo, not security
    calls = random.Random(-seed - 1)  # how fast sales calls back: a stream of its own
    clock = SimulatedClock(START)
    store = _open_store(db, schema=schema, fresh=True)
    pipeline = Pipeline(demo_playbook(), store, RecordingNotifier(), clock)
    try:
        _simulate(pipeline, clock, rng, leads, progress or (lambda done, total: None), calls=calls)
        simulation = Simulation(seed=seed, leads=leads)
        data = gather(store, pipeline.playbook, simulation=simulation)
        return (render or render_text)(data)
    finally:
        store.close()


# --- the commands --------------------------------------------------------------------------


def _terminal_progress(stream: TextIO) -> Progress:
    """Rewrite one status line on a terminal: ``demo: 120/200 leads``."""

    def show(done: int, total: int) -> None:
        stream.write(f"\r demo: {done}/{total} leads")
        if done == total:
            stream.write("\r" + " " * (len(f" demo: {done}/{total} leads")) + "\r")
        stream.flush()

    return show


def demo_command(args: argparse.Namespace) -> None:
    """``leadpipeline demo``: run the demo into a new file, a DSN or a scratch file."""
    progress = _terminal_progress(sys.stderr) if sys.stderr.isatty() else None
    check_html_target(args.html)
    render = renderer(args)
    if args.db is not None and _is_dsn(args.db):
        text = run_demo(
            leads=args.leads,
            seed=args.seed,
            db=args.db,
            progress=progress,
            schema=args.schema,
            render=render,
        )
    elif args.db is not None:
        args.db = Path(args.db)
        if args.db.exists():
            raise LeadPipelineError(f"{args.db}: already exists; give a new file for the demo")
        if not args.db.parent.is_dir():
            raise LeadPipelineError(f"{args.db}: no such folder {str(args.db.parent)!r}")
        text = run_demo(
            leads=args.leads, seed=args.seed, db=args.db, progress=progress, render=render
        )
    else:
        with tempfile.TemporaryDirectory(prefix="leadpipeline-demo-") as tmp:
            text = run_demo(
                leads=args.leads,
                seed=args.seed,
                db=Path(tmp) / "demo.db",
                progress=progress,
                render=render,
            )
    print(text)


def report_command(args: argparse.Namespace) -> None:
    """``leadpipeline report``: print the report of an existing store."""
    playbook = load_playbook(args.playbook, demo_playbook())
    check_html_target(args.html)
    render = renderer(args)
    if _is_dsn(args.db):
        store = _open_store(args.db, schema=args.schema, fresh=False)
        try:
            print(render(gather(store, playbook, now=args.now)))
        finally:
            store.close()
        return
    args.db = Path(args.db)
    if not args.db.is_file():
        raise LeadPipelineError(f"{args.db}: no such file")
    with SqliteStore(args.db) as store:
        print(render(gather(store, playbook, now=args.now)))
