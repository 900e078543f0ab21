"""No lead goes back without a catalogue reason, whatever commands are tried in whatever order.

Walks start from a fresh capture and decide random commands of every transfer level
through `transition` (with the lead's history, as the shell does) at advancing times:
handovers, answers, channel decisions, offers, returns, reclaims, escalations, generic
stage moves with any owner, nurture and disqualification, with catalogue reasons and
with junk. Refused commands change nothing; every accepted one is checked.

A hand-back is an owner change from sales to marketing, or from a partner to sales or
marketing, into a stage that is not closed. Reporting the end of the work
(`Completed`, the fourth transfer level) is not a hand-back.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
from hypothesis import find, given, settings
from hypothesis import strategies as st

from leadpipeline import (
    Accept,
    AllocateChannel,
    AssignPartner,
    Capture,
    Command,
    Complete,
    Disqualify,
    Escalate,
    Event,
    ExpireOffers,
    HandOver,
    Lead,
    LeadPipelineError,
    MoveStage,
    Nurture,
    OfferToPartners,
    Outcome,
    PartnerAccept,
    Party,
    PartyKind,
    Qualify,
    QualifySql,
    Reclaim,
    Reject,
    ReturnLead,
    transition,
)
from leadpipeline.events import Completed, OwnerChanged, Reclaimed, Rejected, Returned, StageChanged
from tests.levels import PLAYBOOK, ROSTER, START, enterprise_lead, qualified_lead

REJECTION_CODES = tuple(r.code for r in PLAYBOOK.rejection_reasons)
RETURN_CODES = PLAYBOOK.return_policy.codes
JUNK = ("", ".", "meh", "project postponed")
PARTNER_IDS = tuple(p.id for p in ROSTER)
STAGES = tuple(s.name for s in PLAYBOOK.lifecycle.stages)
CLOSED = PLAYBOOK.lifecycle.closed_stages
PARTIES = (
    Party.marketing(),
    Party.sales(),
    Party.sales(team="inside-sales"),
    Party.sales(team="field"),
    Party.customer_marketing(),
    *(Party.partner(pid) for pid in PARTNER_IDS),
)


@attrs.frozen(kw_only=True)
class Step:
    """One accepted command and the events `transition` recorded for it."""

    command: Command
    before: Lead
    events: tuple[Event, ...]


@attrs.frozen(kw_only=True)
class HandBack:
    """One owner change that gives a lead back, with the step it happened in."""

    change: OwnerChanged
    step: Step


def hand_backs(steps: tuple[Step, ...]) -> list[HandBack]:
    """Every owner change of the walk that gives the lead back (see the module docstring)."""
    found: list[HandBack] = []
    for step in steps:
        if any(isinstance(e, Completed) for e in step.events):
            continue
        stage = step.before.stage
        for event in step.events:
            if isinstance(event, StageChanged):
                stage = event.to_stage
            elif isinstance(event, OwnerChanged) and stage not in CLOSED:
                src, dst = event.from_owner.kind, event.to_owner.kind
                back = (src is PartyKind.SALES and dst is PartyKind.MARKETING) or (
                    src is PartyKind.PARTNER and dst in (PartyKind.SALES, PartyKind.MARKETING)
                )
                if back:
                    found.append(HandBack(change=event, step=step))
    return found


def _reason(codes: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Mostly a catalogue code, sometimes junk a host might send."""
    return st.sampled_from([*codes, *JUNK])


def _partner(lead: Lead) -> st.SearchStrategy[str]:
    """A partner id, usually the one holding or offered the lead."""
    near = [*lead.offered_to, *([lead.owner.partner_id] if lead.owner.partner_id else [])]
    return st.sampled_from([*near, *near, *near, *PARTNER_IDS])


def _forward(lead: Lead) -> str:
    """The command that takes the lead one level further, so walks reach every level."""
    if lead.stage in ("inquiry", "nurture"):
        return "qualify"
    if lead.stage == "mql":
        return "hand_over" if lead.owner.kind is PartyKind.MARKETING else "accept"
    if lead.stage == "sal":
        return "qualify_sql"
    if lead.stage == "sql" and lead.channel is None:
        return "allocate"
    if lead.offers:
        return "partner_accept"
    if lead.stage == "sql":
        return "assign"
    return "return" if lead.owner.kind is PartyKind.PARTNER else "nurture"


