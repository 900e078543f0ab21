"""Partners: the roster (`roster`) and the ranking of partners for one lead (`ranking`)."""

from leadpipeline.rules.partners.ranking import (
    PartnerRanking,
    RankedPartner,
    RefusalCode,
    RefusedPartner,
    lead_competences,
    rank_partners,
    tie_break,
)
from leadpipeline.rules.partners.roster import (
    DEFAULT_PARTNER_POLICY,
    GradeWeight,
    Partner,
    PartnerNeed,
    PartnerPolicy,
    check_roster,
)

__all__ = [
    "DEFAULT_PARTNER_POLICY",
    "GradeWeight",
    "Partner",
    "PartnerNeed",
    "PartnerPolicy",
    "PartnerRanking",
    "RankedPartner",
    "RefusalCode",
    "RefusedPartner",
    "check_roster",
    "lead_competences",
    "rank_partners",
    "tie_break",
]
