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
from leadpipeline.analytics import (
    ScoredOutcome,
    partner_scorecard,
    sla_attainment,
    suggest_threshold,
    threshold_sweep,
    waterfall,
)
from leadpipeline.errors import LeadPipelineError, TransitionError, ValidationError
from leadpipeline.events import Event, Outcome, Returned
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
from leadpipeline.serialization import from_json, load_file, to_json, to_toml

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
    # the demo's file is scratch: NORMAL in WAL mode survives crashes of the process
    store = SqliteStore(db, synchronous="NORMAL")
    pipeline = Pipeline(demo_playbook(), store, RecordingNotifier(), clock)
    try:
        for n in range(leads):
            clock.advance(timedelta(minutes=rng.randint(20, 400)))
            lead = _lead(rng, n, clock.now())
            pipeline.capture(lead)
            if lead.source.channel == "web" and rng.random() < 0.5:
                clock.advance(timedelta(minutes=rng.choice((2, 30))))
                pipeline.record_interaction(
                    lead.id, Interaction(kind=InteractionKind.FORM_SUBMIT, at=clock.now())
                )
                clock.advance(timedelta(minutes=rng.choice((1, 3, 45))))
                pipeline.record_interaction(
                    lead.id,
                    Interaction(kind=InteractionKind.CALL, at=clock.now(), detail="first call"),
                    actor=Party.sales(team="inside-sales"),
                )
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


def _read_lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LeadPipelineError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise LeadPipelineError(f"{path}: not UTF-8 text") from None
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _parse(path: Path, number: int, line: str, cls: object) -> object:
    try:
        return from_json(line, cls)
    except ValidationError as exc:
        raise LeadPipelineError(f"{path}: line {number}: {exc}") from None


def _load_playbook(path: Path | None) -> Playbook:
    if path is None:
        return DEFAULT_PLAYBOOK
    playbook: Playbook = load_file(path, Playbook)
    return playbook


def _score(args: argparse.Namespace) -> None:
    playbook = _load_playbook(args.playbook)
    now = args.now or datetime.now(UTC)
    out = sys.stdout
    for number, line in _read_lines(args.leads):
        lead = _parse(args.leads, number, line, Lead)
        assert isinstance(lead, Lead)
        card = score(lead, playbook.scoring, now)
        out.write(to_json(card) + "\n")


def _sweep(args: argparse.Namespace) -> None:
    rows = []
    for number, line in _read_lines(args.scored):
        row = _parse(args.scored, number, line, ScoredOutcome)
        assert isinstance(row, ScoredOutcome)
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
    suggestion = suggest_threshold(
        sweep, volume_per_month=args.volume_per_month, min_conversion=args.min_conversion
    )
    if suggestion.threshold is None:
        print(f"suggested threshold: none ({suggestion.reason})")
    else:
        print(f"suggested threshold: {suggestion.threshold:g} ({suggestion.reason})")


def _playbook_init(args: argparse.Namespace) -> None:
    text = (
        "# leadpipeline playbook: every policy in one file. Edit, then load it with\n"
        "# leadpipeline.load_file(path, leadpipeline.Playbook) or --playbook PATH.\n"
        "# Durations are in seconds; datetimes need a UTC offset.\n\n"
        + to_toml(DEFAULT_PLAYBOOK, comments=_PLAYBOOK_COMMENTS)
    )
    if args.output is None:
        sys.stdout.write(text)
        return
    if args.output.exists() and not args.force:
        raise LeadPipelineError(f"{args.output}: already exists (use --force to replace it)")
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 datetime: {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset: {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadpipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a seeded population through the whole pipeline")
    demo.add_argument("--leads", type=int, default=200, help="how many leads (default 200)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--db", type=Path, help="SQLite file to keep (default: a temporary file)")
    rep = sub.add_parser("report", help="print the demo's report for any SQLite store")
    rep.add_argument("--db", type=Path, required=True, help="the SQLite file")
    rep.add_argument("--playbook", type=Path, help="playbook file (.toml or .json)")
    sc = sub.add_parser("score", help="score leads from a JSON-lines file")
    sc.add_argument("leads", type=Path, help="one lead per line, as JSON")
    sc.add_argument("--playbook", type=Path, help="playbook file (.toml or .json)")
    sc.add_argument("--now", type=_instant, help="score as of this instant (default: now)")
    sw = sub.add_parser("sweep", help="back-test every score threshold")
    sw.add_argument("scored", type=Path, help='one {"score": ..., "won": ...} per line')
    sw.add_argument("--months", type=float, help="the span the data covers, in months")
    sw.add_argument("--volume-per-month", type=float, help="what sales can take per month")
    sw.add_argument("--min-conversion", type=float, help="least share of wins to accept")
    pb = sub.add_parser("playbook", help="work with playbook files")
    pbsub = pb.add_subparsers(dest="playbook_command", required=True)
    init = pbsub.add_parser("init", help="write the default playbook as commented TOML")
    init.add_argument("output", type=Path, nargs="?", help="file to write (default: stdout)")
    init.add_argument("--force", action="store_true", help="replace an existing file")
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
            playbook = _load_playbook(args.playbook) if args.playbook else demo_playbook()
            store = SqliteStore(args.db)
            try:
                print(report(store, playbook, datetime.now(UTC)))
            finally:
                store.close()
        elif args.command == "score":
            _score(args)
        elif args.command == "sweep":
            _sweep(args)
        elif args.command == "playbook":
            _playbook_init(args)
    except LeadPipelineError as exc:
        print(f"leadpipeline: {exc}", file=sys.stderr)
        return 2
    return 0
