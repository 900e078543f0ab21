"""A partner's view of the pipeline: only the leads it holds or is offered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from leadpipeline.adapters.ports import LeadStore
from leadpipeline.errors import NotFoundError
from leadpipeline.events import Offered, Outcome
from leadpipeline.lead import Lead, Party
from leadpipeline.playbook import Playbook
from leadpipeline.stages import (
    Command,
    Complete,
    Notification,
    PartnerAccept,
    PartnerPackage,
    ReturnLead,
    Transition,
    partner_lead,
    partner_package,
    visible_to,
)

__all__ = ["PartnerView"]


class Shell(Protocol):
    """What a view needs of the pipeline it looks through."""

    @property
    def store(self) -> LeadStore:
        """Where the leads live."""

    @property
    def playbook(self) -> Playbook:
        """The policies decisions consult."""

    def run(
        self, lead_id: str, command: Command, *, check: Callable[[Lead], None] | None = None
    ) -> Transition:
        """Decide and record `command`, calling `check` on the lead as loaded each attempt."""


class PartnerView:
    """What one partner may see and do: leads it holds or is offered, nothing else.

    Any other lead raises `NotFoundError`, exactly as if it did not exist, and nothing
    about it changes. Visibility is checked on the lead as loaded for each write
    attempt, so a lead taken away meanwhile is refused the same way.
    """

    def __init__(self, pipeline: Shell, partner_id: str) -> None:
        self._pipeline = pipeline
        self.partner_id = partner_id

    def _require_visible(self, lead: Lead) -> None:
        if not visible_to(lead, self.partner_id):
            raise NotFoundError(lead.id)

    def _load(self, lead_id: str) -> Lead:
        lead = self._pipeline.store.load(lead_id)
        self._require_visible(lead)
        return lead

    def get(self, lead_id: str) -> PartnerPackage:
        """The lead as this partner may see it."""
        lead = self._load(lead_id)
        return partner_package(
            lead,
            self._pipeline.store.history(lead_id)[: lead.version],
            self._pipeline.playbook,
            partner_id=self.partner_id,
        )

    def leads(self) -> tuple[Lead, ...]:
        """Leads this partner holds or is offered."""
        return tuple(
            partner_lead(lead, self.partner_id)
            for lead in self._pipeline.store.query(partner_id=self.partner_id)
            if visible_to(lead, self.partner_id)
        )

    def outbox(self, lead_id: str) -> tuple[Notification, ...]:
        """Notifications addressed to this partner about one of its leads."""
        self._load(lead_id)
        me = Party.partner(self.partner_id)
        return tuple(
            e.notification
            for e in self._pipeline.store.outbox(lead_id)
            if e.notification.recipient == me
        )

    def _act(self, lead_id: str, command: Command) -> Lead:
        """Run a command as this partner; the lead after it, as this partner may see it."""
        done = self._pipeline.run(lead_id, command, check=self._require_visible)
        return partner_lead(done.after, self.partner_id)

    def _require_offered(self, lead: Lead) -> None:
        """Visible, or offered to this partner once: a late answer learns it lost the race."""
        if visible_to(lead, self.partner_id):
            return
        history = self._pipeline.store.history(lead.id)[: lead.version]
        if not any(isinstance(e, Offered) and e.partner_id == self.partner_id for e in history):
            raise NotFoundError(lead.id)

    def accept(self, lead_id: str) -> Lead:
        """Accept an offer.

        Raises:
            OfferError: the offer is gone (won by another partner, expired, withdrawn).
            NotFoundError: the lead was never offered to this partner.
        """
        command = PartnerAccept(partner_id=self.partner_id)
        done = self._pipeline.run(lead_id, command, check=self._require_offered)
        return partner_lead(done.after, self.partner_id)

    def return_lead(self, lead_id: str, *, reason: str, comment: str) -> Lead:
        """Return a lead with a reason code and a comment."""
        command = ReturnLead(partner_id=self.partner_id, reason=reason, comment=comment)
        return self._act(lead_id, command)

    def complete(
        self, lead_id: str, outcome: Outcome, *, reason: str = "", revenue: float | None = None
    ) -> Lead:
        """Report the end of the sales process."""
        command = Complete(
            outcome=outcome, reason=reason, revenue=revenue, actor=Party.partner(self.partner_id)
        )
        return self._act(lead_id, command)
