"""How the converter's rules and the validators read as JSON Schema keywords.

Why apart from `leadpipeline.schema`: these tables say what each type, validator and
cross-field check means in a schema; the builder there walks the classes and asks them.
A validator missing here adds no keyword; the schema tests then find the payloads
`from_json` refuses.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from leadpipeline import _checks, errors
from leadpipeline._typed import LONGEST
from leadpipeline.adapters.notification import DeliveryError
from leadpipeline.lead import Offer, Party, PartyKind
from leadpipeline.lifecycle import Lifecycle
from leadpipeline.playbook import Playbook
from leadpipeline.rules import qualification
from leadpipeline.rules.calendar import BusinessCalendar
from leadpipeline.rules.channels import ChannelOverride, ChannelPolicy, RevenueBand
from leadpipeline.rules.heat import HeatPolicy, _positive_span
from leadpipeline.rules.partners import Partner, PartnerPolicy
from leadpipeline.rules.returns import ReturnPolicy, ReturnReason
from leadpipeline.rules.scoring import ScoringModel
from leadpipeline.rules.scoring import rules as scoring_rules
from leadpipeline.rules.sla import Breach
from leadpipeline.rules.sla import policy as sla_policy
from leadpipeline.stages import OfferToPartners, Transition

Schema = dict[str, Any]


def doc(obj: object) -> str:
    """The first paragraph of an object's docstring, on one line."""
    text = inspect.getdoc(obj) or ""
    return " ".join(text.split("\n\n")[0].split())


_FLOAT_MAX = 1.7976931348623157e308
_SECONDS_MAX = int(LONGEST.total_seconds())  # a century: the longest duration a value holds
_NOT_BLANK = (
    "[^\\u0000\\t\\n\\v\\f\\r \\u001c-\\u001f\\u0085\\u00a0\\u1680\\u2000-\\u200a"
    "\\u2028\\u2029\\u202f\\u205f\\u3000]"
)
"""A character Python's `str.strip` keeps (NUL excluded, as everywhere): a text matching it
somewhere is not blank."""
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_INSTANT_YEAR = (
    "(?:19(?:0[1-9]|[1-9][0-9])|[2-7][0-9]{3}|8(?:[0-8][0-9]{2}|9(?:[0-8][0-9]|9[0-8])))"
)
"""Years 1901 to 8998: in any offset, such an instant lies inside the values' range (from
1900-01-01 up to 9000-01-01 UTC), so the schema never accepts what the values refuse."""
_DATE = f"{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
_OFFSET = "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"

_NO_NUL = "^[^\\u0000]*$"
"""Text without NUL: no store's JSON can hold that character."""

SCALARS: dict[Any, Schema] = {
    str: {"type": "string", "pattern": _NO_NUL},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    float: {"type": "number", "minimum": -_FLOAT_MAX, "maximum": _FLOAT_MAX},
    datetime: {
        "type": "string",
        "format": "date-time",
        "pattern": f"^{_INSTANT_YEAR}{_DATE[len(_YEAR) :]}T{_TIME}{_OFFSET}$",
        "description": (
            "An RFC 3339 instant with its UTC offset, from 1900 up to the year 8999; "
            "naive times are refused."
        ),
    },
    date: {"type": "string", "format": "date", "pattern": f"^{_DATE}$"},
    timedelta: {
        "type": "number",
        "minimum": -_SECONDS_MAX,
        "maximum": _SECONDS_MAX,
        "description": "A duration in seconds, at most a century either way.",
    },
}

_POSITIVE_SECONDS: Schema = {"minimum": 1e-6}  # below a microsecond rounds to nothing
_NON_EMPTY_TEXTS: Schema = {
    "minItems": 1,
    "items": {"pattern": f"^[^\\u0000]*{_NOT_BLANK}[^\\u0000]*$"},
}

