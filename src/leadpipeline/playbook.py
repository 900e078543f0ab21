"""The playbook: every policy of the organisation in one value.

Stages, scoring, qualification definitions, channel bands, the partner roster, return
reasons, SLAs and the business calendar live here as data, so a playbook can be loaded from
TOML, diffed, versioned, and tweaked with `attrs.evolve` in a notebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import attrs

from leadpipeline._checks import positive
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle
from leadpipeline.rules.calendar import STANDARD_CALENDAR, BusinessCalendar
from leadpipeline.rules.channels import DEFAULT_CHANNEL_POLICY, ChannelPolicy
from leadpipeline.rules.heat import HeatPolicy
from leadpipeline.rules.partners import (
    DEFAULT_PARTNER_POLICY,
    Partner,
    PartnerPolicy,
    check_roster,
)
from leadpipeline.rules.qualification import (
    DEFAULT_MQL,
    DEFAULT_SAL,
    DEFAULT_SQL,
    Definition,
    OnMiss,
)
from leadpipeline.rules.returns import (
    DEFAULT_REJECTION_REASONS,
    DEFAULT_RETURN_POLICY,
    RejectionReason,
    ReturnPolicy,
    Routing,
)
from leadpipeline.rules.scoring import DEFAULT_SCORING_MODEL, ScoringModel
from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES, HotLead, PartyCalendars, SlaPolicy
from leadpipeline.rules.stale import StalePolicy

__all__ = ["DEFAULT_PLAYBOOK", "Playbook"]


def _not_negative(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if value < timedelta(0):
        raise ConfigurationError.at(attribute.name, f"must not be negative, got {value}")


@attrs.frozen(kw_only=True, field_transformer=typed)
class Playbook:
    """All policy values the decisions consult, checked for consistency when built.

    Example:
        >>> import attrs
        >>> emea = attrs.evolve(DEFAULT_PLAYBOOK, name="emea", default_sales_cycle_months=9)
        >>> emea.lifecycle is DEFAULT_PLAYBOOK.lifecycle, emea.default_sales_cycle_months
        (True, 9)
    """

    name: str = "standard"
    lifecycle: Lifecycle = STANDARD_LIFECYCLE
    scoring: ScoringModel = DEFAULT_SCORING_MODEL
    mql: Definition = DEFAULT_MQL
    sal: Definition = DEFAULT_SAL
    on_sal_miss: OnMiss = OnMiss.REFUSE
    """Whether sales accepting a lead that misses the SAL definition is refused (with the
    assessment) or goes ahead with the missed criteria recorded as a warning."""
    sql: Definition = DEFAULT_SQL
    default_sales_cycle_months: int = attrs.field(default=6, validator=positive)
    enforce_handover_window: bool = True
    heat: HeatPolicy = attrs.field(factory=HeatPolicy)
    stale: StalePolicy = attrs.field(factory=StalePolicy)
    """When a lead marketing holds is stale (a low score without progress) and what then."""
    rejection_reasons: tuple[RejectionReason, ...] = DEFAULT_REJECTION_REASONS
    no_response_reason: str = "no_response"
    """The rejection code recorded when an SLA escalation returns a handover sales never
    answered to marketing; one of `rejection_reasons`, so every hand-back has a reason."""
    channel_policy: ChannelPolicy = DEFAULT_CHANNEL_POLICY
    partners: tuple[Partner, ...] = ()
    partner_policy: PartnerPolicy = DEFAULT_PARTNER_POLICY
    return_policy: ReturnPolicy = DEFAULT_RETURN_POLICY
    when_offers_lapse: Routing = Routing.NEXT_PARTNER
    reclaim_routing: Routing = Routing.NEXT_PARTNER
    hide_scoring_from_partners: bool = True
    merge_duplicates: bool = True
    sla_policies: tuple[SlaPolicy, ...] = DEFAULT_SLA_POLICIES
    calendar: BusinessCalendar = STANDARD_CALENDAR
    # --- each party's own calendar -------------------------------------------------------
    calendars: tuple[BusinessCalendar, ...] = attrs.field(
        default=(), metadata={"table_key": "name"}
    )
    """Named calendars (in a file: ``[calendars.vienna]``), for partners and teams."""
    team_calendars: tuple[tuple[str, str], ...] = attrs.field(
        default=(), metadata={"table_pairs": True}
    )
    """Calendar names by party (``"sales/new-york"``, or a whole kind, ``"sales"``); a
    partner names its own in the roster. Anything unmapped works to `calendar`."""
    _party_calendars: PartyCalendars = attrs.field(init=False, eq=False, repr=False, hash=False)
    # --- end of each party's own calendar --------------------------------------------------
    clock_tolerance: timedelta = attrs.field(default=timedelta(seconds=2), validator=_not_negative)
    """How far behind the lead's last event a writer's clock may be: hosts never agree to
    the millisecond. Within it a command takes the last event's time; beyond it, refused."""

    def __attrs_post_init__(self) -> None:
        check_roster(self.partners, self.partner_policy)
        problems: list[tuple[str, str]] = []
        codes = [r.code for r in self.rejection_reasons]
        for i, code in enumerate(codes):
            if codes.index(code) != i:
                problems.append((f"rejection_reasons[{i}].code", f"{code!r} is listed twice"))
        if not self.rejection_reasons:
            problems.append(("rejection_reasons", "sales needs at least one rejection reason"))
        elif self.no_response_reason not in codes:
            problems.append(
                (
                    "no_response_reason",
                    f"{self.no_response_reason!r} is not a rejection reason: give one of "
                    + ", ".join(codes),
                )
            )
        problems += _one_hot_rule(self)
        if problems:
            raise ConfigurationError(problems)
        object.__setattr__(self, "_party_calendars", self._build_party_calendars())

    def _build_party_calendars(self) -> PartyCalendars:
        """Each named calendar under its name, checked: unknown names refused by path."""
        named: dict[str, BusinessCalendar] = {}
        for i, cal in enumerate(self.calendars):
            if not cal.name.strip():
                raise ConfigurationError.at(f"calendars[{i}].name", "a named calendar needs a name")
            if cal.name in named:
                raise ConfigurationError.at(f"calendars.{cal.name}", "the name is used twice")
            named[cal.name] = cal

        def find(path: str, name: str) -> BusinessCalendar:
            if name not in named:
                known = ", ".join(sorted(named)) or "none"
                raise ConfigurationError.at(
                    path, f"unknown calendar {name!r}; the playbook's calendars: {known}"
                )
            return named[name]

        parties: list[tuple[str, BusinessCalendar]] = []
        for i, partner in enumerate(self.partners):
            if partner.calendar:
                parties.append(
                    (f"partner/{partner.id}", find(f"partners[{i}].calendar", partner.calendar))
                )
        for party, name in self.team_calendars:
            path = f"team_calendars.{party}"
            if party.startswith("partner/") and any(p == party for p, _ in parties):
                raise ConfigurationError.at(path, "the partner names its calendar in the roster")
            parties.append((party, find(path, name)))
        try:
            return PartyCalendars(default=self.calendar, parties=tuple(parties))
        except ConfigurationError as exc:  # a malformed party name, by its path here
            problems = [(f"team_calendars.{parties[int(p[8:-4])][0]}", m) for p, m in exc.problems]
            raise ConfigurationError(problems) from None

    @property
    def party_calendars(self) -> PartyCalendars:
        """The calendar each party works to, for SLA clocks (see `calendars`)."""
        return self._party_calendars

    def with_loads(self, loads: Mapping[str, int]) -> Playbook:
        """This playbook with each rostered partner's current open-lead count.

        Why: capacity and load balancing weigh how many leads a partner holds now,
        which only the store knows; the shell reads the counts and passes them in here.
        """
        if not self.partners:
            return self
        partners = tuple(attrs.evolve(p, open_leads=loads.get(p.id, 0)) for p in self.partners)
        return attrs.evolve(self, partners=partners)

    def partner(self, partner_id: str) -> Partner | None:
        """The roster entry of a partner, if it is on the roster."""
        return next((p for p in self.partners if p.id == partner_id), None)

    # -- the five-minute call: one rule ------------------------------------------------

    def with_heat(self, heat: HeatPolicy) -> Playbook:
        """This playbook with another hot-lead rule, its SLA on the call following along.

        Why: the call window is one setting; an SLA on the call (one that starts on
        ``CallRequested``) must allow exactly `heat.call_within`, so both change together.

        Example:
            >>> from datetime import timedelta
            >>> quick = DEFAULT_PLAYBOOK.with_heat(HeatPolicy(call_within=timedelta(minutes=3)))
            >>> [p.allowed for p in quick.sla_policies if p.starts_on == "CallRequested"]
            [datetime.timedelta(seconds=180)]
        """
        policies = tuple(
            attrs.evolve(p, allowed=heat.call_within) if p.starts_on == _CALL_STARTS_ON else p
            for p in self.sla_policies
        )
        return attrs.evolve(self, heat=heat, sla_policies=policies)


_CALL_STARTS_ON = "CallRequested"


def _one_hot_rule(playbook: Playbook) -> list[tuple[str, str]]:
    """Where the SLAs would define hot, or time the call, other than the `heat` policy does."""
    problems: list[tuple[str, str]] = []
    for i, policy in enumerate(playbook.sla_policies):
        for j, condition in enumerate(policy.conditions):
            if isinstance(condition, HotLead):
                problems.append(
                    (
                        f"sla_policies[{i}].conditions[{j}]",
                        "hot is defined once, by the playbook's `heat`: start the clock on "
                        "CallRequested instead of a hot_lead condition",
                    )
                )
        if policy.starts_on == _CALL_STARTS_ON and policy.allowed != playbook.heat.call_within:
            problems.append(
                (
                    f"sla_policies[{i}].allowed",
                    f"the call is due within heat.call_within ({playbook.heat.call_within}), "
                    f"got {policy.allowed}; change both with Playbook.with_heat",
                )
            )
    return problems


DEFAULT_PLAYBOOK = Playbook()
"""The standard waterfall with the defaults drawn from the source texts (no partners yet)."""
