"""One method per command: the part of `Pipeline` that turns arguments into commands.

Why a module of its own: each method only builds the command value and hands it to
`execute`, so they read as the list of what a host may ask, apart from the write path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from leadpipeline.events import Outcome
from leadpipeline.lead import Interaction, Lead, Party, Source
from leadpipeline.stages import (
    Accept,
    AddNote,
    AllocateChannel,
    AssignPartner,
    Command,
    Complete,
    Disqualify,
    ExpireOffers,
    HandOver,
    Merge,
    MoveStage,
    Nurture,
    OfferToPartners,
    PartnerAccept,
    Qualify,
    QualifySql,
    Reclaim,
    RecordInteraction,
    Reject,
    ReturnLead,
    UpdateProfile,
)

__all__ = ["CommandMethods"]


class CommandMethods:
    """The named command methods of `Pipeline`; each is `execute` with one command value.

    `Capture`, `Erase` and `Escalate` have methods on `Pipeline` itself: they do more
    than decide and record.
    """

    if TYPE_CHECKING:  # the write path is `Pipeline.execute`

        def execute(self, lead_id: str, command: Command) -> Lead:
            """Decide and record `command`; the lead after it."""

    def record_interaction(
        self, lead_id: str, interaction: Interaction, *, actor: Party | None = None
    ) -> Lead:
        """Record a touch; a form submit from a hot lead asks for a call within minutes."""
        return self.execute(lead_id, RecordInteraction(interaction=interaction, actor=actor))

    def update_profile(self, lead_id: str, update: UpdateProfile) -> Lead:
        """Enrich the profile; the parts the update leaves as None stay as they are."""
        return self.execute(lead_id, update)

    def add_note(self, lead_id: str, text: str, *, actor: Party | None = None) -> Lead:
        """Add an internal note (never shown to partners)."""
        return self.execute(lead_id, AddNote(text=text, actor=actor))

    def move_stage(
        self,
        lead_id: str,
        to_stage: str,
        *,
        reason: str = "",
        owner: Party | None = None,
        actor: Party | None = None,
    ) -> Lead:
        """Move the lead along an allowed edge of the lifecycle (for custom stages)."""
        return self.execute(
            lead_id, MoveStage(to_stage=to_stage, reason=reason, owner=owner, actor=actor)
        )

    def merge(
        self,
        lead_id: str,
        source: Source,
        *,
        interactions: Sequence[Interaction] = (),
        actor: Party | None = None,
    ) -> Lead:
        """Fold a duplicate capture into this lead: its source and touches are kept.

        The same source record merged twice changes nothing the second time.
        """
        return self.execute(
            lead_id, Merge(source=source, interactions=tuple(interactions), actor=actor)
        )

    def qualify(self, lead_id: str) -> Lead:
        """Qualify as MQL against the playbook's MQL definition."""
        return self.execute(lead_id, Qualify())

    def hand_over(self, lead_id: str, *, to: Party | None = None) -> Lead:
        """Marketing hands an MQL to sales."""
        return self.execute(lead_id, HandOver(to=to or Party.sales()))

    def accept(self, lead_id: str, *, actor: Party | None = None) -> Lead:
        """Sales accepts a handed-over lead (SAL)."""
        return self.execute(lead_id, Accept(actor=actor))

    def reject(self, lead_id: str, *, reason: str = "", comment: str = "") -> Lead:
        """Sales rejects a handed-over lead with a reason code; it goes to nurture.

        Raises:
            ValidationError: no reason, or one the playbook's rejection catalogue lacks.
        """
        return self.execute(lead_id, Reject(reason=reason, comment=comment))

    def qualify_sql(self, lead_id: str) -> Lead:
        """Sales qualifies a SAL as SQL."""
        return self.execute(lead_id, QualifySql())

    def allocate_channel(self, lead_id: str) -> Lead:
        """Decide direct sales or the partner channel."""
        return self.execute(lead_id, AllocateChannel())

    def assign_partner(self, lead_id: str, partner_id: str | None = None, *, seed: int = 0) -> Lead:
        """Give the lead to one partner (the best-ranked when none is named)."""
        return self.execute(lead_id, AssignPartner(partner_id=partner_id, seed=seed))

    def offer_to_partners(
        self,
        lead_id: str,
        partner_ids: Sequence[str] = (),
        *,
        expires_in: timedelta | None = None,
        seed: int = 0,
    ) -> Lead:
        """Offer the lead to several partners; the first to accept wins."""
        return self.execute(
            lead_id,
            OfferToPartners(partner_ids=tuple(partner_ids), expires_in=expires_in, seed=seed),
        )

    def partner_accept(self, lead_id: str, partner_id: str) -> Lead:
        """A partner accepts its offer."""
        return self.execute(lead_id, PartnerAccept(partner_id=partner_id))

    def return_lead(self, lead_id: str, partner_id: str, *, reason: str, comment: str) -> Lead:
        """A partner returns a lead with a reason code and a comment."""
        return self.execute(
            lead_id, ReturnLead(partner_id=partner_id, reason=reason, comment=comment)
        )

    def expire_offers(self, lead_id: str) -> Lead:
        """Withdraw lapsed offers and route the lead onward."""
        return self.execute(lead_id, ExpireOffers())

    def reclaim(self, lead_id: str, partner_id: str, *, reason: str, comment: str = "") -> Lead:
        """Take the lead back from a partner that stopped responding; route it onward.

        `reason` is a code of the return catalogue (the playbook's ``reclaim_reason``
        fits a partner gone quiet).
        """
        return self.execute(lead_id, Reclaim(partner_id=partner_id, reason=reason, comment=comment))

    def complete(
        self,
        lead_id: str,
        outcome: Outcome,
        *,
        reason: str = "",
        revenue: float | None = None,
        actor: Party | None = None,
    ) -> Lead:
        """The working party reports won or lost."""
        return self.execute(
            lead_id, Complete(outcome=outcome, reason=reason, revenue=revenue, actor=actor)
        )

    def nurture(self, lead_id: str, *, reason: str, comment: str = "") -> Lead:
        """Send the lead back to marketing for regular communication.

        A lead sales holds goes back only with a code of the rejection catalogue.
        """
        return self.execute(lead_id, Nurture(reason=reason, comment=comment))

    def disqualify(self, lead_id: str, *, reason: str) -> Lead:
        """Drop the lead with a reason."""
        return self.execute(lead_id, Disqualify(reason=reason))
