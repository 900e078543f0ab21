"""Unit tests for the scoring model: rule kinds, decay, caps, floors, groups, grades, files."""

from __future__ import annotations

import json
import traceback
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
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
    Contribution,
    DomainIn,
    EngagementRule,
    Equals,
    FitRule,
    GradeBand,
    HalfLife,
    InRange,
    Missing,
    NegativeRule,
    OneOf,
    PointGroup,
    Present,
    RuleKind,
    ScoreCard,
    ScoringModel,
    compile_model,
    field_kind,
    score,
    score_many,
    score_totals,
)
from leadpipeline.rules.scoring._reference import _reference_score
from leadpipeline.serialization import from_json, from_toml, to_json

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
K = InteractionKind


def make_lead(**parts: Any) -> Lead:
    return Lead(
        id="L-1", source=Source(channel="web", captured_at=NOW - timedelta(days=400)), **parts
    )


def touch(kind: InteractionKind, days_ago: float) -> Interaction:
    return Interaction(kind=kind, at=NOW - timedelta(days=days_ago))


def fit_model(*rules: FitRule) -> ScoringModel:
    return ScoringModel(fit=rules)


class TestFitRules:
    def test_contains_matches_job_title_case_insensitively(self) -> None:
        """A 'head of' rule fires for 'Head of Purchasing' and names the title it matched."""
        model = fit_model(
            FitRule(
                name="head of", field="contact.job_title", match=Contains(text="head of"), points=10
            )
        )
        card = score(make_lead(contact=Contact(job_title="Head of Purchasing")), model, now=NOW)
        assert card.total == 10
        assert card.contributions == (
            Contribution(
                rule="head of",
                kind=RuleKind.FIT,
                group="general",
                points=10.0,
                matched="Head of Purchasing",
            ),
        )

    def test_range_is_inclusive_at_both_ends(self) -> None:
        """Companies of exactly 200 and 5000 employees get the mid-size points, 5001 does not."""
        model = fit_model(
            FitRule(
                name="mid",
                field="company.employees",
                match=InRange(at_least=200, at_most=5000),
                points=15,
            )
        )
        totals = [
            score(make_lead(company=Company(employees=n)), model, now=NOW).total
            for n in (199, 200, 5000, 5001)
        ]
        assert totals == [0, 15, 15, 0]

    def test_nested_optional_path_is_read_when_present(self) -> None:
        """Revenue points read company.annual_revenue.amount and skip a lead without revenue."""
        model = fit_model(
            FitRule(
                name="big",
                field="company.annual_revenue.amount",
                match=InRange(at_least=1e7),
                points=10,
            )
        )
        rich = make_lead(company=Company(annual_revenue=Revenue(amount=2e7, source="broker")))
        assert score(rich, model, now=NOW).total == 10
        assert score(make_lead(), model, now=NOW).total == 0

    def test_equals_and_one_of(self) -> None:
        """Equals and one-of compare text without regard to case."""
        model = fit_model(
            FitRule(name="de", field="company.country", match=Equals(value="de"), points=5),
            FitRule(
                name="fair",
                field="source.channel",
                match=OneOf(values=("exhibition", "referral")),
                points=5,
            ),
        )
        lead = attrs.evolve(
            make_lead(company=Company(country="DE")),
            source=Source(channel="Exhibition", captured_at=NOW),
        )
        assert [c.rule for c in score(lead, model, now=NOW).contributions] == ["de", "fair"]

    def test_present_and_missing(self) -> None:
        """Present fires on a known budget, missing on a blank email."""
        model = fit_model(
            FitRule(name="budget", field="needs.budget", match=Present(), points=10),
            FitRule(name="no email", field="contact.email", match=Missing(), points=1),
        )
        card = score(
            make_lead(needs=Needs(budget=0.0), contact=Contact(email="  ")), model, now=NOW
        )
        assert [(c.rule, c.matched) for c in card.contributions] == [
            ("budget", "0.0"),
            ("no email", "missing"),
        ]

    def test_rule_on_a_list_field_matches_any_item(self) -> None:
        """A one-of rule on interests fires when any interest is in the list."""
        model = fit_model(
            FitRule(name="erp", field="interests", match=OneOf(values=("ERP",)), points=4)
        )
        card = score(make_lead(interests=("cloud", "erp")), model, now=NOW)
        assert (card.total, card.contributions[0].matched) == (4, "erp")

    def test_unknown_field_is_refused_with_rule_path(self) -> None:
        """A rule naming a field the Lead does not have is refused at fit[1].field."""
        good = FitRule(name="a", field="needs.budget", match=Present(), points=1)
        bad = FitRule(name="b", field="company.turnover", match=Present(), points=1)
        with pytest.raises(ConfigurationError) as info:
            fit_model(good, bad)
        assert info.value.paths == ("fit[1].field",)

    def test_matcher_that_cannot_test_the_field_is_refused(self) -> None:
        """A numeric range on a job title is refused at the rule's match."""
        with pytest.raises(ConfigurationError) as info:
            fit_model(
                FitRule(name="x", field="contact.job_title", match=InRange(at_least=1), points=1)
            )
        assert info.value.paths == ("fit[0].match",)

    def test_field_kind_names_what_a_path_holds(self) -> None:
        """field_kind tells numbers from text and refuses unknown paths."""
        assert field_kind("company.employees") == "number"
        with pytest.raises(ValidationError):
            field_kind("contact.shoe_size")


