"""The command line: ``leadpipeline demo``, ``report``, ``score``, ``sweep``, ``playbook init``.

The demo runs a seeded population through the whole pipeline on a SQLite file with a
simulated clock, then prints the report an operations lead would read. Bad input (a
missing file, a malformed line, an unknown playbook key, a datetime without a UTC offset)
ends with one line on standard error that names the file, line or key, and exit code 2.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import random
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn, Protocol, TextIO

from leadpipeline.adapters.clock import SimulatedClock
from leadpipeline.adapters.notification import RecordingNotifier
from leadpipeline.adapters.ports import LeadStore
from leadpipeline.adapters.sqlite import SqliteStore
from leadpipeline.analytics import (
    ScoredOutcome,
    partner_scorecard,
    sla_attainment,
    suggest_threshold,
    threshold_sweep,
    waterfall,
)
from leadpipeline.errors import LeadPipelineError, TransitionError, ValidationError
from leadpipeline.events import (
    Completed,
    Disqualified,
    Escalated,
    Event,
    Nurtured,
    Offered,
    Outcome,
    Reclaimed,
    Rejected,
    Returned,
    SlaBreached,
)
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Party,
    ProductHolding,
    Revenue,
    Source,
)
from leadpipeline.pipeline import Pipeline
from leadpipeline.playbook import DEFAULT_PLAYBOOK, Playbook
from leadpipeline.rules.partners import Partner
from leadpipeline.rules.scoring import score
from leadpipeline.serialization import load_file, structure, to_json, to_toml
from leadpipeline.stages.commands import AddNote

__all__ = ["demo_playbook", "main", "playbook_template", "report", "run_demo"]

_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_REGIONS = ("north", "south", "east", "west")
_INDUSTRIES = ("manufacturing", "logistics", "retail", "healthcare", "energy")
_CHANNELS = ("exhibition", "web", "webinar", "referral")
_REJECT = ("not_enough_information", "no_budget", "wrong_timing")
_RETURN = ("project_does_not_fit", "no_capacity", "no_lead", "not_reachable")

Progress = Callable[[int, int], None]
"""Called with (leads done, leads in total) as the demo runs."""


def demo_playbook() -> Playbook:
    """The default playbook with a five-partner roster of mixed grades and capacities.

    Example:
        >>> [p.grade for p in demo_playbook().partners]
        ['gold', 'gold', 'silver', 'silver', 'bronze']
    """
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
        pipeline.nurture(lead_id, reason="not ready for a sales conversation")
        return
    lead = pipeline.allocate(lead_id)
    if lead.stage == "opportunity":
        yield timedelta(days=rng.randint(5, 30))
        won = rng.random() < 0.45
        pipeline.complete(
            lead_id,
            Outcome.WON if won else Outcome.LOST,
            reason="" if won else "lost to competitor",
            revenue=rng.choice((40_000.0, 120_000.0)) if won else None,
        )
    elif lead.channel == "partner":
        pipeline.offer(lead_id, seed=rng.randint(0, 999))
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
        if rng.random() < 0.35:
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


def _journey(pipeline: Pipeline, rng: random.Random, n: int, now: datetime) -> Steps:
    """One lead from capture to its end; refusals are part of the story, not failures.

    Between two steps other leads move and the SLA desk escalates, so a step may find
    the lead already elsewhere (handed back to marketing, reclaimed): the journey ends.
    """
    lead = _lead(rng, n, now)
    pipeline.capture(lead)
    try:
        if lead.source.channel == "web" and rng.random() < 0.5:
            yield timedelta(minutes=rng.choice((2, 30)))
            pipeline.record_interaction(
                lead.id, Interaction(kind=InteractionKind.FORM_SUBMIT, at=pipeline.clock.now())
            )
            yield timedelta(minutes=rng.choice((1, 3, 45)))
            pipeline.record_interaction(
                lead.id,
                Interaction(kind=InteractionKind.CALL, at=pipeline.clock.now(), detail="call"),
                actor=Party.sales(team="inside-sales"),
            )
        pipeline.qualify(lead.id)
        pipeline.hand_over(lead.id, to=Party.sales(team="inside-sales"))
        yield from _sales_answer(pipeline, rng, lead.id)
    except TransitionError:
        return


def _sla_desk(pipeline: Pipeline) -> Steps:
    """Every six hours: escalate breached SLAs, expire offers, deliver notifications."""
    while True:
        pipeline.escalate_breaches()
        pipeline.relay_outbox(limit=10_000)
        yield timedelta(hours=6)


def _simulate(
    pipeline: Pipeline, clock: SimulatedClock, rng: random.Random, leads: int, progress: Progress
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
            steps = _journey(pipeline, rng, arrived, at)
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
    store = PostgresStore(str(db), schema=schema)
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
) -> str:
    """Run the seeded demo into `db` (a SQLite file or a postgresql:// DSN); return its report.

    Why: one command shows every part of the library working together on realistic data
    (rejections, partner returns and re-routing, SLA escalations, completions), and the
    same seed always gives the same report.

    Example:
        >>> import pathlib, tempfile
        >>> text = run_demo(leads=3, seed=1, db=pathlib.Path(tempfile.mkdtemp()) / "d.db")
        >>> text.splitlines()[0]
        'leads: 3 (as of 2026-...)'
    """
    rng = random.Random(seed)  # a reproducible demo, not security
    clock = SimulatedClock(_START)
    store = _open_store(db, schema=schema, fresh=True)
    pipeline = Pipeline(demo_playbook(), store, RecordingNotifier(), clock)
    try:
        _simulate(pipeline, clock, rng, leads, progress or (lambda done, total: None))
        return report(store, pipeline.playbook)
    finally:
        store.close()


# --- the report ----------------------------------------------------------------------------


def _histories(store: LeadStore) -> list[tuple[Event, ...]]:
    return [store.history(lead.id) for lead in store.query()]


def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _journey_lines(histories: Sequence[Sequence[Event]]) -> list[str]:
    """Counts of the turns a lead's journey can take, for the report's 'journey' section."""
    count: Counter[str] = Counter()
    returns_by_routing: Counter[str] = Counter()
    for history in histories:
        for event in history:
            match event:
                case Rejected():
                    count["rejected"] += 1
                case Nurtured():
                    count["nurtured"] += 1
                case Disqualified():
                    count["disqualified"] += 1
                case Offered():
                    count["offers"] += 1
                case Returned(routing=routing):
                    count["returned"] += 1
                    returns_by_routing[routing or "-"] += 1
                    count["rerouted"] += routing == "next_partner"
                case Reclaimed(routing=routing):
                    count["reclaimed"] += 1
                    count["rerouted"] += routing == "next_partner"
                case SlaBreached():
                    count["breaches"] += 1
                case Escalated():
                    count["escalations"] += 1
                case Completed(outcome=outcome):
                    count["completed"] += 1
                    count[outcome.value] += 1
                case _:
                    pass
    routings = ", ".join(f"{r} {c}" for r, c in sorted(returns_by_routing.items())) or "-"
    return [
        "journey",
        f"  rejected by sales        {count['rejected']:>5}",
        f"  nurtured                 {count['nurtured']:>5}",
        f"  disqualified             {count['disqualified']:>5}",
        f"  offers to partners       {count['offers']:>5}",
        f"  returned by partners     {count['returned']:>5}  ({routings})",
        f"  reclaimed from partners  {count['reclaimed']:>5}",
        f"  re-routed to a partner   {count['rerouted']:>5}",
        f"  SLA breaches             {count['breaches']:>5}",
        f"  escalation steps         {count['escalations']:>5}",
        f"  completed                {count['completed']:>5}  "
        f"(won {count['won']}, lost {count['lost']})",
    ]


def _as_of(histories: Sequence[Sequence[Event]]) -> datetime:
    """The instant of the last recorded event: a report of a store is a function of it."""
    return max((e.at for h in histories for e in h), default=_START)


def report(store: LeadStore, playbook: Playbook, now: datetime | None = None) -> str:
    """The waterfall, journey, SLA attainment, partner scorecard and reasons of a store.

    Why: the figures an operations lead reads, from nothing but the stored histories, so
    the same store always prints the same report. `now` (default: the last recorded
    event) decides which SLA clocks count as still open.

    Example:
        >>> from leadpipeline.adapters.memory import MemoryStore
        >>> print(report(MemoryStore(), DEFAULT_PLAYBOOK).splitlines()[0])
        leads: 0 (as of 2026-01-05T08:00:00+00:00)
    """
    histories = _histories(store)
    at = _as_of(histories) if now is None else now
    lines = [f"leads: {len(histories)} (as of {at.isoformat()})", "", "waterfall"]
    funnel = waterfall(histories).total
    for step in funnel.conversions:
        lines.append(
            f"  {step.from_stage:>12} -> {step.to_stage:<12} "
            f"{step.from_leads:>5} -> {step.to_leads:<5} {_pct(step.rate):>5}"
        )
    lines += ["", *_journey_lines(histories)]
    lines += ["", "SLA attainment"]
    for sla in sla_attainment(histories, playbook.sla_policies, playbook.calendar, at).policies:
        lines.append(
            f"  {sla.policy:<28} on time {sla.on_time:>4}  late {sla.late:>4}  "
            f"open {sla.open:>4}  overdue {sla.overdue:>4}  {_pct(sla.attainment):>5}"
        )
    lines += ["", "partner scorecard"]
    partners = partner_scorecard(histories).partners
    for p in partners:
        lines.append(
            f"  {p.partner_id:<6} offers {p.offers:>4}  accepted {p.accepts:>4} "
            f"({_pct(p.acceptance_rate):>4})  returns {p.returns:>3}  "
            f"reclaimed {p.reclaims:>3}  completed {p.completed:>3}  "
            f"won {p.wins:>3} ({_pct(p.win_rate)})"
        )
    if not partners:
        lines.append("  none")
    for title, kind in (("return reasons", Returned), ("rejection reasons", Rejected)):
        reasons = Counter(e.reason for h in histories for e in h if isinstance(e, kind))
        lines += ["", title]
        ranked = sorted(reasons.items(), key=lambda rc: (-rc[1], rc[0]))
        lines += [f"  {reason:<24} {n:>5}" for reason, n in ranked] or ["  none"]
    return "\n".join(lines)


_PLAYBOOK_COMMENTS = {
    "name": "A name for this playbook, shown in reports.",
    "default_sales_cycle_months": "Sales-cycle length used when a lead gives none; sets the"
    " handover window (6 months: sales joins 6 to 8 months before the decision).",
    "enforce_handover_window": "Refuse handovers that are too early for the purchase decision.",
    "rejection_reasons": "The reasons sales may give when rejecting a handed-over lead.",
    "partners": "The partner roster: regions, product lines, grade, capacity per period.",
    "when_offers_lapse": "Where a lead goes when every offer expired: next_partner or"
    " back_to_sales.",
    "reclaim_routing": "Where a lead reclaimed from an inactive partner goes.",
    "hide_scoring_from_partners": "Remove scores and criteria from what partners see.",
    "merge_duplicates": "Fold a capture that matches an open lead into that lead.",
    "sla_policies": "Promised response times (seconds) and their escalation ladders.",
    "lifecycle": "Stages, who may own each, and the allowed moves.",
    "scoring": "The scoring model: fit, engagement and negative rules, groups, caps, grades.",
    "mql": "What makes a marketing qualified lead.",
    "sal": "What makes a sales accepted lead.",
    "sql": "What makes a sales qualified lead.",
    "heat": "When a lead counts as hot (and a form submit wants a call within minutes).",
    "channel_policy": "Direct sales or partner channel, by revenue from one trusted source.",
    "partner_policy": "Grade weights, how many partners get an offer, and offer expiry.",
    "return_policy": "Partner return reasons and where each sends the lead.",
    "calendar": "Working hours, holidays and time zone for business-time SLAs.",
}


# --- reading input files -------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read_lines(path: Path) -> list[tuple[int, str]]:
    """The non-blank lines of a text file with their 1-based numbers."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LeadPipelineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise LeadPipelineError(f"{path}: not UTF-8 text") from None
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _parse(path: Path, number: int, line: str, cls: object) -> object:
    """One JSON-lines record; a refusal names the file, the line and the field."""
    where = f"{path}: line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LeadPipelineError(f"{where}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    try:
        return structure(data, cls)
    except ValidationError as exc:
        raise LeadPipelineError(f"{where}: {exc}") from None


def _load_playbook(path: Path | None, default: Playbook = DEFAULT_PLAYBOOK) -> Playbook:
    if path is None:
        return default
    playbook: Playbook = load_file(path, Playbook)
    return playbook


# --- the commands --------------------------------------------------------------------------


def _terminal_progress(stream: TextIO) -> Progress:
    """Rewrite one status line on a terminal: ``demo: 120/200 leads``."""

    def show(done: int, total: int) -> None:
        stream.write(f"\r demo: {done}/{total} leads")
        if done == total:
            stream.write("\r" + " " * (len(f" demo: {done}/{total} leads")) + "\r")
        stream.flush()

    return show


def _demo(args: argparse.Namespace) -> None:
    progress = _terminal_progress(sys.stderr) if sys.stderr.isatty() else None
    if args.db is not None and _is_dsn(args.db):
        text = run_demo(
            leads=args.leads, seed=args.seed, db=args.db, progress=progress, schema=args.schema
        )
    elif args.db is not None:
        args.db = Path(args.db)
        if args.db.exists():
            raise LeadPipelineError(f"{args.db}: already exists; give a new file for the demo")
        if not args.db.parent.is_dir():
            raise LeadPipelineError(f"{args.db}: no such folder {str(args.db.parent)!r}")
        text = run_demo(leads=args.leads, seed=args.seed, db=args.db, progress=progress)
    else:
        with tempfile.TemporaryDirectory(prefix="leadpipeline-demo-") as tmp:
            text = run_demo(
                leads=args.leads, seed=args.seed, db=Path(tmp) / "demo.db", progress=progress
            )
    print(text)


def _report(args: argparse.Namespace) -> None:
    playbook = _load_playbook(args.playbook, demo_playbook())
    if _is_dsn(args.db):
        store = _open_store(args.db, schema=args.schema, fresh=False)
        try:
            print(report(store, playbook, args.now))
        finally:
            store.close()
        return
    args.db = Path(args.db)
    if not args.db.is_file():
        raise LeadPipelineError(f"{args.db}: no such file")
    with SqliteStore(args.db) as store:
        print(report(store, playbook, args.now))


def _score(args: argparse.Namespace) -> None:
    playbook = _load_playbook(args.playbook)
    now = args.now or datetime.now(UTC)
    cards = []
    for number, line in _read_lines(args.leads):
        lead = _parse(args.leads, number, line, Lead)
        assert isinstance(lead, Lead)  # structure built the class it was given
        cards.append(to_json(score(lead, playbook.scoring, now)))
    sys.stdout.write("".join(card + "\n" for card in cards))


def _sweep(args: argparse.Namespace) -> None:
    rows = []
    for number, line in _read_lines(args.scored):
        row = _parse(args.scored, number, line, ScoredOutcome)
        assert isinstance(row, ScoredOutcome)  # structure built the class it was given
        rows.append(row)
    if not rows:
        raise LeadPipelineError(f"{args.scored}: no scored leads")
    sweep = threshold_sweep(rows, months=args.months)
    print(
        f"{'threshold':>10} {'volume':>8} {'wins':>6} {'conversion':>11} {'recall':>7} {'lift':>6}"
    )
    for point in sweep:
        recall = "-" if point.recall is None else f"{point.recall:.0%}"
        lift = "-" if point.lift is None else f"{point.lift:.2f}"
        print(
            f"{point.threshold:>10g} {point.volume:>8} {point.wins:>6} "
            f"{point.conversion:>11.1%} {recall:>7} {lift:>6}"
        )
    if args.volume_per_month is None and args.min_conversion is None:
        print("suggested threshold: give --volume-per-month or --min-conversion for one")
        return
    suggestion = suggest_threshold(
        sweep, volume_per_month=args.volume_per_month, min_conversion=args.min_conversion
    )
    if suggestion.threshold is None:
        print(f"suggested threshold: none ({suggestion.reason})")
    else:
        print(f"suggested threshold: {suggestion.threshold:g} ({suggestion.reason})")


def playbook_template() -> str:
    """The default playbook as commented TOML: what ``playbook init`` writes.

    Example:
        >>> from leadpipeline.serialization import from_toml
        >>> from_toml(playbook_template(), Playbook) == DEFAULT_PLAYBOOK
        True
    """
    return (
        "# leadpipeline playbook: every policy in one file. Edit, then load it with\n"
        "# leadpipeline.load_file(path, leadpipeline.Playbook) or --playbook PATH.\n"
        "# Durations are in seconds; datetimes need a UTC offset.\n\n"
        + to_toml(DEFAULT_PLAYBOOK, comments=_PLAYBOOK_COMMENTS)
    )


def _playbook_init(args: argparse.Namespace) -> None:
    text = playbook_template()
    if args.output is None:
        sys.stdout.write(text)
        return
    if args.output.exists() and not args.force:
        raise LeadPipelineError(f"{args.output}: already exists (use --force to replace it)")
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LeadPipelineError(f"{args.output}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {args.output}")


# --- the parser ----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line, pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        """Print one line (no usage block) and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 datetime: {text!r}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise argparse.ArgumentTypeError(
            f"naive datetime {text!r} refused: give a UTC offset, e.g. {text}+00:00"
        )
    return value


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leadpipeline",
        description="The B2B lead lifecycle from the command line: a demo, reports, "
        "scoring, threshold back-tests and playbook files.",
        epilog="Bad input ends with one line on standard error and exit code 2.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run a seeded population through the whole pipeline and print the report",
        description="Run a seeded population of leads through scoring, handover, channel "
        "allocation, partner offers, returns, SLA escalation and completion on a SQLite "
        "file with a simulated clock, then print the report. The same seed prints the "
        "same report.",
    )
    demo.add_argument(
        "--leads", type=_at_least_one, default=200, help="how many leads (default 200)"
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument(
        "--schema", default="leadpipeline", help="PostgreSQL schema for a postgresql:// --db"
    )
    demo.add_argument(
        "--db",
        help="keep the SQLite file here (a new file; default: temporary),"
        " or a postgresql:// DSN (needs the postgres extra)",
    )
    rep = sub.add_parser(
        "report",
        help="print the report of any SQLite store",
        description="Print the waterfall, journey, SLA attainment, partner scorecard and "
        "reasons of a SQLite store, such as the file `demo --db` keeps.",
    )
    rep.add_argument("--db", required=True, help="the SQLite file, or a postgresql:// DSN")
    rep.add_argument("--schema", default="leadpipeline", help="PostgreSQL schema to read")
    rep.add_argument(
        "--playbook", type=Path, help="playbook file for the SLA policies (.toml or .json)"
    )
    rep.add_argument(
        "--now",
        type=_instant,
        help="report as of this instant, with a UTC offset (default: the last event)",
    )
    sc = sub.add_parser(
        "score",
        help="score leads from a JSON-lines file",
        description="Score every lead of a JSON-lines file (one lead per line) and print "
        "one score card per line, as JSON.",
    )
    sc.add_argument("leads", type=Path, help="one lead per line, as JSON")
    sc.add_argument("--playbook", type=Path, help="playbook file (.toml or .json)")
    sc.add_argument(
        "--now", type=_instant, help="score as of this instant, with a UTC offset (default: now)"
    )
    sw = sub.add_parser(
        "sweep",
        help="back-test every score threshold",
        description="Back-test every score threshold on scored, closed leads and suggest one.",
    )
    sw.add_argument("scored", type=Path, help='one {"score": ..., "won": ...} per line')
    sw.add_argument("--months", type=float, help="the span the data covers, in months")
    sw.add_argument("--volume-per-month", type=float, help="what sales can take per month")
    sw.add_argument("--min-conversion", type=float, help="least share of wins to accept")
    pb = sub.add_parser(
        "playbook",
        help="work with playbook files",
        description="Work with playbook files (TOML).",
    )
    pbsub = pb.add_subparsers(dest="playbook_command", required=True, metavar="COMMAND")
    init = pbsub.add_parser(
        "init",
        help="write the default playbook as commented TOML",
        description="Write the default playbook as commented TOML, to edit and load.",
    )
    init.add_argument("output", type=Path, nargs="?", help="file to write (default: stdout)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    return parser


_COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "demo": _demo,
    "report": _report,
    "score": _score,
    "sweep": _sweep,
    "playbook": _playbook_init,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code (0 done, 2 bad input, 130 interrupted).

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "playbook.toml"
        >>> main(["playbook", "init", str(target)])
        wrote .../playbook.toml
        0
    """
    args = _parser().parse_args(argv)
    try:
        _COMMANDS[args.command](args)
    except LeadPipelineError as exc:
        print(f"leadpipeline: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:
        where = f"{args.db}: " if getattr(args, "db", None) is not None else ""
        print(f"leadpipeline: {where}database error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("leadpipeline: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0
