"""The column mapping: which column of an export feeds which lead field, and how to read it.

Why: every CRM export names and spells things its own way ("Lead Source" = "Trade Show",
"Select" for unknown, dates as 01.03.2026). A mapping says so once, as a plain value that
loads from TOML through the library's one converter, is checked when built, and can be
shipped to another process (a Spark executor) as it is. The readers apply it; the core
never sees a column.

Example:
    >>> from leadpipeline.serialization import from_toml
    >>> mapping = from_toml('''
    ... id = "Lead ID"
    ... time_zone = "Europe/Berlin"
    ... [[columns]]
    ... header = "Lead Source"
    ... field = "source.channel"
    ... values = { "Trade Show" = "exhibition", "Web" = "web" }
    ... [[columns]]
    ... header = "Created"
    ... field = "source.captured_at"
    ... ''', ColumnMapping)
    >>> mapping.column_for("source.channel").values["Trade Show"]
    'exhibition'
"""

from __future__ import annotations

import enum
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs

from leadpipeline._checks import not_blank, positive
from leadpipeline.errors import ConfigurationError
from leadpipeline.frames._fields import Kind, lead_fields, spec_of
from leadpipeline.lead import InteractionKind

__all__ = [
    "DEFAULT_MISSING",
    "Column",
    "ColumnMapping",
    "OutcomeColumns",
    "TouchColumn",
    "TouchCount",
    "TouchTable",
    "Unmapped",
    "load_mapping",
]

DEFAULT_MISSING: tuple[str, ...] = ("", "Select", "N/A", "NaN", "None", "null")
"""Cell texts that mean "unknown" in most exports; empty cells, NaN and None always do."""

RESULTS = frozenset({"won", "lost", "open"})
"""What an outcome's result column must map to."""


def _frozen_map(value: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(value))


def _map_field() -> Any:
    # hash=False: a read-only mapping is not hashable; equality still compares it
    return attrs.field(factory=dict, converter=_frozen_map, hash=False)


def _rebuilt(cls: type[Any], fields: dict[str, Any]) -> Any:
    return cls(**fields)


def _reduce(self: Any) -> tuple[Any, ...]:
    """Pickle as plain fields: a read-only mapping does not pickle, its dict does.

    So a mapping ships to other processes (a Spark executor) and is checked again there.
    """
    fields = {a.name: getattr(self, a.name) for a in attrs.fields(type(self))}
    plain = {k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in fields.items()}
    return (_rebuilt, (type(self), plain))


class Unmapped(enum.StrEnum):
    """What happens to a cell whose text the column's value map does not list."""

    REFUSE = "refuse"
    """Refuse the row: an unknown value is a mistake to look at (the default)."""
    KEEP = "keep"
    """Keep the text as it is."""
    MISSING = "missing"
    """Treat it as unknown."""


@attrs.frozen(kw_only=True)
class Column:
    """One column of the export and the lead field it feeds.

    `values` maps the export's texts to the field's (for example "Trade Show" to
    "exhibition"); a text it does not list is handled as `unmapped` says. `separator`
    splits a cell into the items of a list field such as ``interests``. `formats` are
    ``strptime`` formats for a date column, tried in order, before the mapping's own.
    """

    __reduce__ = _reduce

    header: str = attrs.field(validator=not_blank)
    field: str = attrs.field(validator=not_blank)
    values: Mapping[str, str] = _map_field()
    unmapped: Unmapped = Unmapped.REFUSE
    separator: str = attrs.field(default=";", validator=not_blank)
    formats: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class TouchColumn:
    """A column of the lead row whose cells are the times of touches of one kind.

    For example "Last Form Submit" holds the time of a form submit; with `separator`, a
    cell may hold several times.
    """

    header: str = attrs.field(validator=not_blank)
    kind: InteractionKind
    separator: str | None = None


@attrs.frozen(kw_only=True)
class TouchCount:
    """A column of the lead row whose cells count touches of one kind, without their times.

    Public exports often say only how often ("TotalVisits" = 7). Each cell becomes that
    many touches of `kind`, dated at the lead's capture time since the export gives no
    other; with `per`, one touch stands for every `per` units of the cell (a column of
    seconds on the site read with ``per = 60`` gives a touch per minute), rounded down.
    A cell above `MOST_COUNTED` touches is refused: it is a typo or a bot.
    """

    header: str = attrs.field(validator=not_blank)
    kind: InteractionKind
    per: float = attrs.field(default=1.0, converter=float, validator=positive)


MOST_COUNTED = 10_000
"""The most touches one cell of a `TouchCount` column may stand for."""


@attrs.frozen(kw_only=True)
class TouchTable:
    """The second, long table of touches: one row per touch, with lead id, kind and time.

    `kinds` maps the export's activity names to interaction kinds; names listed in `skip`
    are left out on purpose, and any other unknown name refuses the touch (and so its lead).
    """

    __reduce__ = _reduce

    lead_id: str = attrs.field(default="lead_id", validator=not_blank)
    kind: str = attrs.field(default="kind", validator=not_blank)
    at: str = attrs.field(default="at", validator=not_blank)
    detail: str | None = None
    kinds: Mapping[str, str] = _map_field()
    skip: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class OutcomeColumns:
    """The columns that say how a lead ended and when it got where: a back-test's history.

    `result` holds won, lost or open (mapped with `results`); `reached` maps a stage name
    to the column of the date the lead reached it; `stage` (mapped with `stages`) names
    the furthest stage reached when the dates do not say. A lost lead without a reason
    gets `lost_reason`.
    """

    __reduce__ = _reduce

    result: str | None = None
    results: Mapping[str, str] = _map_field()
    closed_at: str | None = None
    revenue: str | None = None
    reason: str | None = None
    stage: str | None = None
    stages: Mapping[str, str] = _map_field()
    reached: Mapping[str, str] = _map_field()
    lost_reason: str = attrs.field(default="lost", validator=not_blank)

    def columns(self) -> Iterator[tuple[str, str, Mapping[str, str]]]:
        """Each mapped outcome column as ``(header, canonical name, value map)``."""
        plain: tuple[tuple[str | None, str, Mapping[str, str]], ...] = (
            (self.result, "outcome.result", self.results),
            (self.closed_at, "outcome.closed_at", {}),
            (self.revenue, "outcome.revenue", {}),
            (self.reason, "outcome.reason", {}),
            (self.stage, "outcome.stage", self.stages),
        )
        for header, name, values in plain:
            if header is not None:
                yield header, name, values
        for stage, header in self.reached.items():
            yield header, f"reached.{stage}", {}