class TestEngagementRules:
    def test_points_per_occurrence_without_decay(self) -> None:
        """Three site visits at 2 points each give 6 points."""
        model = ScoringModel(
            engagement=(EngagementRule(name="visits", kind=K.SITE_VISIT, points=2),)
        )
        lead = make_lead(interactions=tuple(touch(K.SITE_VISIT, d) for d in (1, 2, 3)))
        card = score(lead, model, now=NOW)
        assert (card.total, card.engagement, card.contributions[0].matched) == (
            6,
            6,
            "3 x site_visit",
        )

    def test_other_kinds_do_not_count(self) -> None:
        """An email open earns nothing under a site-visit rule."""
        model = ScoringModel(
            engagement=(EngagementRule(name="visits", kind=K.SITE_VISIT, points=2),)
        )
        assert score(make_lead(interactions=(touch(K.EMAIL_OPEN, 1),)), model, now=NOW).total == 0

    def test_half_life_halves_at_one_and_quarters_at_two(self) -> None:
        """A 10-point touch is worth exactly 5 after one half-life and 2.5 after two."""
        model = ScoringModel(
            engagement=(
                EngagementRule(
                    name="forms", kind=K.FORM_SUBMIT, points=10, decay=HalfLife(days=30)
                ),
            )
        )
        values = [
            score(make_lead(interactions=(touch(K.FORM_SUBMIT, d),)), model, now=NOW).total
            for d in (0, 30, 60)
        ]
        assert values == [10.0, 5.0, 2.5]

    def test_calendar_month_step_halves_on_the_same_day_of_next_month(self) -> None:
        """With a monthly step, a touch on 31 January halves on 28 February, not before."""
        model = ScoringModel(
            engagement=(
                EngagementRule(
                    name="fairs", kind=K.EXHIBITION, points=8, decay=CalendarStep(months=1)
                ),
            )
        )
        at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
        lead = make_lead(interactions=(Interaction(kind=K.EXHIBITION, at=at),))
        assert score(lead, model, now=datetime(2026, 2, 28, 8, 59, tzinfo=UTC)).total == 8
        assert score(lead, model, now=datetime(2026, 2, 28, 9, 0, tzinfo=UTC)).total == 4
        assert score(lead, model, now=datetime(2026, 3, 31, 9, 0, tzinfo=UTC)).total == 2

    def test_weekly_step_counts_whole_weeks(self) -> None:
        """A weekly step with factor 0.5 leaves a quarter after 15 days."""
        model = ScoringModel(
            engagement=(
                EngagementRule(name="calls", kind=K.CALL, points=8, decay=CalendarStep(weeks=1)),
            )
        )
        assert score(make_lead(interactions=(touch(K.CALL, 15),)), model, now=NOW).total == 2

    def test_cap_per_rule(self) -> None:
        """Ten site visits at 2 points are capped at 10 and the contribution says so."""
        model = ScoringModel(
            engagement=(EngagementRule(name="visits", kind=K.SITE_VISIT, points=2, cap=10),)
        )
        lead = make_lead(interactions=tuple(touch(K.SITE_VISIT, 1) for _ in range(10)))
        card = score(lead, model, now=NOW)
        assert card.total == 10
        assert card.contributions[0].matched == "10 x site_visit, capped at 10"

    def test_recency_window_drops_old_touches(self) -> None:
        """A touch older than the window earns nothing; one inside it counts."""
        model = ScoringModel(
            engagement=(EngagementRule(name="visits", kind=K.SITE_VISIT, points=2, within_days=90),)
        )
        lead = make_lead(interactions=(touch(K.SITE_VISIT, 91), touch(K.SITE_VISIT, 89)))
        assert score(lead, model, now=NOW).total == 2

    def test_future_touches_are_not_counted_yet(self) -> None:
        """A touch after `now` does not count, so replaying at past instants is honest."""
        model = ScoringModel(
            engagement=(EngagementRule(name="visits", kind=K.SITE_VISIT, points=2),)
        )
        assert score(make_lead(interactions=(touch(K.SITE_VISIT, -1),)), model, now=NOW).total == 0

    def test_negative_half_life_is_refused(self) -> None:
        """A half-life of minus three days is refused at its field."""
        with pytest.raises(ValidationError) as info:
            HalfLife(days=-3)
        assert info.value.paths == ("days",)


