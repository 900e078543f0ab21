"""Unit tests for qualification criteria, hysteresis and the default definitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.events import CriterionResult
from leadpipeline.lead import (
    Company,
    Contact,
    Interaction,
    InteractionKind,
    Lead,
    Needs,
    Source,
)
from leadpipeline.rules.pyramid import PyramidLevel
from leadpipeline.rules.qualification import (
    DEFAULT_MQL,
    DEFAULT_SAL,
    DEFAULT_SQL,
    AllOf,
    AnyOf,
    Criterion,
    Definition,
    FieldInRange,
    FieldPresent,
    GradeAtLeast,
    Not,
    ProfileLevelAtLeast,
    PurchaseDecisionWithin,
    ScoreAtLeast,
    TouchedWithin,
    assess,
)
from leadpipeline.rules.scoring import (
    DEFAULT_SCORING_MODEL,
    EngagementRule,
    HalfLife,
    ScoringModel,
)
from leadpipeline.serialization import from_json, from_toml, to_json

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
K = InteractionKind
FORMS = ScoringModel(
    engagement=(
        EngagementRule(name="forms", kind=K.FORM_SUBMIT, points=60, decay=HalfLife(days=30)),
    )
)


def lead(**parts: Any) -> Lead:
    return Lead(
        id="L-1", source=Source(channel="exhibition", captured_at=NOW - timedelta(days=90)), **parts
    )


def touched(days_ago: float, kind: InteractionKind = K.FORM_SUBMIT) -> tuple[Interaction, ...]:
    return (Interaction(kind=kind, at=NOW - timedelta(days=days_ago)),)


def check(
    criterion: Criterion, subject: Lead, model: ScoringModel = FORMS, *, currently_in: bool = False
) -> tuple[bool, tuple[CriterionResult, ...]]:
    result = assess(
        subject,
        Definition(name="t", criterion=criterion),
        model,
        currently_in=currently_in,
        now=NOW,
    )
    return result.qualified, result.results


class TestHysteresis:
    threshold = ScoreAtLeast(threshold=50, exit_below=40)

    def test_enters_at_the_threshold(self) -> None:
        """A fresh form submit worth 60 enters; at 45 (decayed) a new lead does not."""
        assert check(self.threshold, lead(interactions=touched(0)))[0]
        decayed = lead(interactions=touched(12.4))  # about 45 points left
        assert not check(self.threshold, decayed)[0]

    def test_stays_in_between_exit_and_entry(self) -> None:
        """A lead already in the stage stays while it decays from 50 down to 40."""
        decayed = lead(interactions=touched(12.4))
        met, results = check(self.threshold, decayed, currently_in=True)
        assert met
        assert "in stage, exit below 40" in results[0].observed

    def test_drops_out_below_the_exit(self) -> None:
        """Below 40, even a lead in the stage drops out."""
        assert not check(self.threshold, lead(interactions=touched(30)), currently_in=True)[0]

    def test_exit_above_threshold_is_refused(self) -> None:
        """An exit value above the entry threshold would invert the hysteresis."""
        with pytest.raises(ConfigurationError):
            ScoreAtLeast(threshold=40, exit_below=50)

    def test_text_threshold_is_refused(self) -> None:
        """A threshold given as text is refused at its field."""
        with pytest.raises(ValidationError) as info:
            ScoreAtLeast(threshold="fifty")  # type: ignore[arg-type]
        assert info.value.paths == ("threshold",)


class TestLeafCriteria:
    def test_grade_at_least(self) -> None:
        """Grade B meets 'C or better' and misses 'A or better'."""
        subject = lead(
            company=Company(employees=300),
            needs=Needs(budget=1.0, purchase_decision=date(2026, 9, 1)),
        )
        model = DEFAULT_SCORING_MODEL
        assert check(GradeAtLeast(grade="C"), subject, model)[0]
        met, results = check(GradeAtLeast(grade="A"), subject, model)
        assert (met, results[0].observed) == (False, "grade B")

    def test_field_present_and_in_range(self) -> None:
        """Known volume meets presence; 300 employees is within 200..5000."""
        subject = lead(needs=Needs(expected_volume=120.0), company=Company(employees=300))
        assert check(FieldPresent(field="needs.expected_volume"), subject)[0]
        met, results = check(
            FieldInRange(field="company.employees", at_least=200, at_most=5000), subject
        )
        assert (met, results[0].observed) == (True, "300")
        assert not check(FieldPresent(field="needs.budget"), subject)[0]

    def test_field_paths_are_checked(self) -> None:
        """A criterion on an unknown field is refused when built."""
        with pytest.raises(ValidationError) as info:
            FieldPresent(field="needs.wishlist")
        assert info.value.paths == ("field",)

    def test_purchase_decision_within(self) -> None:
        """A decision in five months is within six, one in eight months is not, a past one never."""
        within = PurchaseDecisionWithin(months=6)
        assert check(within, lead(needs=Needs(purchase_decision=date(2026, 8, 1))))[0]
        assert not check(within, lead(needs=Needs(purchase_decision=date(2026, 11, 1))))[0]
        met, results = check(within, lead(needs=Needs(purchase_decision=date(2026, 1, 1))))
        assert (met, results[0].observed) == (False, "decision date 2026-01-01 has passed")

    def test_profile_level_at_least(self) -> None:
        """A reachable contact meets the contact level and misses firmographics, naming gaps."""
        subject = lead(contact=Contact(last_name="Lind", email="l@acme.example"))
        assert check(ProfileLevelAtLeast(level=PyramidLevel.CONTACT), subject)[0]
        met, results = check(ProfileLevelAtLeast(level=PyramidLevel.FIRMOGRAPHICS), subject)
        assert not met
        assert "company.name" in results[0].observed

    def test_touched_within(self) -> None:
        """A touch ten days ago meets 'within 14 days' but not 'within 7'; kinds filter."""
        subject = lead(interactions=touched(10, K.SITE_VISIT))
        assert check(TouchedWithin(days=14), subject)[0]
        assert not check(TouchedWithin(days=7), subject)[0]
        assert not check(TouchedWithin(days=14, kinds=frozenset({K.CALL})), subject)[0]


class TestComposites:
    budget = FieldPresent(field="needs.budget")
    volume = FieldPresent(field="needs.expected_volume")

    def test_all_of_lists_met_and_missed(self) -> None:
        """All of: one missing part fails it, and the assessment lists both leaves."""
        result = assess(
            lead(needs=Needs(budget=5.0)),
            Definition(name="d", criterion=AllOf(criteria=(self.budget, self.volume))),
            FORMS,
            now=NOW,
        )
        assert not result.qualified
        assert [r.criterion for r in result.met] == ["needs.budget known"]
        assert [r.criterion for r in result.missed] == ["needs.expected_volume known"]

    def test_any_of(self) -> None:
        """Any of: one met part is enough."""
        assert check(AnyOf(criteria=(self.budget, self.volume)), lead(needs=Needs(budget=5.0)))[0]

    def test_not_inverts_and_keeps_the_observation(self) -> None:
        """Not: a competitor-free lead meets 'not company.domain known' with what was seen."""
        met, results = check(Not(criterion=FieldPresent(field="company.domain")), lead())
        assert met
        assert results == (
            CriterionResult(criterion="not company.domain known", met=True, observed="missing"),
        )

    def test_not_of_a_composite_is_one_result(self) -> None:
        """Not over an all-of gives one result naming the whole inner criterion."""
        inner = AllOf(criteria=(self.budget, self.volume))
        met, results = check(Not(criterion=inner), lead(needs=Needs(budget=1.0)))
        assert met
        assert len(results) == 1

    def test_empty_all_of_is_refused(self) -> None:
        """An all-of with nothing inside would always pass, so it is refused."""
        with pytest.raises(ValidationError):
            AllOf(criteria=())


class TestDefaultDefinitions:
    def mql_lead(self, days_ago: float = 1) -> Lead:
        return lead(
            contact=Contact(last_name="Lind", email="l@acme.example", job_title="Head of IT"),
            company=Company(name="Acme", industry="machinery", employees=800, country="DE"),
            needs=Needs(
                purchase_decision=date(2026, 10, 1),
                expected_volume=200.0,
                current_product="legacy suite",
                budget=5e4,
            ),
            interactions=touched(days_ago),
        )

    def test_mql_needs_score_timing_volume_and_product(self) -> None:
        """A lead with the score plus purchase timing, volume and current product is an MQL."""
        result = assess(self.mql_lead(), DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=NOW)
        assert result.qualified, result.missed
        assert result.score_card.total >= 50

    def test_mql_missed_lists_what_is_missing(self) -> None:
        """Without expected volume the MQL is missed and the gap is named."""
        subject = self.mql_lead()
        subject = Lead(
            id=subject.id,
            source=subject.source,
            contact=subject.contact,
            company=subject.company,
            needs=Needs(purchase_decision=date(2026, 10, 1), current_product="legacy suite"),
        )
        result = assess(subject, DEFAULT_MQL, DEFAULT_SCORING_MODEL, now=NOW)
        assert "needs.expected_volume known" in [r.criterion for r in result.missed]

    def test_sal_and_sql_build_on_the_profile(self) -> None:
        """The full lead is an SAL; it is no SQL without product holding level and a high score."""
        subject = self.mql_lead()
        assert assess(subject, DEFAULT_SAL, DEFAULT_SCORING_MODEL, now=NOW).qualified
        sql = assess(subject, DEFAULT_SQL, DEFAULT_SCORING_MODEL, now=NOW)
        assert [r.criterion for r in sql.missed] == ["score >= 70 (in stage: >= 60)"]

    @pytest.mark.parametrize("definition", [DEFAULT_MQL, DEFAULT_SAL, DEFAULT_SQL])
    def test_defaults_round_trip_through_json(self, definition: Definition) -> None:
        """Each default definition survives JSON unchanged."""
        assert from_json(to_json(definition), Definition) == definition


class TestDefinitionFiles:
    def test_text_threshold_in_json_is_refused_with_its_path(self) -> None:
        """A threshold given as text in a definition file names its path."""
        text = (
            '{"name": "mql", "criterion": {"type": "all_of", "criteria": ['
            '{"type": "field_present", "field": "needs.budget"},'
            '{"type": "score_at_least", "threshold": "high"}]}}'
        )
        with pytest.raises(ValidationError) as info:
            from_json(text, Definition)
        assert info.value.paths == ("criterion.criteria[1].threshold",)

    def test_unknown_field_in_toml_is_refused_with_its_path(self) -> None:
        """A criterion on an unknown field in TOML names its path."""
        text = 'name = "mql"\n[criterion]\ntype = "field_present"\nfield = "needs.wish"\n'
        with pytest.raises(ValidationError) as info:
            from_toml(text, Definition)
        assert info.value.paths == ("criterion.field",)
