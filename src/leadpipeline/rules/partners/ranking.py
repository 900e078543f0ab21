"""Partner matching: which partners may take a lead, in what order, and why the others may not.

Every partner on the roster gets a verdict with reasons: a candidate says why it qualifies
and how it scored; a refused partner says each thing that rules it out (wrong region, no
product-line match, deal size out of range, inactive, paused, at capacity, already returned
this lead, or lacking what a return reason asks of the next partner).

Candidates are load-balanced: the score is the grade weight times the share of the period's
capacity still free, so a partner back from a pause (all capacity free) ranks high but can
never take more than its capacity, which is a hard cap. Exact ties are broken by a SHA-256
hash of (seed, lead id, partner id): the same input always gives the same ranking, and a
different seed reorders only exact ties.

The deal size matched against a partner's range is the lead's ``needs.budget``; the
expected volume is a quantity, not money, and is not used.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.lead import Lead
from leadpipeline.rules.channels import lead_product_lines
from leadpipeline.rules.partners.roster import (
    Partner,
    PartnerNeed,
    PartnerPolicy,
    check_roster,
)

__all__ = [
    "PartnerRanking",
    "RankedPartner",
    "RefusalCode",
    "RefusedPartner",
    "lead_competences",
    "rank_partners",
    "tie_break",
]


def _fold(values: Iterable[str | None]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v is not None and v.strip())


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def lead_competences(lead: Lead) -> frozenset[str]:
    """What a partner must know to work the lead: its industry and its stated needs.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Lead, Needs, Source
        >>> at = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at),
        ...             company=Company(industry="Logistics"), needs=Needs(needs=("ERP",)))
        >>> sorted(lead_competences(lead))
        ['erp', 'logistics']
    """
    return _fold((lead.company.industry, *lead.needs.needs))


class RefusalCode(enum.StrEnum):
    """Why a partner is not a candidate for a lead."""

    RETURNED = "returned"
    """It already returned this lead."""
    EXCLUDED = "excluded"
    """Excluded by the caller, e.g. it let an earlier offer lapse."""
    INACTIVE = "inactive"
    PAUSED = "paused"
    WRONG_REGION = "wrong_region"
    NO_PRODUCT_MATCH = "no_product_match"
    DEAL_SIZE = "deal_size"
    AT_CAPACITY = "at_capacity"
    NO_COMPETENCE = "no_competence"
    """It lacks the competence a return reason asks of the next partner."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class RankedPartner:
    """A partner that qualifies, its place and score, and why.

    Attributes:
        partner_id: the partner.
        rank: 1 for the best candidate.
        score: grade weight times the share of capacity still free.
        grade: the partner's grade.
        free_capacity: leads it can still take this period.
        capacity: leads per period.
        tie_break: the hash that orders exact score ties (hex).
        reason: why it qualifies and how it scored, in words.
    """

    partner_id: str
    rank: int
    score: float
    grade: str
    free_capacity: int
    capacity: int
    tie_break: str
    reason: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class RefusedPartner:
    """A partner that may not take the lead, with every reason that rules it out."""

    partner_id: str
    refusals: tuple[RefusalCode, ...]
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        """All reasons in one line."""
        return "; ".join(self.reasons)


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerRanking:
    """Every partner's verdict for one lead: ranked candidates first, refused ones with reasons.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Lead, Source
        >>> from leadpipeline.rules.partners import DEFAULT_PARTNER_POLICY
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now))
        >>> roster = (Partner(id="a", name="A", grade="gold", capacity=4),
        ...           Partner(id="b", name="B", grade="silver", capacity=4, active=False))
        >>> r = rank_partners(lead, roster, DEFAULT_PARTNER_POLICY, now=now)
        >>> r.candidate_ids, r.reason_for("b")
        (('a',), 'inactive')
    """

    lead_id: str
    seed: int
    candidates: tuple[RankedPartner, ...]
    refused: tuple[RefusedPartner, ...]

    @property
    def candidate_ids(self) -> tuple[str, ...]:
        """Qualifying partner ids, best first."""
        return tuple(c.partner_id for c in self.candidates)

    @property
    def refused_ids(self) -> tuple[str, ...]:
        """Partner ids that may not take the lead, in roster order."""
        return tuple(r.partner_id for r in self.refused)

    def top(self, n: int) -> tuple[str, ...]:
        """The best `n` candidate ids (fewer when fewer qualify)."""
        return self.candidate_ids[: max(n, 0)]

    def reason_for(self, partner_id: str) -> str:
        """Why a partner qualifies or not, in words."""
        for c in self.candidates:
            if c.partner_id == partner_id:
                return c.reason
        for r in self.refused:
            if r.partner_id == partner_id:
                return r.reason
        return "not on the roster"

    def summary(self) -> str:
        """One line for logs and error messages: candidates in order, refusals with reasons."""
        cands = ", ".join(self.candidate_ids) or "none"
        refused = "; ".join(f"{r.partner_id}: {r.reason}" for r in self.refused) or "none"
        return f"candidates: {cands}; refused: {refused}"