class TestNegativeRulesAndFloor:
    def model(self, floor: float | None = 0.0) -> ScoringModel:
        return ScoringModel(
            fit=(FitRule(name="budget", field="needs.budget", match=Present(), points=10),),
            negative=(
                NegativeRule(
                    name="free mail",
                    field="contact.email",
                    match=DomainIn(domains=frozenset({"gmail.com"})),
                    penalty=15,
                ),
                NegativeRule(
                    name="competitor",
                    field="company.domain",
                    match=DomainIn(domains=frozenset({"rival.example"})),
                    penalty=50,
                ),
                NegativeRule(
                    name="student",
                    field="contact.job_title",
                    match=Contains(text="student"),
                    penalty=25,
                ),
            ),
            floor=floor,
        )

    def test_free_mail_penalty(self) -> None:
        """A gmail address costs 15 points and is listed as a negative contribution."""
        lead = make_lead(needs=Needs(budget=1e5), contact=Contact(email="kim@GMail.com"))
        card = score(lead, self.model(floor=None), now=NOW)
        assert card.total == -5
        assert card.contributions[-1].kind is RuleKind.NEGATIVE
        assert card.contributions[-1].points == -15

    def test_competitor_subdomain_counts(self) -> None:
        """A competitor's subdomain is still the competitor."""
        lead = make_lead(company=Company(domain="eu.rival.example"))
        assert score(lead, self.model(floor=None), now=NOW).total == -50

    def test_student_penalty(self) -> None:
        """A working student loses 25 points."""
        lead = make_lead(contact=Contact(job_title="Working Student"))
        assert score(lead, self.model(floor=None), now=NOW).total == -25

    def test_floor_stops_the_total_falling_below_it(self) -> None:
        """With a floor of 0, a competitor's total is 0 while its fit shows the penalty."""
        lead = make_lead(company=Company(domain="rival.example"))
        card = score(lead, self.model(), now=NOW)
        assert (card.total, card.fit) == (0, -50)


class TestGroupsAndCaps:
    def model(self) -> ScoringModel:
        return ScoringModel(
            groups=(PointGroup(name="erp", cap=12),),
            engagement=(
                EngagementRule(name="erp downloads", kind=K.DOWNLOAD, points=5, group="erp"),
                EngagementRule(name="visits", kind=K.SITE_VISIT, points=2),
            ),
            cap=20,
        )

    def test_group_cap_limits_the_group(self) -> None:
        """Three 5-point downloads in a group capped at 12 count 12, visits count apart."""
        lead = make_lead(
            interactions=(*(touch(K.DOWNLOAD, 1) for _ in range(3)), touch(K.SITE_VISIT, 1))
        )
        card = score(lead, self.model(), now=NOW)
        assert (card.group("erp"), card.group("general"), card.total) == (12, 2, 14)
        erp = next(g for g in card.groups if g.name == "erp")
        assert (erp.raw, erp.cap) == (15, 12)

    def test_overall_cap(self) -> None:
        """The total never exceeds the model's cap."""
        lead = make_lead(interactions=tuple(touch(K.SITE_VISIT, 1) for _ in range(30)))
        assert score(lead, self.model(), now=NOW).total == 20

    def test_undeclared_group_is_refused(self) -> None:
        """A rule in a group the model does not declare is refused at its group."""
        with pytest.raises(ConfigurationError) as info:
            ScoringModel(engagement=(EngagementRule(name="x", kind=K.CALL, points=1, group="crm"),))
        assert info.value.paths == ("engagement[0].group",)

    def test_duplicate_rule_names_are_refused(self) -> None:
        """Two rules with one name would make contributions ambiguous."""
        rule = FitRule(name="same", field="needs.budget", match=Present(), points=1)
        with pytest.raises(ConfigurationError) as info:
            ScoringModel(fit=(rule, rule))
        assert info.value.paths == ("fit[1].name",)


