"""Where a lead stands, in one value a person can read: stage, owner, score, verdict, clocks.

Why: "why is this lead (not) an MQL, and what is it waiting for?" is asked of one lead at
a time by people; the answer gathers the current score with its top reasons, the MQL
assessment with what is missing, and every SLA clock still running, each in words. Pure:
the shell passes the lead, its history, the playbook and `now`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from leadpipeline._checks import require_aware
from leadpipeline._typed import typed
from leadpipeline.events import Event
from leadpipeline.lead import Lead
from leadpipeline.playbook import Playbook
from leadpipeline.rules.qualification import Assessment, assess
from leadpipeline.rules.sla import Deadline, TimeBasis, deadlines

__all__ = ["LeadStatus", "OpenClock", "lead_status"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class OpenClock:
    """One SLA clock still running: the policy's words, its deadline, and its state in words."""

    policy: str
    description: str
    deadline: Deadline
    state: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class LeadStatus:
    """A lead's standing at `at`; `explain()` says it in lines a manager reads."""

    lead_id: str
    at: datetime
    stage: str
    owner: str
    score: float
    mql: Assessment
    clocks: tuple[OpenClock, ...]

    def explain(self) -> str:
        """Stage and owner, score and top reasons, the MQL verdict, open SLA clocks.

        Returns the text; print it to read it.
        """
        when = self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"{self.lead_id}: {self.stage}, owned by {self.owner} (as of {when})",
            *self.mql.explain().splitlines()[1:],
        ]
        verdict = "qualified" if self.mql.qualified else "not qualified"
        lines.insert(1, f"  {self.mql.definition}: {verdict}")
        if not self.clocks:
            lines.append("  SLA: no clock running")
        for clock in self.clocks:
            lines.append(f"  SLA: {clock.state}: {clock.description}")
        return "\n".join(lines)


def lead_status(
    lead: Lead, history: tuple[Event, ...], playbook: Playbook, *, now: datetime
) -> LeadStatus:
    """The lead's status as of `now`: score, MQL assessment and each open SLA clock.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> from leadpipeline.playbook import DEFAULT_PLAYBOOK
        >>> at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=at))
        >>> history = (LeadCaptured(lead_id="L-1", at=at, actor=Party.marketing(), lead=lead),)
        >>> print(lead_status(lead, history, DEFAULT_PLAYBOOK, now=at).explain())
        ... # doctest: +ELLIPSIS
        L-1: inquiry, owned by marketing (as of 2026-03-02 09:00 UTC)
          mql: not qualified
          score 0 (fit 0, engagement 0)
          missing: score >= 50 (in stage: >= 40) (seen: score 0)
        ...
          SLA: no clock running
    """
    require_aware("now", now)
    in_stage = lead.stage != playbook.lifecycle.waterfall[0]
    mql = assess(lead, playbook.mql, playbook.scoring, now=now, currently_in=in_stage)
    policies = {p.name: p for p in playbook.sla_policies}
    clocks = []
    for deadline in deadlines(history, playbook.sla_policies, playbook.calendar):
        if deadline.met_at is not None:
            continue
        policy = policies[deadline.policy]
        business = policy.basis is TimeBasis.BUSINESS
        clocks.append(
            OpenClock(
                policy=policy.name,
                description=policy.description or policy.name,
                deadline=deadline,
                state=deadline.explain(now=now, calendar=playbook.calendar if business else None),
            )
        )
    return LeadStatus(
        lead_id=lead.id,
        at=now,
        stage=lead.stage,
        owner=str(lead.owner),
        score=mql.score_card.total,
        mql=mql,
        clocks=tuple(clocks),
    )