def _command(draw: st.DrawFn, lead: Lead) -> Command:
    """Any command of the transfer levels, with arguments near what the lead allows.

    Half the time the command that takes the lead one level further, so walks reach
    the partner channel; otherwise any command at all.
    """
    kind = (
        _forward(lead)
        if draw(st.booleans())
        else draw(
            st.sampled_from(
                [
                    "qualify",
                    "hand_over",
                    "accept",
                    "accept",
                    "reject",
                    "qualify_sql",
                    "allocate",
                    "assign",
                    "offer",
                    "partner_accept",
                    "return",
                    "return",
                    "reclaim",
                    "nurture",
                    "nurture",
                    "disqualify",
                    "move",
                    "move",
                    "move",
                    "complete",
                    "escalate",
                    "expire",
                ]
            )
        )
    )
    match kind:
        case "qualify":
            return Qualify()
        case "hand_over":
            return HandOver(to=draw(st.sampled_from(PARTIES[1:4])))
        case "accept":
            return Accept()
        case "reject":
            return Reject(reason=draw(_reason(REJECTION_CODES)), comment="see notes")
        case "qualify_sql":
            return QualifySql()
        case "allocate":
            return AllocateChannel()
        case "assign":
            return AssignPartner(partner_id=draw(st.none() | st.sampled_from(PARTNER_IDS)))
        case "offer":
            return OfferToPartners()
        case "partner_accept":
            return PartnerAccept(partner_id=draw(_partner(lead)))
        case "return":
            return ReturnLead(
                partner_id=draw(_partner(lead)),
                reason=draw(_reason(RETURN_CODES)),
                comment=draw(st.sampled_from(["fully booked", ""])),
            )
        case "reclaim":
            reason = draw(_reason(RETURN_CODES).filter(str.strip))
            return Reclaim(partner_id=draw(_partner(lead)), reason=reason)
        case "nurture":
            return Nurture(reason=draw(_reason(REJECTION_CODES).filter(str.strip)))
        case "disqualify":
            return Disqualify(reason="not a buyer")
        case "move":
            return MoveStage(
                to_stage=draw(st.sampled_from(STAGES)),
                owner=draw(st.none() | st.sampled_from(PARTIES)),
                actor=draw(st.none() | st.sampled_from(PARTIES)),
            )
        case "complete":
            return Complete(
                outcome=draw(st.sampled_from(Outcome)),
                actor=draw(st.none() | st.sampled_from(PARTIES)),
            )
        case "escalate":
            return Escalate()
        case _:
            return ExpireOffers()


@st.composite
def walks(draw: st.DrawFn, max_steps: int = 30) -> tuple[Step, ...]:
    """A random walk of commands from a fresh capture, through `transition`, refusals skipped."""
    start = draw(st.sampled_from([qualified_lead(), qualified_lead(), enterprise_lead()]))
    now = START
    done = transition(None, Capture(lead=start), PLAYBOOK, now=now)
    lead, history = done.after, done.events
    steps: list[Step] = []
    for _ in range(draw(st.integers(min_value=1, max_value=max_steps))):
        now += draw(
            st.sampled_from(
                [timedelta(minutes=30), timedelta(hours=5), timedelta(days=1), timedelta(days=4)]
            )
        )
        command = _command(draw, lead)
        try:
            done = transition(lead, command, PLAYBOOK, now=now, history=history)
        except LeadPipelineError:
            continue  # refused: nothing recorded, the lead stays as it was
        steps.append(Step(command=command, before=lead, events=done.events))
        lead, history = done.after, (*history, *done.events)
    return tuple(steps)


class TestNoHandBackWithoutAReason:
    """Every hand-back is recorded with a reason from the playbook's catalogue."""

    @settings(max_examples=75, deadline=None)
    @given(walks())
    def test_every_hand_back_carries_a_catalogue_reason(self, steps: tuple[Step, ...]) -> None:
        """Sales to marketing records Rejected; a partner's return records Returned or Reclaimed.

        Each with a code of the matching catalogue, naming the partner that held the lead.
        """
        for back in hand_backs(steps):
            events = back.step.events
            if back.change.from_owner.kind is PartyKind.SALES:
                reasons = [e.reason for e in events if isinstance(e, Rejected)]
                assert reasons, back
                assert all(r in REJECTION_CODES for r in reasons), back
            else:
                partner = back.change.from_owner.partner_id
                records = [e for e in events if isinstance(e, Returned | Reclaimed)]
                assert [e.partner_id for e in records] == [partner], back
                assert all(e.reason in RETURN_CODES for e in records), back

    def test_the_walks_do_reach_hand_backs_of_both_kinds(self) -> None:
        """The generator finds walks where sales and a partner each give a lead back."""
        for kind in (PartyKind.SALES, PartyKind.PARTNER):
            found = find(
                walks(),
                lambda steps, kind=kind: any(
                    b.change.from_owner.kind is kind for b in hand_backs(steps)
                ),
                settings=settings(max_examples=300, deadline=None, database=None),
            )
            assert hand_backs(found)