class TestGrades:
    def test_default_bands(self) -> None:
        """Fit 45 is A, 30 is B, 15 is C and anything lower is D."""
        model = ScoringModel()
        assert [model.grade_for(f) for f in (45, 44.9, 30, 15, 14)] == ["A", "B", "B", "C", "D"]

    def test_configurable_bands(self) -> None:
        """Custom bands grade by their own thresholds."""
        model = ScoringModel(grade_bands=(GradeBand(grade="hot", min_fit=10),), lowest_grade="cold")
        assert (model.grade_for(10), model.grade_for(9), model.grades) == (
            "hot",
            "cold",
            ("hot", "cold"),
        )

    def test_bands_out_of_order_are_refused(self) -> None:
        """Bands must run best first."""
        with pytest.raises(ConfigurationError) as info:
            ScoringModel(
                grade_bands=(GradeBand(grade="A", min_fit=10), GradeBand(grade="B", min_fit=20))
            )
        assert info.value.paths == ("grade_bands[1].min_fit",)

    def test_card_carries_grade_of_fit(self) -> None:
        """The card's grade follows the fit score, not engagement."""
        lead = make_lead(
            company=Company(employees=300),
            needs=Needs(budget=1.0, purchase_decision=date(2026, 9, 1)),
        )
        card = score(lead, DEFAULT_SCORING_MODEL, now=NOW)
        assert (card.fit, card.grade) == (35, "B")


class TestBatchesAndFastPath:
    def leads(self) -> list[Lead]:
        return [
            make_lead(contact=Contact(job_title="Head of IT", email="a@gmail.com")),
            make_lead(
                company=Company(employees=900),
                interactions=(touch(K.FORM_SUBMIT, 3), touch(K.SITE_VISIT, 40)),
            ),
            make_lead(),
        ]

    def test_score_many_equals_mapping_score(self) -> None:
        """A batch gives the same cards as scoring each lead alone."""
        leads = self.leads()
        assert score_many(leads, DEFAULT_SCORING_MODEL, now=NOW) == tuple(
            score(lead, DEFAULT_SCORING_MODEL, now=NOW) for lead in leads
        )

    def test_totals_equal_card_totals(self) -> None:
        """The fast path returns each card's total."""
        leads = self.leads()
        assert score_totals(leads, DEFAULT_SCORING_MODEL, now=NOW) == tuple(
            c.total for c in score_many(leads, DEFAULT_SCORING_MODEL, now=NOW)
        )

    def test_compiled_model_total(self) -> None:
        """A compiled model scores one lead like score()."""
        lead = self.leads()[1]
        compiled = compile_model(DEFAULT_SCORING_MODEL)
        assert compiled.total(lead, now=NOW) == score(lead, DEFAULT_SCORING_MODEL, now=NOW).total

    def test_naive_now_is_refused(self) -> None:
        """Scoring at a naive instant is refused."""
        with pytest.raises(ValidationError):
            score(make_lead(), DEFAULT_SCORING_MODEL, now=datetime(2026, 3, 4))

    def test_explain_lists_contributions(self) -> None:
        """The explanation names each rule with its points."""
        text = score(self.leads()[0], DEFAULT_SCORING_MODEL, now=NOW).explain()
        assert "+10 title: head of [general]: Head of IT" in text
        assert "-10 free-mail address" in text


