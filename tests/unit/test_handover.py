"""Level one (marketing to sales) and level two (sales qualification), decided and folded.

Given a lead built by `tests.levels`, when a command is decided, then the events say what
happened and the folded lead shows where it stands; a refused command raises a specific
error and leaves nothing to fold.
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

from leadpipeline import (
    Accept,
    Capture,
    HandOver,
    Nurture,
    Party,
    QualificationError,
    Qualify,
    QualifySql,
    Reject,
    TransitionError,
    ValidationError,
    replay,
)
from leadpipeline.events import (
    Accepted,
    HandedOver,
    OwnerChanged,
    Qualified,
    Rejected,
    StageChanged,
)
from leadpipeline.rules import TimingStatus
from leadpipeline.rules.returns import DEFAULT_REJECTION_REASONS
from leadpipeline.stages import handover_package
from tests.levels import (
    LEAD_ID,
    PLAYBOOK,
    START,
    handed_over,
    kinds,
    qualified_lead,
    refusal,
    sal,
    walk,
)

INSIDE_SALES = Party.sales(team="inside-sales")


class TestQualify:
    """Marketing qualifies an inquiry as MQL against the MQL definition."""

    def test_a_qualified_inquiry_becomes_an_mql_with_its_evidence(self) -> None:
        """Qualify records definition, score, grade and every criterion met, then moves to MQL."""
        captured, _ = walk(None, [Capture(lead=qualified_lead())])

        lead, events = walk(captured, [Qualify()])

        assert kinds(events) == ["Qualified", "StageChanged"]
        qualified = events[0]
        assert isinstance(qualified, Qualified)
        assert (qualified.definition, qualified.grade) == ("mql", "A")
        assert qualified.score is not None
        assert qualified.score >= 50
        assert qualified.criteria
        assert all(c.met for c in qualified.criteria)
        evidence = {c.criterion: c.observed for c in qualified.criteria}
        assert evidence["needs.purchase_decision known"] == "2026-10-01"
        assert evidence["needs.current_product known"] == "legacy suite"
        assert (lead.stage, lead.owner) == ("mql", Party.marketing())

    def test_an_inquiry_missing_a_criterion_is_refused_with_the_assessment(self) -> None:
        """Without an expected volume the MQL definition is not met and the error lists the miss."""
        vague = qualified_lead(needs=attrs.evolve(qualified_lead().needs, expected_volume=None))
        captured, _ = walk(None, [Capture(lead=vague)])

        err = refusal(captured, Qualify(), QualificationError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "inquiry", "qualify")
        assert [r.criterion for r in err.assessment.missed] == ["needs.expected_volume known"]
        assert "needs.expected_volume known" in err.reason


class TestHandOver:
    """Marketing passes an MQL to sales once it qualifies and the window is open."""

    def test_a_handover_records_the_quality_and_gives_the_lead_to_sales(self) -> None:
        """HandOver records grade and expected quality, then changes the owner to sales."""
        mql, _ = walk(None, [Capture(lead=qualified_lead()), Qualify()])

        lead, events = walk(mql, [HandOver(to=INSIDE_SALES)])

        assert kinds(events) == ["HandedOver", "OwnerChanged"]
        handed, owner = events
        assert isinstance(handed, HandedOver)
        assert isinstance(owner, OwnerChanged)
        assert handed.to_owner == INSIDE_SALES
        assert handed.grade == "A"
        assert handed.expected_quality == f"grade A, score {handed.score:g}"
        assert (owner.from_owner, owner.to_owner) == (Party.marketing(), INSIDE_SALES)
        assert (lead.stage, lead.owner) == ("mql", INSIDE_SALES)

    def test_a_lead_too_early_for_sales_is_refused_with_the_window_date(self) -> None:
        """A decision in June 2027 opens the six-month window on 1 October 2026: too early now."""
        early = qualified_lead(
            needs=attrs.evolve(qualified_lead().needs, purchase_decision=date(2027, 6, 1))
        )
        mql, _ = walk(None, [Capture(lead=early), Qualify()])

        err = refusal(mql, HandOver(to=INSIDE_SALES), TransitionError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "mql", "hand_over")
        assert err.allowed == ("nurture",)
        assert err.reason.startswith("too early")
        assert "2026-10-01" in err.reason

    def test_a_playbook_without_the_window_rule_hands_over_an_early_lead(self) -> None:
        """With enforce_handover_window off, the same early lead goes to sales."""
        early = qualified_lead(
            needs=attrs.evolve(qualified_lead().needs, purchase_decision=date(2027, 6, 1))
        )
        relaxed = attrs.evolve(PLAYBOOK, enforce_handover_window=False)
        mql, _ = walk(None, [Capture(lead=early), Qualify()], relaxed)

        lead, events = walk(mql, [HandOver(to=INSIDE_SALES)], relaxed)

        assert kinds(events) == ["HandedOver", "OwnerChanged"]
        assert lead.owner == INSIDE_SALES

    def test_marketing_hands_over_only_to_sales(self) -> None:
        """Handing an MQL straight to a partner is refused at the `to` field."""
        mql, _ = walk(None, [Capture(lead=qualified_lead()), Qualify()])

        err = refusal(mql, HandOver(to=Party.partner("p-gold")), ValidationError)

        assert err.paths == ("to",)

    def test_sales_cannot_hand_over_for_marketing(self) -> None:
        """The handover is marketing's step; sales acting on it is refused."""
        mql, _ = walk(None, [Capture(lead=qualified_lead()), Qualify()])

        err = refusal(mql, HandOver(to=INSIDE_SALES, actor=Party.sales()), TransitionError)

        assert (err.command, err.allowed) == ("hand_over", ("marketing",))

    def test_a_lead_already_with_sales_cannot_be_handed_over_again(self) -> None:
        """A second handover is refused: the MQL is held by sales, not marketing."""
        lead, _ = handed_over()

        err = refusal(lead, HandOver(to=INSIDE_SALES), TransitionError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "mql", "hand_over")
        assert "held by marketing" in err.reason