# Keywords for the validators that guard single fields; anything else a validator checks
# is listed in _RULES below, by class.
VALIDATORS: dict[Callable[..., Any], Schema] = {
    _checks.not_blank: {"pattern": f"^[^\\u0000]*{_NOT_BLANK}[^\\u0000]*$"},
    _checks.non_negative: {"minimum": 0},
    _checks.positive: {"exclusiveMinimum": 0},
    scoring_rules._finite: {},  # numbers are finite already
    scoring_rules._non_empty: _NON_EMPTY_TEXTS,
    sla_policy._known_event: {"enum": sorted(sla_policy.EVENT_TYPE_NAMES)},
    sla_policy._positive_duration: _POSITIVE_SECONDS,
    sla_policy._non_negative_duration: {"minimum": 0},
    _positive_span: _POSITIVE_SECONDS,
    qualification._number: {},
    qualification._some: {"minItems": 1},
}
FIELDS: dict[tuple[type, str], Schema] = {
    (OfferToPartners, "expires_in"): _POSITIVE_SECONDS,
    (sla_policy.HotLead, "min_interactions"): {"minimum": 1},
    (scoring_rules.CalendarStep, "factor"): {"minimum": 0, "exclusiveMaximum": 1},
}
RULES: dict[type, tuple[str, ...]] = {
    Offer: ("expires_at is after offered_at",),
    Transition: ("every event, notification and rewrite belongs to lead_id; versions add up",),
    Playbook: (
        "rejection reason codes are unique, and there is at least one",
        "partner ids are unique, and the partner policy weighs each partner's grade",
        "no SLA condition is hot_lead (hot is `heat`'s); an SLA starting on CallRequested "
        "allows heat.call_within",
        "calendars have unique names; partners and team_calendars name known calendars",
    ),
    Lifecycle: (
        "stage names are unique and not blank; each stage has an owner",
        "no role is played by two stages",
        "initial and every move name stages of the lifecycle",
        "every stage can be reached from initial",
    ),
    ScoringModel: (
        "rule names and group names are unique; a rule's group is declared",
        "a rule's field names a field of a lead that its match can test",
        "grade bands run best first; floor is not above cap",
    ),
    scoring_rules.InRange: ("at_least or at_most is given, at_least not above at_most",),
    scoring_rules.CalendarStep: ("months, weeks or days is above zero",),
    qualification.ScoreAtLeast: ("exit_below is not above threshold",),
    qualification.FieldInRange: (
        "field names a number of a lead",
        "at_least or at_most is given, at_least not above at_most",
    ),
    qualification.FieldPresent: ("field names a field of a lead",),
    HeatPolicy: ("warm_touches is not above hot_touches",),
    RevenueBand: ("max_revenue is above min_revenue",),
    ChannelOverride: ("it names a country, a region or a product line",),
    ChannelPolicy: ("bands start at 0, ascend without gaps or overlaps, with unique names",),
    Partner: ("max_deal_size is not below min_deal_size",),
    PartnerPolicy: ("each grade is weighted once, at least one", "offer_expiry is positive"),
    ReturnPolicy: ("reason codes are unique", "when_no_partner_left is not next_partner"),
    ReturnReason: ("next_partner_needs only with the next_partner routing",),
    BusinessCalendar: (
        "hours are 'HH:MM' intervals that end after they start and do not overlap",
        "some day has working hours; time_zone is an IANA name",
        "country and subdivision are known to the holidays package; a subdivision needs a "
        "country; half_days name each date once, as 'MM-DD' or 'YYYY-MM-DD'",
    ),
    sla_policy.SlaPolicy: (
        "stops_on or ends_on names an event",
        "pauses_on and resumes_on come together",
        "escalation steps fire in order",
    ),
}
"""Cross-field rules the schema cannot state, per class, listed in the class's schema
under ``x-leadpipeline-rules``; `from_json` checks them when it builds the value."""


def unchanged(schema: Schema) -> Schema:
    return schema


def _party(schema: Schema) -> Schema:
    """A party's kind decides which of team, rep and partner_id it may have."""
    null: Schema = {"type": "null"}
    others = [k.value for k in PartyKind if k not in (PartyKind.SALES, PartyKind.PARTNER)]
    schema["oneOf"] = [
        {"properties": {"kind": {"const": PartyKind.SALES.value}, "partner_id": null}},
        {
            "properties": {
                "kind": {"const": PartyKind.PARTNER.value},
                "team": null,
                "rep": null,
                "partner_id": {"type": "string"},
            },
            "required": ["partner_id"],
        },
        {"properties": {"kind": {"enum": others}, "team": null, "rep": null, "partner_id": null}},
    ]
    return schema


def _event_match(schema: Schema) -> Schema:
    """Interaction kinds narrow only an ``InteractionRecorded`` match."""
    schema["if"] = {
        "properties": {"event": {"not": {"const": "InteractionRecorded"}}},
        "required": ["event"],
    }
    schema["then"] = {"properties": {"kinds": {"maxItems": 0}}}
    return schema


def _breach(schema: Schema) -> Schema:
    """A breach's deadline always has its due instant."""
    deadline = schema["properties"]["deadline"]
    schema["properties"]["deadline"] = {**deadline, "properties": {"due_at": {"type": "string"}}}
    return schema


REFINED: dict[type, Callable[[Schema], Schema]] = {
    Breach: _breach,
    Party: _party,
    sla_policy.EventMatch: _event_match,
}


def error_types() -> dict[str, type[errors.LeadPipelineError]]:
    found = [getattr(errors, n) for n in errors.__all__] + [DeliveryError]
    return {errors._snake(c.__name__): c for c in found}


def error_schema() -> Schema:
    text: Schema = {"type": "string"}
    texts: Schema = {"type": "array", "items": text}

    def closed(**props: Schema) -> Schema:
        return {
            "type": "object",
            "properties": props,
            "required": sorted(props),
            "additionalProperties": False,
        }

    problems = closed(problems={"type": "array", "items": closed(path=text, message=text)})
    refusal: dict[str, Schema] = {
        "lead_id": text,
        "stage": text,
        "command": text,
        "allowed": texts,
        "reason": text,
    }
    missed = {"type": "array", "items": closed(criterion=text, observed=text)}
    details: dict[type, Schema] = {
        errors.ValidationError: problems,
        errors.TransitionError: closed(**refusal),
        errors.QualificationError: closed(**refusal, definition=text, met=texts, missed=missed),
        errors.LeadIdTakenError: closed(**refusal, differences=texts),
        errors.ConflictError: closed(
            lead_id=text, expected={"type": "integer"}, actual={"type": ["integer", "null"]}
        ),
        errors.NotFoundError: closed(lead_id=text, what=text),
        errors.LeadPipelineError: closed(),
    }
    variants = []
    for name, cls in sorted(error_types().items()):
        shape = next(details[c] for c in cls.__mro__ if c in details)  # the closest class
        variants.append(
            closed(
                type={"const": name},
                message=text,
                path={"type": ["string", "null"]},
                status={"const": cls.http_status},
                details=shape,
            )
            | {"title": cls.__name__, "description": doc(cls)}
        )
    return {
        "title": "Error",
        "description": "A refusal as data: `LeadPipelineError.to_dict()`.",
        "oneOf": variants,
    }


EXPRESSED: frozenset[type] = frozenset({*REFINED, sla_policy.HotLead})
"""Classes whose cross-field checks the schema states in full (refined, or by keywords)."""
