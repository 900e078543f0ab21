"""Why a lead comes back, and where it goes next.

A partner that cannot or will not work a lead returns it with a reason code and a comment;
the code decides the routing: offer it to the next partner (never one that returned it,
and one that has what the reason says the last one lacked), give it back to sales, let
marketing nurture it, disqualify it, or pass it to customer marketing. Sales rejecting a
handover also picks a reason from a catalogue. Catalogues are data, checked when built: a
code appears once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Protocol

import attrs

from leadpipeline._checks import not_blank
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.rules.partners import PartnerNeed

__all__ = [
    "DEFAULT_REJECTION_REASONS",
    "DEFAULT_RETURN_POLICY",
    "RejectionReason",
    "ReturnPolicy",
    "ReturnReason",
    "Routing",
    "check_rejection_reasons",
    "find_rejection_reason",
    "route_return",
]


class Routing(enum.StrEnum):
    """Where a returned lead goes next."""

    NEXT_PARTNER = "next_partner"
    """Offer it to the next ranked partner, excluding every partner that returned it."""
    BACK_TO_SALES = "back_to_sales"
    """Sales holds it again and decides."""
    NURTURE = "nurture"
    """Back to marketing for regular communication."""
    DISQUALIFY = "disqualify"
    """Not a lead at all: out of the funnel."""
    CUSTOMER_MARKETING = "customer_marketing"
    """Already a customer: existing-customer marketing takes it."""


class _Coded(Protocol):
    @property
    def code(self) -> str: ...


def _check_codes(items: Sequence[_Coded], path: str, what: str) -> None:
    if not items:
        raise ConfigurationError.at(path, f"give at least one {what}")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.code in seen:
            raise ConfigurationError.at(
                f"{path}[{i}].code",
                f"duplicate {what} code {item.code!r} (also {path}[{seen[item.code]}])",
            )
        seen[item.code] = i


def _unknown(code: str, known: Iterable[str], what: str) -> ValidationError:
    return ValidationError.at("reason", f"unknown {what} {code!r}: give one of {', '.join(known)}")


@attrs.frozen(kw_only=True, field_transformer=typed)
class ReturnReason:
    """One reason a partner may give when returning a lead, and where that sends it.

    `next_partner_needs` says what the partner the lead goes to next must have (for a
    NEXT_PARTNER routing only): the reason decides to which partner, not only whether.

    Example:
        >>> r = ReturnReason(code="no_capacity", label="no capacity",
        ...                  routing=Routing.NEXT_PARTNER,
        ...                  next_partner_needs=frozenset({PartnerNeed.CAPACITY}))
        >>> r.requires_comment, sorted(r.next_partner_needs)
        (True, [<PartnerNeed.CAPACITY: 'capacity'>])
    """

    code: str = attrs.field(validator=not_blank)
    label: str = attrs.field(validator=not_blank)
    routing: Routing
    requires_comment: bool = True
    next_partner_needs: frozenset[PartnerNeed] = frozenset()

    def __attrs_post_init__(self) -> None:
        if self.next_partner_needs and self.routing is not Routing.NEXT_PARTNER:
            raise ConfigurationError.at(
                "next_partner_needs",
                f"only a next_partner routing picks a partner; {self.code!r} routes to "
                f"{self.routing.value}",
            )


@attrs.frozen(kw_only=True, field_transformer=typed)
class ReturnPolicy:
    """The return-reason catalogue and the fallback when no partner is left.

    Attributes:
        reasons: the codes a partner may return a lead with, each code once.
        when_no_partner_left: where a NEXT_PARTNER return goes when no other partner
            qualifies; never NEXT_PARTNER itself.
        reclaim_reason: the code recorded when sales takes a lead back from a partner
            that stopped responding (an SLA escalation); one of `reasons`.

    Example:
        >>> from leadpipeline.errors import ConfigurationError
        >>> twice = ReturnReason(code="timing", label="timing", routing=Routing.NURTURE)
        >>> try:
        ...     ReturnPolicy(reasons=(twice, twice))
        ... except ConfigurationError as err:
        ...     print(err.paths)
        ('reasons[1].code',)
    """

    reasons: tuple[ReturnReason, ...]
    when_no_partner_left: Routing = Routing.BACK_TO_SALES
    reclaim_reason: str = "not_responding"

    def __attrs_post_init__(self) -> None:
        _check_codes(self.reasons, "reasons", "return reason")
        if self.reclaim_reason not in self.codes:
            raise ConfigurationError.at(
                "reclaim_reason",
                f"{self.reclaim_reason!r} is not a return reason: give one of "
                + ", ".join(self.codes),
            )
        if self.when_no_partner_left is Routing.NEXT_PARTNER:
            raise ConfigurationError.at(
                "when_no_partner_left",
                "must route somewhere other than next_partner: no partner is left by then",
            )

    @property
    def codes(self) -> tuple[str, ...]:
        """The known reason codes, in catalogue order."""
        return tuple(r.code for r in self.reasons)

    def reason(self, code: str) -> ReturnReason:
        """The catalogue entry for a code.

        Raises:
            ValidationError: at ``reason`` for an unknown code, naming the known ones.
        """
        for r in self.reasons:
            if r.code == code:
                return r
        if not code.strip():
            known = ", ".join(self.codes)
            raise ValidationError.at("reason", f"a return needs a reason: give one of {known}")
        raise _unknown(code, self.codes, "return reason")


def route_return(reason_code: str, policy: ReturnPolicy) -> Routing:
    """Where a lead returned with this reason goes next, so every return is re-routed.

    Raises:
        ValidationError: at ``reason`` for a code the policy does not know, naming the
            known codes.

    Example:
        >>> route_return("project_does_not_fit", DEFAULT_RETURN_POLICY).value
        'next_partner'
        >>> route_return("no_lead", DEFAULT_RETURN_POLICY).value
        'disqualify'
    """
    return policy.reason(reason_code).routing


DEFAULT_RETURN_POLICY = ReturnPolicy(
    reasons=(
        ReturnReason(
            code="project_does_not_fit",
            label="project does not fit",
            routing=Routing.NEXT_PARTNER,
            next_partner_needs=frozenset({PartnerNeed.COMPETENCE}),
        ),
        ReturnReason(
            code="no_capacity",
            label="no capacity",
            routing=Routing.NEXT_PARTNER,
            next_partner_needs=frozenset({PartnerNeed.CAPACITY}),
        ),
        ReturnReason(
            code="outside_territory",
            label="outside our territory",
            routing=Routing.NEXT_PARTNER,
            next_partner_needs=frozenset({PartnerNeed.REGION}),
        ),
        ReturnReason(code="no_lead", label="no lead", routing=Routing.DISQUALIFY),
        ReturnReason(code="duplicate", label="duplicate", routing=Routing.DISQUALIFY),
        ReturnReason(
            code="already_customer",
            label="already a customer",
            routing=Routing.CUSTOMER_MARKETING,
        ),
        ReturnReason(code="not_reachable", label="not reachable", routing=Routing.NURTURE),
        ReturnReason(code="timing", label="not buying yet", routing=Routing.NURTURE),
        ReturnReason(code="needs_sales", label="needs direct sales", routing=Routing.BACK_TO_SALES),
        ReturnReason(
            code="not_responding", label="partner stopped responding", routing=Routing.NEXT_PARTNER
        ),
    ),
)
"""Return reasons from the source texts: a project that does not fit goes to the next partner
whose competences cover the lead, a partner without capacity to one with room, a lead
outside the territory to a partner covering its region; "no lead" and duplicates are
disqualified; existing customers go to customer marketing; unreachable or early prospects
are nurtured; a lead
taken back from a partner that stopped responding goes to the next partner."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class RejectionReason:
    """One reason sales may give for rejecting a handed-over lead (it goes to nurture).

    Example:
        >>> RejectionReason(code="no_budget", label="no budget").label
        'no budget'
    """

    code: str = attrs.field(validator=not_blank)
    label: str = attrs.field(validator=not_blank)


