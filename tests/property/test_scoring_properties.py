"""Properties of scoring: deterministic, monotone in touches and time, batch = single."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

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
    DEFAULT_SCORING_MODEL,
    CalendarStep,
    Contains,
    DomainIn,
    EngagementRule,
    Equals,
    FitRule,
    GradeBand,
    HalfLife,
    InRange,
    Match,
    Missing,
    NegativeRule,
    OneOf,
    PointGroup,
    Present,
    ScoringModel,
    compile_model,
    score,
    score_many,
    score_totals,
)
from leadpipeline.rules.scoring._reference import _reference_score, _reference_total

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
# Every touch happens before NOW, so moving `now` forward never reveals a new one.
EARLIEST = NOW - timedelta(days=400)

GROUPED = ScoringModel(
    name="grouped",
    fit=DEFAULT_SCORING_MODEL.fit,
    negative=DEFAULT_SCORING_MODEL.negative,
    groups=(PointGroup(name="product", cap=25),),
    engagement=(
        EngagementRule(
            name="downloads",
            kind=InteractionKind.DOWNLOAD,
            points=7,
            cap=20,
            decay=HalfLife(days=10),
            group="product",
        ),
        EngagementRule(
            name="webinars",
            kind=InteractionKind.WEBINAR,
            points=9,
            decay=CalendarStep(months=1, days=3, factor=0.7),
            group="product",
        ),
        EngagementRule(
            name="visits",
            kind=InteractionKind.SITE_VISIT,
            points=2,
            cap=9,
            within_days=60,
            decay=CalendarStep(weeks=2, factor=0.6),
        ),
        EngagementRule(name="forms", kind=InteractionKind.FORM_SUBMIT, points=12),
    ),
    cap=60,
    floor=None,
)
models = st.sampled_from([DEFAULT_SCORING_MODEL, GROUPED])

instants = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None), max_value=NOW.replace(tzinfo=None)
).map(lambda d: d.replace(tzinfo=UTC))
interactions = st.builds(Interaction, kind=st.sampled_from(InteractionKind), at=instants)
texts = st.one_of(
    st.none(),
    st.sampled_from(["Head of IT", "Chief Buyer", "Student", "Director Ops", "", "engineer"]),
)


@st.composite
def leads(draw: st.DrawFn) -> Lead:
    return Lead(
        id=draw(st.sampled_from(["L-1", "L-2"])),
        source=Source(
            channel=draw(st.sampled_from(["web", "exhibition", "referral"])), captured_at=EARLIEST
        ),
        contact=Contact(
            job_title=draw(texts),
            email=draw(st.sampled_from([None, "a@acme.example", "b@gmail.com"])),
        ),
        company=Company(
            employees=draw(st.one_of(st.none(), st.integers(0, 20_000))),
            domain=draw(st.sampled_from([None, "acme.example", "competitor.example"])),
        ),
        needs=Needs(budget=draw(st.one_of(st.none(), st.floats(0, 1e6)))),
        interactions=tuple(draw(st.lists(interactions, max_size=25))),
        interests=tuple(draw(st.lists(st.sampled_from(["erp", "cloud"]), max_size=2))),
    )


class TestScoringProperties:
    @given(models, leads())
    def test_scores_are_deterministic(self, model: ScoringModel, lead: Lead) -> None:
        """Scoring the same lead twice at the same instant gives equal cards."""
        assert score(lead, model, now=NOW) == score(lead, model, now=NOW)

    @given(models, leads(), interactions, st.integers(0, 25))
    def test_adding_a_touch_never_lowers_the_score(
        self, model: ScoringModel, lead: Lead, extra: Interaction, position: int
    ) -> None:
        """One more interaction, anywhere in the history, never lowers the total at one now."""
        before = score(lead, model, now=NOW).total
        touches = list(lead.interactions)
        touches.insert(min(position, len(touches)), extra)
        after = score(
            Lead(
                id=lead.id,
                source=lead.source,
                contact=lead.contact,
                company=lead.company,
                needs=lead.needs,
                interactions=tuple(touches),
                interests=lead.interests,
            ),
            model,
            now=NOW,
        ).total
        assert after >= before

    @given(models, leads(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=500)))
    def test_score_never_rises_as_time_passes(
        self, model: ScoringModel, lead: Lead, later: timedelta
    ) -> None:
        """With no new touches, the total at a later instant is never higher."""
        assert score(lead, model, now=NOW + later).total <= score(lead, model, now=NOW).total

    @given(models, st.lists(leads(), max_size=5))
    def test_score_many_equals_mapping_score(self, model: ScoringModel, batch: list[Lead]) -> None:
        """score_many returns what scoring each lead on its own returns."""
        assert score_many(batch, model, now=NOW) == tuple(
            score(lead, model, now=NOW) for lead in batch
        )

    @given(models, st.lists(leads(), max_size=5))
    def test_fast_path_equals_card_total(self, model: ScoringModel, batch: list[Lead]) -> None:
        """The totals-only fast path equals each score card's total."""
        assert score_totals(batch, model, now=NOW) == tuple(
            score(lead, model, now=NOW).total for lead in batch
        )


