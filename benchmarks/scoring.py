"""Scoring throughput: `score_many` and the totals fast path against plain Python.

A 30-rule model (14 fit, 11 engagement with decay, 5 negative) scores 200,000 generated
leads (``--quick``: 20,000) with 0-40 interactions each. The baseline is hand-written
Python doing the same arithmetic on plain dicts; all three run in one process, side by
side, and the totals are checked to agree.

Targets: `score_many` (full contributions) at least 0.5 times the baseline's throughput;
the totals-only fast path at least 0.8 times. The baseline casefolds each field once and
tests mail domains against precomputed suffix tuples, as a careful hand-writer would. The
library compiles the model into generated source (`CompiledModel.source`); score cards
keep contributions compact until first read, so two more lines (not targets) show the
cost of reading every card's contributions and of calling `score` lead by lead.
A third target: the cards `score_many` returns keep at most 400 bytes each beside the
leads (measured with tracemalloc): they hold the matched values (the lead's own objects,
and its touches for the engagement rules), and make texts and per-rule engagement points
only when read.

Measured (full run, 200,000 leads, 3,995,263 interactions, Python 3.11.7, shared dev
container, so absolute rates vary between runs):
    baseline              112,857 leads/s
    score_many             79,707 leads/s  (0.71x, target 0.5x: ok)
    fast path             154,184 leads/s  (1.37x, target 0.8x: ok)
    score_many, all read   21,440 leads/s  (0.19x, not a target)
    score() one by one     78,015 leads/s  (0.69x, not a target; 20,000 leads)
Other full runs measured 0.64-0.71x and 1.08-1.37x. Before code generation (same
container, earlier, with the slower baseline domain test): 0.13x and 0.54x.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Revenue,
    Source,
)
from leadpipeline.rules.scoring import (
    CalendarStep,
    Contains,
    DomainIn,
    EngagementRule,
    FitRule,
    HalfLife,
    InRange,
    Missing,
    NegativeRule,
    OneOf,
    Present,
    ScoringModel,
    compile_model,
    score,
    score_many,
    score_totals,
)
from leadpipeline.rules.scoring._reference import _reference_score

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TARGET_CARD_BYTES = 400  # kept per card, beside the leads
FREE_MAIL = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de"})
COMPETITORS = frozenset({"rival.example", "other-vendor.example"})
K = InteractionKind
ENGAGEMENT = (
    # name, kind, points, cap
    ("site visits", K.SITE_VISIT, 2.0, 10.0),
    ("email opens", K.EMAIL_OPEN, 1.0, 5.0),
    ("email clicks", K.EMAIL_CLICK, 3.0, 12.0),
    ("email replies", K.EMAIL_REPLY, 5.0, 15.0),
    ("social", K.SOCIAL, 2.0, 8.0),
    ("form submits", K.FORM_SUBMIT, 10.0, 20.0),
    ("webinars", K.WEBINAR, 8.0, 16.0),
    ("exhibition visits", K.EXHIBITION, 10.0, 10.0),
    ("downloads", K.DOWNLOAD, 5.0, 15.0),
    ("calls", K.CALL, 6.0, 12.0),
    ("meetings", K.MEETING, 10.0, 20.0),
)


def build_model() -> ScoringModel:
    fit = (
        FitRule(
            name="head of", field="contact.job_title", match=Contains(text="head of"), points=10
        ),
        FitRule(
            name="director", field="contact.job_title", match=Contains(text="director"), points=10
        ),
        FitRule(name="chief", field="contact.job_title", match=Contains(text="chief"), points=15),
        FitRule(
            name="size 200-5000",
            field="company.employees",
            match=InRange(at_least=200, at_most=5000),
            points=15,
        ),
        FitRule(
            name="size 50-199",
            field="company.employees",
            match=InRange(at_least=50, at_most=199),
            points=8,
        ),
        FitRule(
            name="revenue 10M+",
            field="company.annual_revenue.amount",
            match=InRange(at_least=10_000_000),
            points=10,
        ),
        FitRule(name="budget", field="needs.budget", match=Present(), points=10),
        FitRule(name="timing", field="needs.purchase_decision", match=Present(), points=10),
        FitRule(name="volume", field="needs.expected_volume", match=Present(), points=5),
        FitRule(name="product", field="needs.current_product", match=Present(), points=5),
        FitRule(
            name="good source",
            field="source.channel",
            match=OneOf(values=("exhibition", "referral")),
            points=5,
        ),
        FitRule(
            name="industry",
            field="company.industry",
            match=OneOf(values=("manufacturing", "software", "logistics")),
            points=8,
        ),
        FitRule(
            name="dach", field="company.country", match=OneOf(values=("DE", "AT", "CH")), points=5
        ),
        FitRule(name="interests", field="interests", match=Present(), points=3),
    )
    engagement = tuple(
        EngagementRule(
            name=name,
            kind=kind,
            points=points,
            cap=cap,
            within_days=180,
            decay=CalendarStep(weeks=1, factor=0.8) if kind is K.EXHIBITION else HalfLife(days=30),
        )
        for name, kind, points, cap in ENGAGEMENT
    )
    negative = (
        NegativeRule(
            name="free mail", field="contact.email", match=DomainIn(domains=FREE_MAIL), penalty=10
        ),
        NegativeRule(
            name="student", field="contact.job_title", match=Contains(text="student"), penalty=25
        ),
        NegativeRule(
            name="intern", field="contact.job_title", match=Contains(text="intern"), penalty=15
        ),
        NegativeRule(
            name="competitor",
            field="company.domain",
            match=DomainIn(domains=COMPETITORS),
            penalty=50,
        ),
        NegativeRule(name="no email", field="contact.email", match=Missing(), penalty=5),
    )
    return ScoringModel(name="bench", fit=fit, engagement=engagement, negative=negative, cap=100)


TITLES = (
    "Head of IT",
    "IT Director",
    "Chief Technology Officer",
    "Buyer",
    "Student",
    "Intern Procurement",
    None,
    "Engineer",
    "Head of Purchasing",
)
DOMAINS = ("acme.example", "gmail.com", "rival.example", "works.example", "gmx.de")
INDUSTRIES = ("manufacturing", "software", "retail", "logistics", None)
COUNTRIES = ("DE", "AT", "CH", "FR", "US", None)


def generate(n: int, seed: int) -> list[Lead]:
    rng = random.Random(seed)
    kinds = tuple(InteractionKind)
    pool = [
        Interaction(kind=rng.choice(kinds), at=NOW - timedelta(seconds=rng.randrange(365 * 86400)))
        for _ in range(20_000)
    ]
    leads = []
    for i in range(n):
        email_domain = rng.choice(DOMAINS)
        revenue = rng.choice((None, 2e6, 25e6, 3e8))
        leads.append(
            Lead(
                id=f"L-{i}",
                source=Source(
                    channel=rng.choice(("web", "exhibition", "referral", "ads")),
                    captured_at=NOW - timedelta(days=400),
                ),
                contact=Contact(
                    last_name="Doe",
                    email=None if rng.random() < 0.1 else f"p{i}@{email_domain}",
                    job_title=rng.choice(TITLES),
                ),
                company=Company(
                    name="Acme",
                    domain=rng.choice(DOMAINS),
                    industry=rng.choice(INDUSTRIES),
                    employees=rng.choice((None, 10, 80, 400, 9000)),
                    country=rng.choice(COUNTRIES),
                    annual_revenue=None
                    if revenue is None
                    else Revenue(amount=revenue, source="broker"),
                ),
                needs=Needs(
                    budget=rng.choice((None, 50_000.0)),
                    purchase_decision=rng.choice((None, date(2026, 9, 1))),
                    expected_volume=rng.choice((None, 100.0)),
                    current_product=rng.choice((None, "legacy suite")),
                ),
                interactions=tuple(rng.sample(pool, rng.randint(0, 40))),
                interests=rng.choice(((), ("erp",), ("erp", "cloud"))),
            )
        )
    return leads


def as_dict(lead: Lead) -> dict[str, Any]:
    revenue = lead.company.annual_revenue
    return {
        "title": lead.contact.job_title,
        "email": lead.contact.email,
        "employees": lead.company.employees,
        "revenue": None if revenue is None else revenue.amount,
        "domain": lead.company.domain,
        "industry": lead.company.industry,
        "country": lead.company.country,
        "budget": lead.needs.budget,
        "decision": lead.needs.purchase_decision,
        "volume": lead.needs.expected_volume,
        "product": lead.needs.current_product,
        "channel": lead.source.channel,
        "interests": lead.interests,
        "touches": [(i.kind.value, i.at) for i in lead.interactions],
    }


POINTS = {kind.value: (points, cap) for _, kind, points, cap in ENGAGEMENT}
HALF = 30 * 86400.0
WINDOW = 180 * 86400.0
WEEK = timedelta(weeks=1)


FREE_MAIL_SUFFIXES = tuple("." + d for d in FREE_MAIL)
COMPETITOR_SUFFIXES = tuple("." + d for d in COMPETITORS)


def _domain_in(text: str, domains: frozenset[str], suffixes: tuple[str, ...]) -> bool:
    d = text.rpartition("@")[2].strip().casefold()
    return d in domains or d.endswith(suffixes)


def baseline_total(d: dict[str, Any], now: datetime) -> float:  # noqa: PLR0915  # hand-inlined on purpose
    """The same arithmetic as the model, written by hand on a plain dict."""
    total = 0.0
    title = d["title"]
    if title is not None:
        t = title.casefold()
        if "head of" in t:
            total += 10
        if "director" in t:
            total += 10
        if "chief" in t:
            total += 15
        if "student" in t:
            total -= 25
        if "intern" in t:
            total -= 15
    emp = d["employees"]
    if emp is not None:
        if 200 <= emp <= 5000:
            total += 15
        if 50 <= emp <= 199:
            total += 8
    if d["revenue"] is not None and d["revenue"] >= 10_000_000:
        total += 10
    if d["budget"] is not None:
        total += 10
    if d["decision"] is not None:
        total += 10
    if d["volume"] is not None:
        total += 5
    product = d["product"]
    if product is not None and product.strip():
        total += 5
    if d["channel"].casefold() in ("exhibition", "referral"):
        total += 5
    industry = d["industry"]
    if industry is not None and industry.casefold() in ("manufacturing", "software", "logistics"):
        total += 8
    country = d["country"]
    if country is not None and country.casefold() in ("de", "at", "ch"):
        total += 5
    if d["interests"]:
        total += 3
    email = d["email"]
    if email is None or not email.strip():
        total -= 5
    elif _domain_in(email, FREE_MAIL, FREE_MAIL_SUFFIXES):
        total -= 10
    if d["domain"] is not None and _domain_in(d["domain"], COMPETITORS, COMPETITOR_SUFFIXES):
        total -= 50
    sums: dict[str, float] = {}
    for kind, at in d["touches"]:
        age = (now - at).total_seconds()
        if age < 0 or age > WINDOW:
            continue
        points = POINTS[kind][0]
        if kind == "exhibition":
            value = points * 0.8 ** ((now - at) // WEEK)
        else:
            value = points * 0.5 ** (age / HALF)
        sums[kind] = sums.get(kind, 0.0) + value
    for kind, value in sums.items():
        total += min(value, POINTS[kind][1])
    return max(0.0, min(total, 100.0))


def rate(fn: Callable[[], Sequence[Any]], n: int, repeat: int) -> tuple[float, Sequence[Any]]:
    best = math.inf
    result: Sequence[Any] = ()
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return n / best, result


def kept_bytes(leads: Sequence[Lead], model: ScoringModel) -> float:
    """Bytes each card of `score_many` keeps alive, measured with tracemalloc.

    What the cards hold beyond the leads themselves: the cards, their compact
    contributions and groups, and the numbers made for them. Read after a collection,
    so temporaries are gone.
    """
    score_many(leads[:10], model, now=NOW)  # the model's generated code is built first
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    cards = score_many(leads, model, now=NOW)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(cards) == len(leads)
    return (after - before) / len(cards)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 leads instead of 200,000")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    repeat = 3 if args.quick else 2
    model = build_model()
    rules = len(model.fit) + len(model.engagement) + len(model.negative)
    leads = generate(n, seed=20260304)
    dicts = [as_dict(lead) for lead in leads]
    touches = sum(len(lead.interactions) for lead in leads)
    print(f"{n:,} leads, {touches:,} interactions, {rules} rules")

    base_rate, base = rate(lambda: [baseline_total(d, NOW) for d in dicts], n, repeat)
    full_rate, cards = rate(lambda: score_many(leads, model, now=NOW), n, repeat)
    fast_rate, totals = rate(lambda: score_totals(leads, model, now=NOW), n, repeat)

    worst = max(abs(a - b) for a, b in zip(base, totals, strict=True))
    assert worst < 1e-9, f"fast path and baseline disagree by {worst}"
    assert all(c.total == t for c, t in zip(cards, totals, strict=True))
    compiled = compile_model(model)
    assert compiled.totals(leads[:100], now=NOW) == totals[:100]
    # Full cards, contributions included, equal the interpretive reference scorer's.
    assert cards[:1000] == tuple(_reference_score(lead, model, now=NOW) for lead in leads[:1000])

    # Not targets, shown for honesty: contributions are kept compact until first read, so
    # also time reading every card's contributions; and scoring lead by lead with score().
    read_rate, _ = rate(
        lambda: [c.contributions for c in score_many(leads, model, now=NOW)], n, repeat
    )
    one_n = n // 10
    one_rate, _ = rate(
        lambda: [score(lead, model, now=NOW) for lead in leads[:one_n]], one_n, repeat
    )

    print(f"baseline (plain dicts)      {base_rate:>10,.0f} leads/s")
    print(f"score_many (contributions)  {full_rate:>10,.0f} leads/s  {full_rate / base_rate:.2f}x")
    print(f"score_totals (fast path)    {fast_rate:>10,.0f} leads/s  {fast_rate / base_rate:.2f}x")
    print(f"score_many, all read        {read_rate:>10,.0f} leads/s  {read_rate / base_rate:.2f}x")
    print(f"score() lead by lead        {one_rate:>10,.0f} leads/s  {one_rate / base_rate:.2f}x")
    per_card = kept_bytes(leads, model)
    print(
        f"kept cards (tracemalloc)    {per_card:>10,.0f} bytes per card, "
        f"{per_card * 1e6 / 2**20:,.0f} MiB per million"
    )
    for name, ratio, target in (
        ("scoring_full_vs_baseline", full_rate / base_rate, 0.5),
        ("scoring_fast_vs_baseline", fast_rate / base_rate, 0.8),
    ):
        verdict = "ok" if ratio >= target else "SHORT"
        print(f"TARGET {name}: measured {ratio:.2f} x, target {target:.2f} x, {verdict}")
    verdict = "ok" if per_card <= TARGET_CARD_BYTES else "SHORT"
    print(
        f"TARGET scoring_kept_card_bytes: measured {per_card:.0f} bytes, "
        f"target {TARGET_CARD_BYTES} bytes, {verdict}"
    )


if __name__ == "__main__":
    main()
