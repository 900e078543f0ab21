"""Commands: what someone asks to happen to a lead. `decide` turns them into events.

A command carries only intent. Time (`now`) and policy (the playbook) come in beside it,
so the same command decides the same way in a test, a notebook or production.
`actor=None` means "the lead's current owner".
"""

from __future__ import annotations

import functools
from datetime import timedelta

import attrs

from leadpipeline._checks import not_blank, positive
from leadpipeline._typed import typed
from leadpipeline.events import Outcome
from leadpipeline.lead import Company, Contact, Interaction, Lead, Needs, Party, Source
from leadpipeline.rules.sla import Breach

__all__ = [
    "Accept",
    "AddNote",
    "AllocateChannel",
    "AssignPartner",
    "Capture",
    "Command",
    "Complete",
    "Disqualify",
    "Erase",
    "Escalate",
    "ExpireOffers",
    "HandOver",
    "Merge",
    "MoveStage",
    "Nurture",
    "OfferToPartners",
    "PartnerAccept",
    "Qualify",
    "QualifySql",
    "Reclaim",
    "RecordInteraction",
    "Reject",
    "ReturnLead",
    "SweepStale",
    "UpdateProfile",
    "command_name",
]


@attrs.frozen(kw_only=True, field_transformer=typed)
class Capture:
    """Bring a new lead into the pipeline, at the lifecycle's first stage."""

    lead: Lead
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class RecordInteraction:
    """Record a touch: a visit, an email, a form submit."""

    interaction: Interaction
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class UpdateProfile:
    """Enrich the profile; parts left as None stay as they are."""

    contact: Contact | None = None
    company: Company | None = None
    needs: Needs | None = None
    interests: tuple[str, ...] | None = None
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class AddNote:
    """Add an internal note (never shown to partners)."""

    text: str = attrs.field(validator=not_blank)
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class MoveStage:
    """Move the lead along an allowed edge of the lifecycle (for custom stages).

    A move that would give the lead back (sales to marketing, a partner to sales or
    marketing) is refused: that takes `Reject`, `Nurture`, `ReturnLead` or `Reclaim`,
    which need a reason from the playbook's catalogue.
    """

    to_stage: str = attrs.field(validator=not_blank)
    reason: str = ""
    owner: Party | None = None
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Nurture:
    """Send the lead back to marketing for regular communication; needs a reason.

    From sales the reason is a code of the playbook's rejection catalogue (a hand-back
    is a rejection); from marketing it is free text. A partner returns a lead instead.
    """

    reason: str = attrs.field(validator=not_blank)
    comment: str = ""
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Disqualify:
    """Drop the lead, with the reason."""

    reason: str = attrs.field(validator=not_blank)
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Qualify:
    """Qualify an inquiry (or a nurtured lead) as MQL against the playbook's MQL definition."""

    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class HandOver:
    """Marketing hands an MQL to sales (optionally a team or rep)."""

    to: Party = attrs.field(factory=Party.sales)
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Accept:
    """Sales accepts a handed-over lead: it becomes SAL."""

    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Reject:
    """Sales rejects a handed-over lead with a reason code from the playbook."""

    reason: str = ""
    """A code of the playbook's rejection catalogue; left blank, the rejection is refused."""
    comment: str = ""
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class QualifySql:
    """Inside sales or pre-sales qualifies a SAL as SQL against the SQL definition."""

    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class AllocateChannel:
    """Decide direct sales or the partner channel from the authoritative revenue."""

    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class AssignPartner:
    """Give the lead to one partner; `partner_id=None` takes the best-ranked one."""

    partner_id: str | None = None
    seed: int = 0
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class OfferToPartners:
    """Offer the lead to several partners at once; the first to accept wins.

    `partner_ids=()` offers to the best-ranked candidates; `expires_in` defaults to the
    partner policy's offer expiry.
    """

    partner_ids: tuple[str, ...] = ()
    expires_in: timedelta | None = attrs.field(default=None)
    seed: int = 0
    actor: Party | None = None

    @expires_in.validator
    def _check_expiry(self, attribute: attrs.Attribute[timedelta | None], value: object) -> None:
        if isinstance(value, timedelta):
            positive(self, attribute, value.total_seconds())


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartnerAccept:
    """A partner accepts an offer it holds."""

    partner_id: str = attrs.field(validator=not_blank)


@attrs.frozen(kw_only=True, field_transformer=typed)
class ReturnLead:
    """A partner gives a lead back with a reason code and a comment."""

    partner_id: str = attrs.field(validator=not_blank)
    reason: str
    comment: str
    seed: int = 0


@attrs.frozen(kw_only=True, field_transformer=typed)
class ExpireOffers:
    """Withdraw offers past their expiry; with none left, route per the partner policy."""

    seed: int = 0


@attrs.frozen(kw_only=True, field_transformer=typed)
class Complete:
    """The working party reports the end: won (to customer marketing) or lost (to nurture)."""

    outcome: Outcome
    reason: str = ""
    revenue: float | None = None
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Escalate:
    """Record SLA breaches and escalate each due step once.

    `breaches` None (the usual case) means every breach of the lead's history as of
    `now`; a caller that computed them already (`leadpipeline.rules.sla.breaches`, which
    knows what the history recorded) may pass them. Either way the same breach never
    escalates twice.
    """

    breaches: tuple[Breach, ...] | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Reclaim:
    """Take a lead back from a partner that stopped responding; route it onward.

    `reason` is a code of the playbook's return catalogue (usually its
    ``reclaim_reason``), `comment` says what happened.
    """

    partner_id: str = attrs.field(validator=not_blank)
    reason: str = attrs.field(validator=not_blank)
    comment: str = ""
    seed: int = 0


@attrs.frozen(kw_only=True, field_transformer=typed)
class SweepStale:
    """Recycle or drop the lead if the playbook's stale policy finds it stale; else nothing."""


@attrs.frozen(kw_only=True, field_transformer=typed)
class Merge:
    """Fold a duplicate capture into this lead: its source and touches are kept."""

    source: Source
    interactions: tuple[Interaction, ...] = ()
    actor: Party | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Erase:
    """Erase personal data; stages, timings and scores stay for the funnel figures."""

    actor: Party | None = None


Command = (
    Capture
    | RecordInteraction
    | UpdateProfile
    | AddNote
    | MoveStage
    | Nurture
    | Disqualify
    | Qualify
    | HandOver
    | Accept
    | Reject
    | QualifySql
    | AllocateChannel
    | AssignPartner
    | OfferToPartners
    | PartnerAccept
    | ReturnLead
    | ExpireOffers
    | Reclaim
    | Complete
    | Escalate
    | Merge
    | Erase
    | SweepStale
)
"""Every command `decide` understands."""


@functools.cache
def _snake_name(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def command_name(command: Command | type[Command]) -> str:
    """The snake-case name of a command (or command class), as errors name it.

    Example:
        >>> command_name(Nurture(reason="no budget this year")), command_name(QualifySql)
        ('nurture', 'qualify_sql')
    """
    cls = command if isinstance(command, type) else type(command)
    return _snake_name(cls.__name__)