# --- generated code against the interpretive reference ------------------------------------

TEXT_FIELDS = (
    "contact.job_title",
    "contact.email",
    "company.domain",
    "company.country",
    "source.channel",
    "needs.current_product",
    "company.annual_revenue.currency",
)
NUMBER_FIELDS = ("company.employees", "company.annual_revenue.amount", "needs.budget")
TEXTS_FIELDS = ("interests", "needs.needs")
OTHER_FIELDS = (
    "needs.purchase_decision",
    "company.annual_revenue.as_of",
    "company.annual_revenue",
    "erased",
    "interactions",
)
WORDS = ("Head of IT", "head", "DE", "de", "erp", "ERP", "student", "gmail.com", "rival.example")
DOMAINS = ("gmail.com", "GMail.com", "@rival.example", "eu.rival.example", "@")
VALUES = ("Head of IT", "ERP", "erp", "de", "DE", "Working Student", "", "  ", "head")
EMAILS = ("a@gmail.com", "b@EU.Rival.Example", "c@acme.example", "gmail.com", "", " ", "x@")
KINDS = tuple(InteractionKind)
ZONES = (UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5)))

# Shared landmarks make lead values hit rule bounds and touches hit windows exactly.
LANDMARKS = (0, 50, 199, 200, 5000)
numbers = st.one_of(
    st.sampled_from(LANDMARKS), st.integers(0, 5000), st.floats(0, 5000, allow_nan=False)
).map(float)
DAYS = (1, 7, 30, 90, 180)
present_or_missing = st.sampled_from([Present(), Missing()])
text_matches = st.one_of(
    present_or_missing,
    st.builds(Equals, value=st.sampled_from(WORDS)),
    st.builds(OneOf, values=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(tuple)),
    st.builds(Contains, text=st.sampled_from(WORDS)),
)
ranges = st.tuples(st.one_of(st.none(), numbers), st.one_of(st.none(), numbers)).filter(
    lambda r: r != (None, None)
)
number_matches = st.one_of(
    present_or_missing,
    ranges.map(
        lambda r: (
            InRange(at_least=min(r), at_most=max(r))  # type: ignore[type-var]
            if None not in r
            else InRange(at_least=r[0], at_most=r[1])
        )
    ),
)
field_and_match = st.one_of(
    st.tuples(
        st.sampled_from(TEXT_FIELDS),
        text_matches
        | st.builds(
            DomainIn, domains=st.frozensets(st.sampled_from(DOMAINS), min_size=1, max_size=3)
        ),
    ),
    st.tuples(st.sampled_from(TEXTS_FIELDS), text_matches),
    st.tuples(st.sampled_from(NUMBER_FIELDS), number_matches),
    st.tuples(st.sampled_from(OTHER_FIELDS), present_or_missing),
)
decays = st.one_of(
    st.none(),
    st.builds(HalfLife, days=st.floats(0.5, 90)),
    st.builds(
        CalendarStep,
        months=st.integers(0, 2),
        weeks=st.integers(0, 2),
        days=st.integers(1, 10),
        factor=st.floats(0, 0.99),
    ),
    st.builds(CalendarStep, months=st.integers(1, 3), factor=st.sampled_from([0.0, 0.5])),
)


