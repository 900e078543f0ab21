"""Won and lost lead histories drawn from a known points table, for the learning tests.

Each lead's log-odds of winning is the sum of `TRUE_POINTS` for its channel, industry and
size, plus a share per recent site visit; it is then won or lost by a seeded draw. A fit
that works must give the true rules their true order.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from leadpipeline.analytics._history import History
from leadpipeline.events import Completed, LeadCaptured, Outcome
from leadpipeline.lead import Company, Interaction, InteractionKind, Lead, Party, Source

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

TRUE_POINTS = {
    "source.channel": {"referral": 2.0, "exhibition": 1.0, "web": 0.0, "purchased list": -1.5},
    "company.industry": {"software": 1.2, "manufacturing": 0.6, "retail": 0.0},
}
"""The true log-odds of each field value."""

RARE = "carrier pigeon"
"""A channel only a handful of leads came from: too rare to learn from."""

BIG_FIRM = 1.0
"""Log-odds for 500 employees or more."""

PER_VISIT = 0.5
"""Log-odds per site visit of the last month, up to three."""


def history(lead: Lead, won: bool) -> History:
    """A captured lead, completed won or lost at `NOW`."""
    return (
        LeadCaptured(
            lead_id=lead.id, at=lead.source.captured_at, actor=Party.marketing(), lead=lead
        ),
        Completed(
            lead_id=lead.id,
            at=NOW,
            actor=Party.sales(),
            outcome=Outcome.WON if won else Outcome.LOST,
        ),
    )


def known_histories(n: int, seed: int, *, rare: int = 8) -> list[History]:
    """`n` histories drawn from the known points; `rare` of them from the rare channel."""
    rng = random.Random(seed)
    out = []
    channels = list(TRUE_POINTS["source.channel"])
    industries = list(TRUE_POINTS["company.industry"])
    for i in range(n):
        channel = RARE if i < rare else rng.choice(channels)
        industry = rng.choice([*industries, None])
        employees = rng.choice([20, 80, 300, 800, 3000, None])
        captured = NOW - timedelta(days=rng.randint(60, 200))
        recent = rng.randint(0, 5)
        old = rng.randint(0, 5)
        touches = tuple(
            Interaction(kind=InteractionKind.SITE_VISIT, at=NOW - timedelta(days=d))
            for d in sorted(
                [rng.uniform(0, 20) for _ in range(recent)]
                + [rng.uniform(50, 59) for _ in range(old)],
                reverse=True,
            )
        )
        logit = -1.2 + TRUE_POINTS["source.channel"].get(channel, 0.0)
        logit += TRUE_POINTS["company.industry"].get(industry or "", -0.5)
        logit += BIG_FIRM if (employees or 0) >= 500 else 0.0
        logit += PER_VISIT * min(recent, 3)
        lead = Lead(
            id=f"L-{i:05d}",
            source=Source(channel=channel, captured_at=captured),
            company=Company(industry=industry, employees=employees),
            interactions=touches,
        )
        out.append(history(lead, rng.random() < 1 / (1 + math.exp(-logit))))
    return out