@attrs.frozen(kw_only=True)
class ColumnMapping:
    """How an export's columns become leads: a plain value, checked when built.

    `id` is the header of the lead id column. `constants` gives a field the same text on
    every row (for example ``company.annual_revenue.source = "crm"``). `missing` lists
    the cell texts that mean unknown (after trimming spaces); empty cells, NaN and None
    always do. Date-times without a UTC offset are read in `time_zone`; `date_formats`
    are ``strptime`` formats tried in order (ISO 8601 when none is given). Numbers may use
    another `decimal` mark and a `thousands` separator. `touches` are columns of touch
    times, `counts` columns of how many touches of a kind, `touch_table` the long table.

    Raises:
        ConfigurationError: an unknown or duplicate field, a required field without a
            column or constant, an unknown time zone or interaction kind; each problem
            names its path, e.g. ``columns[2].field``.
    """

    __reduce__ = _reduce

    id: str = attrs.field(validator=not_blank)
    columns: tuple[Column, ...] = ()
    name: str = attrs.field(default="mapping", validator=not_blank)
    constants: Mapping[str, str] = _map_field()
    missing: tuple[str, ...] = DEFAULT_MISSING
    date_formats: tuple[str, ...] = ()
    time_zone: str = "UTC"
    decimal: str = attrs.field(default=".", validator=not_blank)
    thousands: str | None = None
    touches: tuple[TouchColumn, ...] = ()
    counts: tuple[TouchCount, ...] = ()
    touch_table: TouchTable | None = None
    outcome: OutcomeColumns | None = None

    def __attrs_post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ConfigurationError(problems)

    def _problems(self) -> Iterable[tuple[str, str]]:
        fields = lead_fields()
        fed: dict[str, str] = {}
        for i, column in enumerate(self.columns):
            spec = fields.get(column.field)
            if spec is None or column.field == "id":
                known = ", ".join(p for p in fields if p != "id")
                yield (
                    f"columns[{i}].field",
                    f"{column.field!r} is no field a column feeds ({known})",
                )
                continue
            if column.field in fed:
                yield (f"columns[{i}].field", f"{column.field!r} is fed by {fed[column.field]}")
            fed[column.field] = f"columns[{i}]"
        for path in self.constants:
            if path not in fields or path == "id":
                yield (f"constants.{path}", "no field of a lead")
            elif path in fed:
                yield (f"constants.{path}", f"also fed by {fed[path]}")
            else:
                fed[path] = f"constants.{path}"
        for spec in fields.values():
            if spec.required and spec.within is None and spec.path != "id" and spec.path not in fed:
                yield ("columns", f"{spec.path} is required: map a column or give a constant")
        for record in {s.within for s in fields.values() if s.within}:
            inner = [s for s in fields.values() if s.within == record]
            if any(s.path in fed for s in inner):
                for s in inner:
                    if s.required and s.path not in fed:
                        yield ("columns", f"{s.path} is required with {record}: map or constant")
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            yield ("time_zone", f"unknown time zone {self.time_zone!r}")
        if self.thousands is not None and self.thousands == self.decimal:
            yield ("thousands", "must differ from the decimal mark")
        kinds = {k.value for k in InteractionKind}
        if self.touch_table is not None:
            for raw, kind in self.touch_table.kinds.items():
                if kind not in kinds:
                    yield (f"touch_table.kinds.{raw}", f"{kind!r} is no interaction kind")
        if self.outcome is not None:
            for raw, result in self.outcome.results.items():
                if result not in RESULTS:
                    yield (f"outcome.results.{raw}", f"{result!r}: map to won, lost or open")
        headers = [
            *(c.header for c in self.columns),
            *(t.header for t in self.touches),
            *(t.header for t in self.counts),
        ]
        for i, header in enumerate(headers):
            if header == self.id or header in headers[:i]:
                yield ("columns", f"column {header!r} is mapped twice")

    def column_for(self, field: str) -> Column | None:
        """The column feeding `field`, if any."""
        return next((c for c in self.columns if c.field == field), None)

    def kind_of(self, name: str) -> Kind:
        """What a canonical column (a field path, ``outcome.*`` or ``reached.*``) holds."""
        spec = spec_of(name)
        if spec is None:
            raise KeyError(name)
        return spec.kind


def load_mapping(path: str | Path) -> ColumnMapping:
    """Load a column mapping from a ``.toml`` (or ``.json``) file.

    Raises:
        ValidationError: the file cannot be read, or a field is wrong; the path names it.
    """
    from leadpipeline.serialization import load_file  # noqa: PLC0415  # serialization imports the whole model

    mapping: ColumnMapping = load_file(path, ColumnMapping)
    return mapping