def check_rejection_reasons(
    reasons: Sequence[RejectionReason], path: str = "rejection_reasons"
) -> None:
    """Refuse an empty catalogue or a code given twice, so a rejection is never ambiguous.

    Raises:
        ConfigurationError: at ``<path>[i].code`` for a duplicate code.

    Example:
        >>> check_rejection_reasons(DEFAULT_REJECTION_REASONS)  # passes silently
        >>> r = RejectionReason(code="no_budget", label="no budget")
        >>> try:
        ...     check_rejection_reasons((r, r))
        ... except ConfigurationError as err:
        ...     print(err.paths)
        ('rejection_reasons[1].code',)
    """
    _check_codes(reasons, path, "rejection reason")


def find_rejection_reason(code: str, reasons: Sequence[RejectionReason]) -> RejectionReason:
    """The catalogue entry for a rejection code; a rejection always has a known reason.

    Raises:
        ValidationError: at ``reason`` for an unknown code, naming the known ones.

    Example:
        >>> find_rejection_reason("wrong_timing", DEFAULT_REJECTION_REASONS).label
        'wrong timing'
    """
    for r in reasons:
        if r.code == code:
            return r
    if not code.strip():
        known = ", ".join(r.code for r in reasons)
        raise ValidationError.at("reason", f"a rejection needs a reason: give one of {known}")
    raise _unknown(code, (r.code for r in reasons), "rejection reason")


DEFAULT_REJECTION_REASONS: tuple[RejectionReason, ...] = (
    RejectionReason(code="not_enough_information", label="not enough information"),
    RejectionReason(code="no_budget", label="no budget"),
    RejectionReason(code="wrong_timing", label="wrong timing"),
    RejectionReason(code="not_decision_maker", label="not the decision maker"),
    RejectionReason(code="duplicate", label="duplicate"),
    RejectionReason(code="not_reachable", label="not reachable"),
    RejectionReason(code="no_need", label="no need for our products"),
    RejectionReason(code="competitor", label="works with a competitor"),
    RejectionReason(code="no_response", label="sales did not answer in time"),
)
"""Why sales may give a lead back to marketing for nurture: refusing a handover, sending a
worked lead back, or (``no_response``) the SLA desk returning a handover nobody answered."""
