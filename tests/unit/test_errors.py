"""Errors as data: each refusal's dict for a response body, and the HTTP status it suggests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadpipeline import (
    DEFAULT_PLAYBOOK,
    Company,
    Contact,
    Lead,
    Needs,
    Qualify,
    Source,
    decide,
    from_json,
)
from leadpipeline.adapters.notification import DeliveryError
from leadpipeline.errors import (
    ConfigurationError,
    ConflictError,
    LeadIdTakenError,
    LeadPipelineError,
    NotFoundError,
    OfferError,
    PartnerAccessError,
    QualificationError,
    StoreError,
    TransitionError,
    ValidationError,
)
from leadpipeline.lifecycle import STANDARD_LIFECYCLE

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def vague_inquiry() -> Lead:
    """An inquiry with contact and company but no purchase date or expected volume."""
    return Lead(
        id="L-7",
        source=Source(channel="web", captured_at=NOW),
        contact=Contact(last_name="Lind", email="ada@acme.example"),
        company=Company(name="Acme", industry="manufacturing", employees=800, country="DE"),
        needs=Needs(budget=90_000, purchase_decision=date(2026, 9, 1)),
    )


def qualification_error() -> QualificationError:
    with pytest.raises(QualificationError) as caught:
        decide(vague_inquiry(), Qualify(), DEFAULT_PLAYBOOK, now=NOW)
    return caught.value


class TestHttpStatus:
    @pytest.mark.parametrize(
        ("error", "status"),
        [
            (ValidationError.at("contact.email", "expected a string"), 422),
            (ConfigurationError.at("stages", "unreachable"), 422),
            (NotFoundError("L-1"), 404),
            (TransitionError(lead_id="L-1", stage="sal", command="accept"), 409),
            (OfferError(lead_id="L-1", stage="opportunity", command="partner_accept"), 409),
            (LeadIdTakenError(lead_id="L-1", stage="inquiry", differences=("contact",)), 409),
            (ConflictError(lead_id="L-1", expected=3, actual=4), 409),
            (PartnerAccessError(lead_id="L-1", stage="opportunity", command="return_lead"), 403),
            (StoreError("a newer schema"), 500),
            (DeliveryError("receiver answered 500"), 502),
            (LeadPipelineError("anything else"), 500),
        ],
    )
    def test_each_error_suggests_its_status(self, error: LeadPipelineError, status: int) -> None:
        """Bad input is 422, a missing lead 404, a refused move or race 409, a partner's 403."""
        assert error.http_status == status
        assert error.to_dict()["status"] == status

    def test_a_qualification_error_is_a_refused_move(self) -> None:
        """A lead that misses the MQL definition is refused as a conflict with its state."""
        assert qualification_error().http_status == 409


class TestToDict:
    def test_a_validation_error_names_every_path(self) -> None:
        """Malformed JSON for a lead gives the first bad path and every problem in details."""
        with pytest.raises(ValidationError) as caught:
            from_json('{"id": "L-1", "source": {"channel": 7}}', Lead)
        body = caught.value.to_dict()
        assert body["type"] == "validation_error"
        assert body["path"] == "source.channel"
        assert {p["path"] for p in body["details"]["problems"]} == {
            "source.channel",
            "source.captured_at",
        }
        assert body["message"] == str(caught.value)

    def test_a_refused_move_lists_the_allowed_moves(self) -> None:
        """An illegal stage move carries the stage, the command and the moves allowed instead."""
        with pytest.raises(TransitionError) as caught:
            STANDARD_LIFECYCLE.check_move(
                lead_id="L-1", src="sal", dst="customer", command="move_stage"
            )
        body = caught.value.to_dict()
        assert body["type"] == "transition_error"
        assert body["path"] is None
        assert body["details"] == {
            "lead_id": "L-1",
            "stage": "sal",
            "command": "move_stage: sal -> customer",
            "allowed": ["sal -> disqualified", "sal -> nurture", "sal -> sql"],
            "reason": "",
        }

    def test_a_qualification_error_lists_the_missed_criteria(self) -> None:
        """A failed MQL qualification says which criteria were met and which were missed."""
        body = qualification_error().to_dict()
        assert body["type"] == "qualification_error"
        details = body["details"]
        assert details["definition"] == "mql"
        assert {"criterion": "needs.expected_volume known", "observed": "missing"} in details[
            "missed"
        ]
        assert "needs.purchase_decision known" in details["met"]

    def test_a_taken_lead_id_lists_the_differences(self) -> None:
        """A capture under a taken id names the fields in which the leads differ."""
        error = LeadIdTakenError(lead_id="L-1", stage="mql", differences=("contact.email",))
        assert error.to_dict()["details"]["differences"] == ["contact.email"]
        assert error.to_dict()["details"]["command"] == "capture"

    def test_a_conflict_and_a_missing_lead_carry_their_ids(self) -> None:
        """A stale version names both versions; a missing lead names what was looked for."""
        assert ConflictError(lead_id="L-1", expected=3, actual=None).to_dict()["details"] == {
            "lead_id": "L-1",
            "expected": 3,
            "actual": None,
        }
        assert NotFoundError("e-9", what="outbox entry").to_dict()["details"] == {
            "lead_id": "e-9",
            "what": "outbox entry",
        }


class TestQualificationProblems:
    def test_problems_name_each_missed_criterion(self) -> None:
        """`problems` lists each missed criterion as (criterion, message), like a validation."""
        error = qualification_error()
        assert ("needs.expected_volume known", "not met (observed: missing)") in error.problems
        assert [criterion for criterion, _ in error.problems] == [r.criterion for r in error.missed]
        assert error.definition == "mql"