@st.composite
def random_models(draw: st.DrawFn) -> ScoringModel:
    group_caps = draw(st.lists(numbers.filter(bool), max_size=2))
    groups = tuple(PointGroup(name=f"g{i}", cap=cap) for i, cap in enumerate(group_caps))
    group_names = st.sampled_from(["general", *(g.name for g in groups)])
    points = st.one_of(st.integers(1, 30), st.floats(0.1, 30)).map(float)
    fit = []
    negative = []
    for i in range(draw(st.integers(0, 8))):
        field, match = draw(field_and_match)
        assert isinstance(match, Match)
        if draw(st.booleans()):
            fit.append(
                FitRule(
                    name=f"fit {i}",
                    field=field,
                    match=match,
                    points=draw(points),
                    group=draw(group_names),
                )
            )
        else:
            negative.append(
                NegativeRule(
                    name=f"neg {i}",
                    field=field,
                    match=match,
                    penalty=draw(points),
                    group=draw(group_names),
                )
            )
    engagement = tuple(
        EngagementRule(
            name=f"eng {i}",
            kind=draw(st.sampled_from(KINDS)),
            points=draw(points),
            cap=draw(st.one_of(st.none(), points)),
            within_days=draw(
                st.one_of(st.none(), st.sampled_from(DAYS), st.floats(0.01, 400), st.just(1e9))
            ),
            decay=draw(decays),
            group=draw(group_names),
        )
        for i in range(draw(st.integers(0, 6)))
    )
    cap = draw(st.one_of(st.none(), numbers.filter(bool)))
    floor = draw(st.one_of(st.none(), st.floats(-50, 0) if cap is None else st.floats(-50, cap)))
    bands = draw(
        st.sampled_from(
            [
                ScoringModel().grade_bands,
                (),
                (GradeBand(grade="hot", min_fit=20.5), GradeBand(grade="warm", min_fit=-3)),
            ]
        )
    )
    return ScoringModel(
        name="random",
        fit=tuple(fit),
        engagement=engagement,
        negative=tuple(negative),
        groups=groups,
        cap=cap,
        floor=floor,
        grade_bands=bands,
    )


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


@st.composite
def random_leads(draw: st.DrawFn, now: datetime) -> Lead:
    zone = st.sampled_from(ZONES)
    touches = st.builds(
        lambda kind, offset, tz: Interaction(kind=kind, at=(now - offset).astimezone(tz)),
        st.sampled_from(KINDS),
        st.one_of(
            st.sampled_from([timedelta(days=d) for d in (0, *DAYS)]),
            st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=400)),
        ),
        zone,
    )
    revenue = st.builds(
        Revenue,
        amount=numbers,
        currency=st.sampled_from(["EUR", "de", "Head of IT"]),
        source=st.just("broker"),
        as_of=maybe(st.just(date(2025, 1, 1))),
    )
    return Lead(
        id="L-1",
        source=Source(
            channel=draw(st.sampled_from(("ERP", "de", "Head of IT", "web"))), captured_at=now
        ),
        contact=Contact(
            job_title=draw(maybe(st.sampled_from(VALUES))),
            email=draw(maybe(st.sampled_from(EMAILS))),
        ),
        company=Company(
            domain=draw(maybe(st.sampled_from(("rival.example", "x.rival.example", "acme.io")))),
            country=draw(maybe(st.sampled_from(VALUES))),
            employees=draw(maybe(st.sampled_from(LANDMARKS) | st.integers(0, 6000))),
            annual_revenue=draw(maybe(revenue)),
        ),
        needs=Needs(
            budget=draw(maybe(numbers)),
            needs=tuple(draw(st.lists(st.sampled_from(VALUES), max_size=3))),
            purchase_decision=draw(maybe(st.just(date(2026, 9, 1)))),
            current_product=draw(maybe(st.sampled_from(VALUES))),
        ),
        interactions=tuple(draw(st.lists(touches, max_size=15))),
        interests=tuple(draw(st.lists(st.sampled_from(VALUES), max_size=3))),
        erased=draw(st.booleans()),
    )


nows = st.sampled_from([NOW, NOW.astimezone(timezone(timedelta(hours=-5)))])


class TestGeneratedCodeAgreesWithReference:
    @settings(max_examples=300, deadline=None)
    @given(random_models(), st.data(), nows)
    def test_cards_and_totals_equal_the_reference_scorer(
        self, model: ScoringModel, data: st.DataObject, now: datetime
    ) -> None:
        """On random models and leads the generated code gives the reference's exact card."""
        lead = data.draw(random_leads(now))
        expected = _reference_score(lead, model, now=now)
        compiled = compile_model(model)
        assert compiled.score(lead, now=now) == expected
        assert (
            compiled.total(lead, now=now)
            == expected.total
            == _reference_total(lead, model, now=now)
        )
        assert [attrs.astuple(c) for c in score(lead, model, now=now).contributions] == [
            attrs.astuple(c) for c in expected.contributions
        ]