def tie_break(seed: int, lead_id: str, partner_id: str) -> str:
    """A stable hash ordering exact score ties; the same on every run and every machine.

    Python's ``hash()`` is salted per process and `random` is state, so neither is used.

    Example:
        >>> tie_break(0, "L-1", "p-1") == tie_break(0, "L-1", "p-1")
        True
        >>> len(tie_break(0, "L-1", "p-1"))
        64
    """
    payload = "\x1f".join((str(seed), lead_id, partner_id)).encode()
    return hashlib.sha256(payload).hexdigest()


def _competence(
    lead: Lead, partner: Partner, because: str
) -> tuple[tuple[RefusalCode, str] | None, str]:
    """A refusal, or a note, for a partner weighed on competence (a return asked for it)."""
    wanted = lead_competences(lead)
    known = _fold(partner.competences)
    asked = f" ({because})" if because else ""
    if not wanted:
        why = f"lacks a competence match{asked}: the lead names no industry or needs"
        return (RefusalCode.NO_COMPETENCE, why), ""
    if not known:
        return None, f"claims every competence{asked}"
    if wanted & known:
        return None, f"competence in {', '.join(sorted(wanted & known))}{asked}"
    why = (
        f"lacks the competence{asked}: knows {', '.join(sorted(known))}; "
        f"the lead needs {', '.join(sorted(wanted))}"
    )
    return (RefusalCode.NO_COMPETENCE, why), ""


def _region(
    lead: Lead, partner: Partner, needs: frozenset[PartnerNeed], asked: str
) -> tuple[tuple[RefusalCode, str] | None, str]:
    """A refusal, or a note, on whether the partner serves the lead's region or country."""
    company = lead.company
    lead_places = _fold((company.region, company.country))
    served = _fold(partner.regions)
    covers = asked if PartnerNeed.REGION in needs else ""
    if covers and not lead_places:
        return (RefusalCode.WRONG_REGION, f"no region to cover{asked}: the lead has none"), ""
    if not served:
        return None, f"serves every region{covers}"
    if lead_places & served:
        return None, f"serves {', '.join(sorted(lead_places & served))}{covers}"
    where = (
        f"the lead is in {', '.join(sorted(lead_places))}"
        if lead_places
        else "the lead has no region or country"
    )
    why = f"wrong region{covers}: serves {', '.join(sorted(served))}; {where}"
    return (RefusalCode.WRONG_REGION, why), ""


def _deal_size(
    lead: Lead, partner: Partner, policy: PartnerPolicy
) -> tuple[tuple[RefusalCode, str] | None, str]:
    """A refusal, or a note (empty without a range), on the lead's budget and the range."""
    low, high = partner.min_deal_size, partner.max_deal_size
    budget = lead.needs.budget
    if low is None and high is None:
        return None, ""
    span = f"{_amount(low or 0)} to {'any' if high is None else _amount(high)}"
    if budget is None:
        if policy.require_deal_size:
            return (RefusalCode.DEAL_SIZE, f"deal size unknown (no budget); takes {span}"), ""
        return None, f"budget unknown, deal-size range {span} not checked"
    if (low is not None and budget < low) or (high is not None and budget > high):
        why = f"deal size out of range: budget {_amount(budget)}; takes {span}"
        return (RefusalCode.DEAL_SIZE, why), ""
    return None, f"budget {_amount(budget)} within {span}"