class TestCompiledModel:
    def test_source_writes_each_rule_out_inline(self) -> None:
        """The generated source is readable and names each rule's test and points."""
        source = compile_model(DEFAULT_SCORING_MODEL).source
        assert "def total(lead, now):" in source
        assert "def card(lead, now):" in source
        assert "'head of' in " in source
        assert "g0 += -50.0" in source

    def test_compilation_is_remembered_per_model_value(self) -> None:
        """Two equal models built apart share one compiled model, so score() does not recompile."""
        first = ScoringModel(
            fit=(FitRule(name="budget", field="needs.budget", match=Present(), points=10),)
        )
        again = ScoringModel(
            fit=(FitRule(name="budget", field="needs.budget", match=Present(), points=10),)
        )
        assert first is not again
        assert compile_model(first) is compile_model(again)

    def test_traceback_shows_the_generated_line(self) -> None:
        """A traceback through generated code shows the generated line of that very model."""
        needs = ScoringModel(
            fit=(FitRule(name="budget", field="needs.budget", match=Present(), points=10),)
        )
        company = ScoringModel(
            fit=(FitRule(name="size", field="company.employees", match=Present(), points=10),)
        )
        both = (
            (compile_model(needs), "o1 = lead.needs"),
            (compile_model(company), "o1 = lead.company"),
        )
        not_a_lead: Any = object()
        for compiled, line in both:
            with pytest.raises(AttributeError) as raised:
                compiled.total(not_a_lead, now=NOW)
            assert line in "".join(traceback.format_exception(raised.value))

    def test_card_equals_the_reference_scorer(self) -> None:
        """A card from generated code equals the interpretive reference's, contributions too."""
        lead = make_lead(
            contact=Contact(job_title="Head of IT", email="kim@gmail.com"),
            company=Company(employees=900),
            interactions=(touch(K.FORM_SUBMIT, 3), touch(K.EXHIBITION, 40)),
        )
        card = score(lead, DEFAULT_SCORING_MODEL, now=NOW)
        assert card == _reference_score(lead, DEFAULT_SCORING_MODEL, now=NOW)
        assert [c.rule for c in card.contributions] == [
            "title: head of",
            "company size 200-5000",
            "free-mail address",
            "form submits",
            "exhibition visits",
        ]

    def test_compact_card_reads_like_a_plain_value(self) -> None:
        """A scored card's contributions and groups are Contribution and GroupScore values."""
        lead = make_lead(contact=Contact(job_title="Chief Buyer"))
        card = score(lead, DEFAULT_SCORING_MODEL, now=NOW)
        assert card.contributions == (
            Contribution(
                rule="title: chief",
                kind=RuleKind.FIT,
                group="general",
                points=15.0,
                matched="Chief Buyer",
            ),
        )
        assert (card.groups[0].name, card.groups[0].points) == ("general", 15.0)
        rebuilt = ScoreCard(**{a.name: getattr(card, a.name) for a in attrs.fields(ScoreCard)})
        assert rebuilt == card
        assert hash(rebuilt) == hash(card)
        assert attrs.evolve(card, total=1.0).contributions == card.contributions
        assert "Contribution(rule='title: chief'" in repr(
            score(lead, DEFAULT_SCORING_MODEL, now=NOW)
        )


class TestModelFiles:
    def test_default_model_round_trips_through_json(self) -> None:
        """The default model survives JSON unchanged."""
        text = to_json(DEFAULT_SCORING_MODEL)
        assert from_json(text, ScoringModel) == DEFAULT_SCORING_MODEL

    def test_model_loads_from_toml(self) -> None:
        """A TOML model file builds the same rules a Python model does."""
        text = """
name = "fair"
cap = 50
[[fit]]
name = "size"
field = "company.employees"
points = 15
match = { type = "in_range", at_least = 200, at_most = 5000 }
[[engagement]]
name = "visits"
kind = "site_visit"
points = 2
cap = 10
decay = { type = "calendar_step", months = 1 }
"""
        model: ScoringModel = from_toml(text, ScoringModel)
        assert model.fit[0].match == InRange(at_least=200, at_most=5000)
        assert model.engagement[0].decay == CalendarStep(months=1)

    def bad_json(self, change: str) -> str:
        data = json.loads(to_json(DEFAULT_SCORING_MODEL))
        if change == "field":
            data["fit"][3]["field"] = "company.headcount"
        elif change == "half_life":
            data["engagement"][2]["decay"]["days"] = -7
        else:
            data["grade_bands"][0]["min_fit"] = "forty"
        return json.dumps(data)

    @pytest.mark.parametrize(
        ("change", "path"),
        [
            ("field", "fit[3].field"),
            ("half_life", "engagement[2].decay.days"),
            ("threshold", "grade_bands[0].min_fit"),
        ],
    )
    def test_bad_json_is_refused_with_the_path(self, change: str, path: str) -> None:
        """An unknown field, a negative half-life or a text threshold is refused at its path."""
        with pytest.raises(ValidationError) as info:
            from_json(self.bad_json(change), ScoringModel)
        assert info.value.paths == (path,)

    @pytest.mark.parametrize(
        ("rule", "path"),
        [
            (
                'field = "company.headcount"\npoints = 5\nmatch = { type = "present" }',
                "fit[0].field",
            ),
            (
                'field = "company.employees"\npoints = "five"\nmatch = { type = "present" }',
                "fit[0].points",
            ),
        ],
    )
    def test_bad_toml_fit_rule_is_refused_with_the_path(self, rule: str, path: str) -> None:
        """A TOML rule with an unknown field or a text points value names its path."""
        with pytest.raises(ValidationError) as info:
            from_toml(f'[[fit]]\nname = "r"\n{rule}\n', ScoringModel)
        assert info.value.paths == (path,)

    def test_bad_toml_half_life_is_refused_with_the_path(self) -> None:
        """A negative half-life in TOML is refused at engagement[0].decay.days."""
        text = """
[[engagement]]
name = "visits"
kind = "site_visit"
points = 2
decay = { type = "half_life", days = -1 }
"""
        with pytest.raises(ValidationError) as info:
            from_toml(text, ScoringModel)
        assert info.value.paths == ("engagement[0].decay.days",)