class TestHandoverPackage:
    """What sales receives with a handed-over lead."""

    def test_the_package_carries_score_card_assessment_history_and_quality(self) -> None:
        """The package holds the score card, the MQL assessment, the history and the quality."""
        lead, history = handed_over()

        package = handover_package(lead, history, PLAYBOOK, now=START)

        assert package.lead == lead
        assert package.history == history
        assert package.assessment.definition == "mql"
        assert package.assessment.qualified
        assert package.score_card == package.assessment.score_card
        assert package.score_card.grade == "A"
        assert package.expected_quality == (
            f"grade {package.score_card.grade}, score {package.score_card.total:g}"
        )
        assert package.timing.status is TimingStatus.IN_WINDOW

    def test_the_package_history_replays_to_the_lead(self) -> None:
        """The history in the package is the whole story: replaying it gives the lead."""
        lead, history = handed_over()

        package = handover_package(lead, history, PLAYBOOK, now=START)

        assert replay(package.history) == package.lead


class TestAccept:
    """Sales accepts a handed-over MQL."""

    def test_accepting_makes_the_lead_a_sal_still_with_the_same_team(self) -> None:
        """Accept records Accepted and moves MQL to SAL; inside sales keeps it."""
        lead, _ = handed_over()

        accepted, events = walk(lead, [Accept()])

        assert kinds(events) == ["Accepted", "StageChanged"]
        assert isinstance(events[0], Accepted)
        move = events[1]
        assert isinstance(move, StageChanged)
        assert (move.from_stage, move.to_stage) == ("mql", "sal")
        assert (accepted.stage, accepted.owner) == ("sal", INSIDE_SALES)

    def test_an_mql_still_with_marketing_cannot_be_accepted(self) -> None:
        """Accept before any handover is refused: sales does not hold the lead."""
        mql, _ = walk(None, [Capture(lead=qualified_lead()), Qualify()])

        err = refusal(mql, Accept(), TransitionError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "mql", "accept")
        assert err.allowed == PLAYBOOK.lifecycle.allowed_from("mql")
        assert "held by marketing" in err.reason

    def test_only_sales_may_accept_what_sales_holds(self) -> None:
        """Marketing cannot accept on sales' behalf: refused, naming who may."""
        lead, _ = handed_over()

        err = refusal(lead, Accept(actor=Party.marketing()), TransitionError)

        assert (err.stage, err.command, err.allowed) == ("mql", "accept", ("sales",))
        assert "only sales may accept" in err.reason


