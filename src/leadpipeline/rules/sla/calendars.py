"""Which calendar an SLA clock counts in: the calendar of the party that must act.

Why: a partner in Vienna is held to Vienna's working days and holidays, a sales team in
New York to New York's hours; one office's calendar for everybody would count the wrong
days. A partner's offer response counts in the partner's calendar; sales' handover
response in that sales team's; anything not mapped in the default calendar.
"""

from __future__ import annotations

import attrs

from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError
from leadpipeline.lead import Party, PartyKind
from leadpipeline.rules.calendar import STANDARD_CALENDAR, BusinessCalendar

__all__ = ["PartyCalendars"]

_KINDS = frozenset(k.value for k in PartyKind)
_MEMO_LIMIT = 4_096


def _check_party(path: str, party: str) -> None:
    kind = party.split("/", 1)[0]
    if kind not in _KINDS or any(not part.strip() for part in party.split("/")):
        raise ConfigurationError.at(
            path,
            f"expected a party such as 'sales', 'sales/new-york' or 'partner/p-7', got "
            f"{party!r}; kinds: {', '.join(sorted(_KINDS))}",
        )


@attrs.frozen(kw_only=True, field_transformer=typed)
class PartyCalendars:
    """The calendar of each party: by party name, most specific first, else the default.

    `parties` maps a party as written (``"partner/p-7"``, ``"sales/new-york"``, or a
    whole kind, ``"sales"``) to its calendar; a party ``sales/new-york/ann`` finds
    ``sales/new-york``, then ``sales``, then `default`. A `Playbook` builds this from its
    named calendars, its partners' ``calendar`` and its ``team_calendars``.

    Example:
        >>> vienna = BusinessCalendar.weekly(time_zone="Europe/Vienna", country="AT",
        ...                                  name="vienna")
        >>> book = PartyCalendars(parties=(("partner/p-7", vienna),))
        >>> book.for_party(Party.partner("p-7")).name, book.for_party(Party.sales()).name
        ('vienna', 'standard')
    """

    default: BusinessCalendar = STANDARD_CALENDAR
    parties: tuple[tuple[str, BusinessCalendar], ...] = ()
    _by_name: dict[str, BusinessCalendar] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )
    # Party names already resolved: pure, bounded; a sweep asks about the same few.
    _found: dict[str, BusinessCalendar] = attrs.field(
        init=False, eq=False, repr=False, hash=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        by_name: dict[str, BusinessCalendar] = {}
        for i, (party, calendar) in enumerate(self.parties):
            _check_party(f"parties[{i}][0]", party)
            if party in by_name:
                raise ConfigurationError.at(f"parties[{i}][0]", f"{party!r} is listed twice")
            by_name[party] = calendar
        object.__setattr__(self, "_by_name", by_name)

    @property
    def single(self) -> BusinessCalendar | None:
        """The one calendar every party uses, when no party has its own."""
        return None if self._by_name else self.default

    def named(self, party: str) -> BusinessCalendar:
        """The calendar of a party written as ``kind/team/rep`` or ``partner/<id>``."""
        found = self._found.get(party)
        if found is None:
            found = self.default
            key = party
            while key:
                known = self._by_name.get(key)
                if known is not None:
                    found = known
                    break
                key = key.rpartition("/")[0]
            if len(self._found) >= _MEMO_LIMIT:
                self._found.clear()
            self._found[party] = found
        return found

    def for_party(self, party: Party | None) -> BusinessCalendar:
        """The calendar `party` works to (the default for no party)."""
        if party is None or not self._by_name:
            return self.default
        return self.named(str(party))

    def for_partner(self, partner_id: str) -> BusinessCalendar:
        """The calendar of a partner, by its id."""
        if not self._by_name:
            return self.default
        return self.named(f"partner/{partner_id}")
