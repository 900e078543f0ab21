"""Service-level agreements on a lead's history: deadlines, breaches and escalation.

An `SlaPolicy` says which event starts a clock (optionally only under conditions, such
as "a form submit from a hot lead"), which events stop it, how long the response may
take (wall-clock, or business time on a `BusinessCalendar`), when the clock pauses while
the lead waits on the customer, and the escalation ladder once it is breached.

Everything here is a pure function of the history, the policies, the calendar and an
explicit `now`. Escalation is idempotent: a step already recorded as an `Escalated`
event in the history is never due again; on a per-partner clock a recorded step or
breach counts only for the partner its event names. Callers that check many leads can
hold `CompiledPolicies` and pass it instead of the policies.
"""

from leadpipeline.rules.sla._fold import SlaFold
from leadpipeline.rules.sla.calendars import PartyCalendars
from leadpipeline.rules.sla.compiled import CompiledPolicies
from leadpipeline.rules.sla.defaults import DEFAULT_SLA_POLICIES
from leadpipeline.rules.sla.evaluate import breaches, deadlines, escalation_due, fold_clocks
from leadpipeline.rules.sla.policy import (
    EVENT_TYPE_NAMES,
    AssignedTo,
    Condition,
    EscalationAction,
    EscalationStep,
    EventMatch,
    HotLead,
    InStage,
    InteractionIs,
    SlaPolicy,
    TimeBasis,
)
from leadpipeline.rules.sla.results import Breach, Deadline, Escalation

__all__ = [
    "DEFAULT_SLA_POLICIES",
    "EVENT_TYPE_NAMES",
    "AssignedTo",
    "Breach",
    "CompiledPolicies",
    "Condition",
    "Deadline",
    "Escalation",
    "EscalationAction",
    "EscalationStep",
    "EventMatch",
    "HotLead",
    "InStage",
    "InteractionIs",
    "PartyCalendars",
    "SlaFold",
    "SlaPolicy",
    "TimeBasis",
    "breaches",
    "deadlines",
    "escalation_due",
    "fold_clocks",
]