class TestReject:
    """Sales rejects a handed-over MQL with a reason from the catalogue."""

    def test_a_rejection_sends_the_lead_to_nurture_with_marketing(self) -> None:
        """Reject records the reason and comment; the lead goes to nurture, owned by marketing."""
        lead, _ = handed_over()

        rejected, events = walk(
            lead, [Reject(reason="wrong_timing", comment="budget round only in Q4")]
        )

        assert kinds(events) == ["Rejected", "StageChanged", "OwnerChanged"]
        record, move, owner = events
        assert isinstance(record, Rejected)
        assert (record.reason, record.comment) == ("wrong_timing", "budget round only in Q4")
        assert isinstance(move, StageChanged)
        assert move.to_stage == "nurture"
        assert "wrong_timing" in move.reason
        assert isinstance(owner, OwnerChanged)
        assert owner.to_owner == Party.marketing()
        assert (rejected.stage, rejected.owner) == ("nurture", Party.marketing())

    @pytest.mark.parametrize("reason", ["too_cold", "", "Wrong_Timing"])
    def test_a_rejection_without_a_known_reason_is_refused_naming_the_codes(
        self, reason: str
    ) -> None:
        """A reason outside the catalogue is refused at `reason`, listing every known code."""
        lead, _ = handed_over()

        err = refusal(lead, Reject(reason=reason), ValidationError)

        assert err.paths == ("reason",)
        message = err.problems[0][1]
        for known in DEFAULT_REJECTION_REASONS:
            assert known.code in message

    def test_a_partner_cannot_reject_a_handover(self) -> None:
        """A partner acting on a lead sales holds is refused; the rejection needs sales."""
        lead, _ = handed_over()
        reason = DEFAULT_REJECTION_REASONS[0].code

        err = refusal(lead, Reject(reason=reason, actor=Party.partner("p-1")), TransitionError)

        assert (err.command, err.allowed) == ("reject", ("sales",))

    def test_a_refused_rejection_leaves_the_lead_as_its_history_says(self) -> None:
        """After the refusal the lead is still the handed-over MQL and can still be accepted."""
        lead, history = handed_over()
        refusal(lead, Reject(reason="too_cold"), ValidationError)

        assert replay(history) == lead
        accepted, _ = walk(lead, [Accept()])
        assert accepted.stage == "sal"


class TestNurtureAcceptedLead:
    """Sales sends an accepted lead back to marketing."""

    def test_sales_nurtures_a_sal_with_a_reason(self) -> None:
        """A catalogue reason is recorded as a rejection; marketing owns the SAL again."""
        lead, _ = sal()

        nurtured, events = walk(
            lead,
            [Nurture(reason="wrong_timing", comment="project postponed to next year")],
            now=START + timedelta(days=1),
        )

        assert kinds(events) == ["Rejected", "Nurtured", "StageChanged", "OwnerChanged"]
        record = events[0]
        assert isinstance(record, Rejected)
        assert (record.reason, record.comment) == ("wrong_timing", "project postponed to next year")
        assert (nurtured.stage, nurtured.owner) == ("nurture", Party.marketing())

    def test_nurture_needs_a_reason(self) -> None:
        """A blank nurture reason is refused when the command is built."""
        with pytest.raises(ValidationError) as info:
            Nurture(reason="  ")

        assert info.value.paths == ("reason",)


class TestQualifySql:
    """Inside sales qualifies a SAL as SQL against the SQL definition."""

    def test_a_sal_meeting_the_sql_definition_becomes_an_sql_with_evidence(self) -> None:
        """QualifySql records the SQL evidence and moves SAL to SQL; sales keeps the lead."""
        lead, _ = sal()

        qualified, events = walk(lead, [QualifySql()], now=START + timedelta(days=1))

        assert kinds(events) == ["Qualified", "StageChanged"]
        record = events[0]
        assert isinstance(record, Qualified)
        assert record.definition == "sql"
        assert record.criteria
        assert all(c.met for c in record.criteria)
        assert "needs.budget known" in {c.criterion for c in record.criteria}
        assert (qualified.stage, qualified.owner) == ("sql", INSIDE_SALES)

    def test_a_sal_without_budget_is_refused_listing_the_missed_criteria(self) -> None:
        """Without a budget the SQL definition fails and the assessment names the miss."""
        no_budget = qualified_lead(needs=attrs.evolve(qualified_lead().needs, budget=None))
        lead, _ = sal(no_budget)

        err = refusal(lead, QualifySql(), QualificationError, now=START + timedelta(days=1))

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "sal", "qualify_sql")
        assert err.assessment.definition == "sql"
        assert not err.assessment.qualified
        assert [r.criterion for r in err.assessment.missed] == ["needs.budget known"]
        assert "needs.budget known" in err.reason

    def test_a_stale_sal_misses_the_recent_touch(self) -> None:
        """A month without touches fails the 14-day touch criterion, named in the assessment."""
        lead, _ = sal()

        err = refusal(lead, QualifySql(), QualificationError, now=START + timedelta(days=30))

        missed = [r.criterion for r in err.assessment.missed]
        assert "touched within 14 days" in missed

    def test_only_sales_may_qualify_an_sql(self) -> None:
        """Marketing cannot qualify a SAL as SQL on sales' behalf."""
        lead, _ = sal()

        err = refusal(lead, QualifySql(actor=Party.marketing()), TransitionError)

        assert (err.stage, err.command, err.allowed) == ("sal", "qualify_sql", ("sales",))

    def test_an_mql_cannot_skip_acceptance(self) -> None:
        """QualifySql on a handed-over MQL is refused: only a SAL can become an SQL."""
        lead, _ = handed_over()

        err = refusal(lead, QualifySql(), TransitionError)

        assert (err.lead_id, err.stage, err.command) == (LEAD_ID, "mql", "qualify_sql")
        assert "'sal'" in err.reason
