"""Partner matching: which partners may take a lead, in what order, and why the others may not.

Every partner on the roster gets a verdict with reasons: a candidate says why it qualifies
and how it scored; a refused partner says each thing that rules it out (wrong region, no
product-line match, deal size out of range, inactive, paused, at capacity, already returned
this lead).

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
from datetime import datetime, timedelta
from fractions import Fraction

import attrs

from leadpipeline._checks import aware, non_negative, not_blank, positive, require_aware
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError
from leadpipeline.lead import Lead
from leadpipeline.rules.channels import lead_product_lines

__all__ = [
    "DEFAULT_PARTNER_POLICY",
    "GradeWeight",
    "Partner",
    "PartnerPolicy",
    "PartnerRanking",
    "RankedPartner",
    "RefusalCode",
    "RefusedPartner",
    "check_roster",
    "rank_partners",
    "tie_break",
]


def _fold(values: Iterable[str | None]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v is not None and v.strip())


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


@attrs.frozen(kw_only=True, field_transformer=typed)
class Partner:
    """A channel partner on the roster, with what it serves and how much it can take.

    Attributes:
        id: the partner's id (as in ``Party.partner(id)``).
        name: its display name.
        grade: its grade, e.g. "gold"; the policy gives each grade a weight.
        regions: regions or countries it serves (matched against the lead's company
            region and country, case-insensitively); empty serves every region.
        product_lines: product lines it sells (matched against the lead's interests and
            needs); empty sells every line.
        capacity: leads it can take per period; a hard cap.
        open_leads: leads it holds or has on offer in the current period.
        active: False for a partner no longer taking leads.
        paused_until: on holiday or paused until then; None when not paused.
        min_deal_size: the smallest budget it takes, or None.
        max_deal_size: the largest budget it takes, or None.
        calendar: the playbook calendar its SLA clocks count in (empty: the default).

    Example:
        >>> p = Partner(id="p-1", name="Nordlicht IT", grade="gold", capacity=10, open_leads=4)
        >>> p.free_capacity
        6
    """

    id: str = attrs.field(validator=not_blank)
    name: str = attrs.field(validator=not_blank)
    grade: str = attrs.field(validator=not_blank)
    capacity: int = attrs.field(validator=non_negative)
    open_leads: int = attrs.field(default=0, validator=non_negative)
    regions: frozenset[str] = frozenset()
    product_lines: frozenset[str] = frozenset()
    active: bool = True
    paused_until: datetime | None = attrs.field(default=None, validator=aware)
    min_deal_size: float | None = attrs.field(default=None, validator=non_negative)
    max_deal_size: float | None = attrs.field(default=None, validator=non_negative)
    calendar: str = ""
    """The name of the playbook calendar the partner works to; empty: the default."""

    def __attrs_post_init__(self) -> None:
        if (
            self.min_deal_size is not None
            and self.max_deal_size is not None
            and self.max_deal_size < self.min_deal_size
        ):
            raise ConfigurationError.at(
                "max_deal_size",
                f"must not be below min_deal_size {self.min_deal_size!r}, "
                f"got {self.max_deal_size!r}",
            )

    @property
    def free_capacity(self) -> int:
        """Leads it can still take this period (never negative)."""
        return max(self.capacity - self.open_leads, 0)


@attrs.frozen(kw_only=True, field_transformer=typed)
class GradeWeight:
    """How strongly a partner grade is preferred when ranking."""

    grade: str = attrs.field(validator=not_blank)
    weight: float = attrs.field(validator=positive)


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerPolicy:
    """How partners are ranked and offered a lead.

    Attributes:
        grade_weights: the weight of each grade, each grade once.
        offer_count: how many partners a lead is offered to at once.
        offer_expiry: how long an offer stays open.
        require_deal_size: when True, a lead without a budget is refused by every partner
            with a deal-size range; when False the range is not checked for it.

    Example:
        >>> DEFAULT_PARTNER_POLICY.weight_of("gold"), DEFAULT_PARTNER_POLICY.offer_count
        (3.0, 3)
    """

    grade_weights: tuple[GradeWeight, ...] = (
        GradeWeight(grade="gold", weight=3.0),
        GradeWeight(grade="silver", weight=2.0),
        GradeWeight(grade="bronze", weight=1.0),
    )
    offer_count: int = attrs.field(default=3, validator=positive)
    offer_expiry: timedelta = timedelta(days=3)
    require_deal_size: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.grade_weights:
            raise ConfigurationError.at("grade_weights", "give at least one grade")
        seen: dict[str, int] = {}
        for i, gw in enumerate(self.grade_weights):
            if gw.grade in seen:
                raise ConfigurationError.at(
                    f"grade_weights[{i}].grade",
                    f"duplicate grade {gw.grade!r} (also grade_weights[{seen[gw.grade]}])",
                )
            seen[gw.grade] = i
        if self.offer_expiry <= timedelta(0):
            raise ConfigurationError.at(
                "offer_expiry", f"must be positive, got {self.offer_expiry!r}"
            )

    @property
    def grades(self) -> tuple[str, ...]:
        """The known grades, in policy order."""
        return tuple(gw.grade for gw in self.grade_weights)

    def weight_of(self, grade: str) -> float | None:
        """The weight of a grade, or None for a grade the policy does not know."""
        return next((gw.weight for gw in self.grade_weights if gw.grade == grade), None)


DEFAULT_PARTNER_POLICY = PartnerPolicy()
"""Gold 3, silver 2, bronze 1; offer to three partners at once for three days."""


def check_roster(
    partners: Sequence[Partner], policy: PartnerPolicy, path: str = "partners"
) -> None:
    """Refuse a roster with a partner id twice or a grade the policy cannot weigh.

    Call it when a playbook is built so a bad roster fails early, naming the partner.

    Raises:
        ConfigurationError: at ``<path>[i].id`` or ``<path>[i].grade``.

    Example:
        >>> p = Partner(id="p-1", name="A", grade="platinum", capacity=5)
        >>> try:
        ...     check_roster((p,), DEFAULT_PARTNER_POLICY)
        ... except ConfigurationError as err:
        ...     print(err.paths)
        ('partners[0].grade',)
    """
    seen: dict[str, int] = {}
    for i, partner in enumerate(partners):
        if partner.id in seen:
            raise ConfigurationError.at(
                f"{path}[{i}].id",
                f"duplicate partner id {partner.id!r} (also {path}[{seen[partner.id]}])",
            )
        seen[partner.id] = i
        if policy.weight_of(partner.grade) is None:
            raise ConfigurationError.at(
                f"{path}[{i}].grade",
                f"unknown grade {partner.grade!r}: the policy weighs {', '.join(policy.grades)}",
            )


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


def _assess(
    lead: Lead,
    partner: Partner,
    policy: PartnerPolicy,
    now: datetime,
    excluded: frozenset[str],
) -> tuple[list[tuple[RefusalCode, str]], list[str]]:
    """Refusals (code, reason) and qualifying notes for one partner."""
    refusals: list[tuple[RefusalCode, str]] = []
    notes: list[str] = []
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

    company = lead.company
    lead_places = _fold((company.region, company.country))
    served = _fold(partner.regions)
    if not served:
        notes.append("serves every region")
    elif lead_places & served:
        notes.append(f"serves {', '.join(sorted(lead_places & served))}")
    else:
        where = (
            f"the lead is in {', '.join(sorted(lead_places))}"
            if lead_places
            else "the lead has no region or country"
        )
        refusals.append(
            (
                RefusalCode.WRONG_REGION,
                f"wrong region: serves {', '.join(sorted(served))}; {where}",
            )
        )

    wanted = lead_product_lines(lead)
    sold = _fold(partner.product_lines)
    if not sold:
        notes.append("sells every product line")
    elif wanted & sold:
        notes.append(f"sells {', '.join(sorted(wanted & sold))}")
    else:
        asked = ", ".join(sorted(wanted)) if wanted else "none named"
        refusals.append(
            (
                RefusalCode.NO_PRODUCT_MATCH,
                f"no product-line match: sells {', '.join(sorted(sold))}; the lead wants {asked}",
            )
        )

    low, high = partner.min_deal_size, partner.max_deal_size
    budget = lead.needs.budget
    if low is None and high is None:
        pass
    else:
        span = f"{_amount(low or 0)} to {'any' if high is None else _amount(high)}"
        if budget is None:
            if policy.require_deal_size:
                refusals.append(
                    (RefusalCode.DEAL_SIZE, f"deal size unknown (no budget); takes {span}")
                )
            else:
                notes.append(f"budget unknown, deal-size range {span} not checked")
        elif (low is not None and budget < low) or (high is not None and budget > high):
            refusals.append(
                (
                    RefusalCode.DEAL_SIZE,
                    f"deal size out of range: budget {_amount(budget)}; takes {span}",
                )
            )
        else:
            notes.append(f"budget {_amount(budget)} within {span}")

    if partner.free_capacity <= 0:
        refusals.append(
            (
                RefusalCode.AT_CAPACITY,
                f"at capacity: {partner.open_leads} of {partner.capacity} leads this period",
            )
        )
    return refusals, notes


def rank_partners(
    lead: Lead,
    partners: Sequence[Partner],
    policy: PartnerPolicy,
    *,
    now: datetime,
    excluded: Iterable[str] = (),
    seed: int = 0,
) -> PartnerRanking:
    """Rank the partners that may take a lead and give every other partner its reasons.

    A partner in `excluded` or in the lead's ``returned_by`` is never a candidate. The
    order is by grade weight times free capacity share, then by `tie_break`, so it is
    replayable from the same input and seed.

    Raises:
        ValidationError: when `now` is naive.
        ConfigurationError: for a roster `check_roster` refuses.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Lead, Source
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
    scored: list[tuple[Fraction, str, Partner, str]] = []
    refused: list[RefusedPartner] = []
    for partner in partners:
        refusals, notes = _assess(lead, partner, policy, now, shut_out)
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