def _assess(  # one branch per thing that can rule a partner out
    lead: Lead,
    partner: Partner,
    policy: PartnerPolicy,
    now: datetime,
    excluded: frozenset[str],
    *,
    needs: frozenset[PartnerNeed] = frozenset(),
    because: str = "",
) -> tuple[list[tuple[RefusalCode, str]], list[str]]:
    """Refusals (code, reason) and qualifying notes for one partner."""
    refusals: list[tuple[RefusalCode, str]] = []
    notes: list[str] = []
    asked = f" ({because})" if because else ""
    if partner.id in lead.returned_by:
        refusals.append((RefusalCode.RETURNED, "already returned this lead"))
    elif partner.id in excluded:
        why = (
            "let an earlier offer of this lead lapse"
            if partner.id in lead.lapsed_offers
            else "excluded for this lead"
        )
        refusals.append((RefusalCode.EXCLUDED, why))
    if not partner.active:
        refusals.append((RefusalCode.INACTIVE, "inactive"))
    if partner.paused_until is not None and partner.paused_until > now:
        refusals.append((RefusalCode.PAUSED, f"paused until {partner.paused_until.isoformat()}"))

    refused, note = _region(lead, partner, needs, asked)
    if refused is not None:
        refusals.append(refused)
    else:
        notes.append(note)

    wanted = lead_product_lines(lead)
    sold = _fold(partner.product_lines)
    if not sold:
        notes.append("sells every product line")
    elif wanted & sold:
        notes.append(f"sells {', '.join(sorted(wanted & sold))}")
    else:
        named = ", ".join(sorted(wanted)) if wanted else "none named"
        refusals.append(
            (
                RefusalCode.NO_PRODUCT_MATCH,
                f"no product-line match: sells {', '.join(sorted(sold))}; the lead wants {named}",
            )
        )

    refused, note = _deal_size(lead, partner, policy)
    if refused is not None:
        refusals.append(refused)
    elif note:
        notes.append(note)

    room = asked if PartnerNeed.CAPACITY in needs else ""
    if partner.free_capacity <= 0:
        refusals.append(
            (
                RefusalCode.AT_CAPACITY,
                f"at capacity{room}: {partner.open_leads} of {partner.capacity} leads this period",
            )
        )
    elif room:
        notes.append(f"{partner.free_capacity} leads of room{room}")

    if PartnerNeed.COMPETENCE in needs:
        refused, note = _competence(lead, partner, because)
        if refused is not None:
            refusals.append(refused)
        else:
            notes.append(note)
    return refusals, notes


def rank_partners(
    lead: Lead,
    partners: Sequence[Partner],
    policy: PartnerPolicy,
    *,
    now: datetime,
    excluded: Iterable[str] = (),
    seed: int = 0,
    needs: Iterable[PartnerNeed] = (),
    because: str = "",
) -> PartnerRanking:
    """Rank the partners that may take a lead and give every other partner its reasons.

    A partner in `excluded` or in the lead's ``returned_by`` is never a candidate. The
    order is by grade weight times free capacity share, then by `tie_break`, so it is
    replayable from the same input and seed. `needs` are what a return reason asks of
    the next partner (`because` names that reason in the explanations): a partner
    lacking one of them is refused with the reason.

    Raises:
        ValidationError: when `now` is naive.
        ConfigurationError: for a roster `check_roster` refuses.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Lead, Source
        >>> from leadpipeline.rules.partners import DEFAULT_PARTNER_POLICY
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             company=Company(region="DACH"), returned_by=("busy",))
        >>> roster = (
        ...     Partner(id="busy", name="Busy", grade="gold", capacity=9),
        ...     Partner(id="fresh", name="Fresh", grade="silver", capacity=10),
        ...     Partner(id="full", name="Full", grade="gold", capacity=10, open_leads=8),
        ... )
        >>> ranking = rank_partners(lead, roster, DEFAULT_PARTNER_POLICY, now=now)
        >>> ranking.candidate_ids
        ('fresh', 'full')
        >>> ranking.reason_for("busy")
        'already returned this lead'
    """
    require_aware("now", now)
    check_roster(partners, policy)
    shut_out = frozenset(excluded) | frozenset(lead.returned_by)
    wanted = frozenset(needs)
    scored: list[tuple[Fraction, str, Partner, str]] = []
    refused: list[RefusedPartner] = []
    for partner in partners:
        refusals, notes = _assess(
            lead, partner, policy, now, shut_out, needs=wanted, because=because
        )
        if refusals:
            refused.append(
                RefusedPartner(
                    partner_id=partner.id,
                    refusals=tuple(code for code, _ in refusals),
                    reasons=tuple(why for _, why in refusals),
                )
            )
            continue
        weight = policy.weight_of(partner.grade)
        assert weight is not None  # check_roster guarantees every grade has a weight
        share = Fraction(partner.free_capacity, partner.capacity)
        score = Fraction(weight) * share
        summary = (
            f"{partner.grade} (weight {weight:g}) x {partner.free_capacity}/{partner.capacity}"
            f" capacity free = score {float(score):.4g}; " + "; ".join(notes)
        )
        scored.append((score, tie_break(seed, lead.id, partner.id), partner, summary))
    scored.sort(key=lambda s: (-s[0], s[1], s[2].id))
    candidates = tuple(
        RankedPartner(
            partner_id=partner.id,
            rank=i,
            score=float(score),
            grade=partner.grade,
            free_capacity=partner.free_capacity,
            capacity=partner.capacity,
            tie_break=tb,
            reason=summary,
        )
        for i, (score, tb, partner, summary) in enumerate(scored, start=1)
    )
    return PartnerRanking(lead_id=lead.id, seed=seed, candidates=candidates, refused=tuple(refused))
