"""The default scoring model: a sensible start to tune with `attrs.evolve`."""

from __future__ import annotations

from leadpipeline.lead import InteractionKind
from leadpipeline.rules.scoring.model import ScoringModel
from leadpipeline.rules.scoring.rules import (
    CalendarStep,
    Contains,
    Decay,
    DomainIn,
    EngagementRule,
    FitRule,
    HalfLife,
    InRange,
    NegativeRule,
    OneOf,
    Present,
)

__all__ = ["DEFAULT_SCORING_MODEL"]


_FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
    }
)


def _touch(
    name: str, kind: InteractionKind, points: float, cap: float, decay: Decay | None = None
) -> EngagementRule:
    return EngagementRule(
        name=name,
        kind=kind,
        points=points,
        cap=cap,
        within_days=180,
        decay=decay if decay is not None else HalfLife(days=30),
    )


DEFAULT_SCORING_MODEL = ScoringModel(
    name="default",
    fit=(
        FitRule(
            name="title: head of",
            field="contact.job_title",
            match=Contains(text="head of"),
            points=10,
        ),
        FitRule(
            name="title: director",
            field="contact.job_title",
            match=Contains(text="director"),
            points=10,
        ),
        FitRule(
            name="title: chief", field="contact.job_title", match=Contains(text="chief"), points=15
        ),
        FitRule(
            name="company size 200-5000",
            field="company.employees",
            match=InRange(at_least=200, at_most=5000),
            points=15,
        ),
        FitRule(
            name="company size 50-199",
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
        FitRule(name="budget known", field="needs.budget", match=Present(), points=10),
        FitRule(
            name="purchase timing known",
            field="needs.purchase_decision",
            match=Present(),
            points=10,
        ),
        FitRule(
            name="expected volume known", field="needs.expected_volume", match=Present(), points=5
        ),
        FitRule(
            name="current product known", field="needs.current_product", match=Present(), points=5
        ),
        FitRule(
            name="source: exhibition or referral",
            field="source.channel",
            match=OneOf(values=("exhibition", "referral")),
            points=5,
        ),
        FitRule(name="interests known", field="interests", match=Present(), points=3),
    ),
    engagement=(
        _touch("site visits", InteractionKind.SITE_VISIT, 2, 10),
        _touch("email opens", InteractionKind.EMAIL_OPEN, 1, 5),
        _touch("email clicks", InteractionKind.EMAIL_CLICK, 3, 12),
        _touch("email replies", InteractionKind.EMAIL_REPLY, 5, 15),
        _touch("social", InteractionKind.SOCIAL, 2, 8),
        _touch("form submits", InteractionKind.FORM_SUBMIT, 10, 20),
        _touch("webinars", InteractionKind.WEBINAR, 8, 16),
        _touch("exhibition visits", InteractionKind.EXHIBITION, 10, 10, CalendarStep(months=1)),
        _touch("downloads", InteractionKind.DOWNLOAD, 5, 15),
        _touch("calls", InteractionKind.CALL, 6, 12),
        _touch("meetings", InteractionKind.MEETING, 10, 20),
    ),
    negative=(
        NegativeRule(
            name="free-mail address",
            field="contact.email",
            match=DomainIn(domains=_FREE_MAIL),
            penalty=10,
        ),
        NegativeRule(
            name="student", field="contact.job_title", match=Contains(text="student"), penalty=25
        ),
        NegativeRule(
            name="competitor",
            field="company.domain",
            match=DomainIn(domains=frozenset({"competitor.example"})),
            penalty=50,
        ),
    ),
    cap=100,
    floor=0,
)
"""A sensible starting model: persona fit, decaying touches, bad signs; tune it with evolve.

The competitor rule ships with a placeholder domain: replace it with your competitors'.
"""
