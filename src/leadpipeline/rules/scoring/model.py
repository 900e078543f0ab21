"""The scoring model: the whole policy as one value, checked against the Lead's fields.

Why: a rule names a Lead field by a dotted path; the model refuses, when built, a path
that names no field and a match that cannot test the field's kind, so a scorer never
meets either.
"""

from __future__ import annotations

import enum
import functools
import operator
import types
import typing
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import attrs

from leadpipeline._checks import not_blank, positive
from leadpipeline._typed import typed
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.lead import Lead
from leadpipeline.rules.scoring.rules import (
    GENERAL_GROUP,
    Contains,
    DomainIn,
    EngagementRule,
    Equals,
    FitRule,
    GradeBand,
    InRange,
    Missing,
    NegativeRule,
    OneOf,
    PointGroup,
    Present,
    _finite,
)

__all__ = ["ScoringModel", "field_kind"]

# --- field paths -------------------------------------------------------------------------


class _FieldKind(enum.StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOL = "bool"
    TEXTS = "texts"
    ITEMS = "items"
    RECORD = "record"


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _kind_of(tp: Any) -> _FieldKind:
    if tp is bool:
        return _FieldKind.BOOL
    if tp in (int, float):
        return _FieldKind.NUMBER
    if isinstance(tp, type) and issubclass(tp, str):
        return _FieldKind.TEXT
    if tp in (date, datetime):
        return _FieldKind.DATE
    if typing.get_origin(tp) is tuple:
        args = typing.get_args(tp)
        if args and isinstance(args[0], type) and issubclass(args[0], str):
            return _FieldKind.TEXTS
        return _FieldKind.ITEMS
    return _FieldKind.RECORD


@functools.lru_cache(maxsize=512)
def _resolve(path: str) -> tuple[_FieldKind, bool]:
    """The kind of a dotted Lead field and whether a part on the way may be None."""
    cls: Any = Lead
    optional_on_the_way = False
    segments = path.split(".")
    for i, segment in enumerate(segments):
        if not (isinstance(cls, type) and attrs.has(cls)):
            raise ValueError(f"unknown field {path!r}: {'.'.join(segments[:i])!r} has no fields")
        names = [a.name for a in attrs.fields(cls)]
        if segment not in names:
            known = ", ".join(names)
            raise ValueError(
                f"unknown field {path!r}: {cls.__name__} has no {segment!r} (known: {known})"
            )
        tp, optional = _unwrap_optional(typing.get_type_hints(cls)[segment])
        if optional and i < len(segments) - 1:
            optional_on_the_way = True
        cls = tp
    return _kind_of(cls), optional_on_the_way


def field_kind(path: str) -> str:
    """What a dotted Lead field holds, so rules can be checked against it when built.

    Raises:
        ValidationError: the path names no field of a Lead.

    Example:
        >>> field_kind("company.annual_revenue.amount"), field_kind("contact.job_title")
        ('number', 'text')
        >>> try:
        ...     field_kind("company.turnover")
        ... except ValidationError as exc:
        ...     print(exc.problems[0][1][:40])
        unknown field 'company.turnover': Compan
    """
    try:
        return str(_resolve(path)[0])
    except ValueError as exc:
        raise ValidationError.at("field", str(exc)) from None


@functools.lru_cache(maxsize=512)
def _getter(path: str) -> Callable[[Lead], Any]:
    get = operator.attrgetter(path)
    if not _resolve(path)[1]:
        return get

    def safe(lead: Lead) -> Any:
        try:
            return get(lead)
        except AttributeError:  # an optional part on the way is None
            return None

    return safe


def _is_present(value: Any) -> bool:
    """Known: not None, not blank, not an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, tuple):
        return bool(value)
    return True


# --- the model ---------------------------------------------------------------------------

_TEXTUAL = (_FieldKind.TEXT, _FieldKind.TEXTS)
_ALLOWED: dict[type, tuple[_FieldKind, ...]] = {
    Equals: _TEXTUAL,
    OneOf: _TEXTUAL,
    Contains: _TEXTUAL,
    DomainIn: (_FieldKind.TEXT,),
    InRange: (_FieldKind.NUMBER,),
    Present: tuple(_FieldKind),
    Missing: tuple(_FieldKind),
}


_DEFAULT_BANDS = (
    GradeBand(grade="A", min_fit=45),
    GradeBand(grade="B", min_fit=30),
    GradeBand(grade="C", min_fit=15),
)


@attrs.frozen(kw_only=True, cache_hash=True, field_transformer=typed)
class ScoringModel:
    """The whole scoring policy as one value; checked for consistency when built.

    `total` is the sum of the group scores (each capped by its group), capped by `cap`
    and never below `floor`. `grade_bands` run best first; a lead below every band gets
    `lowest_grade`.

    Raises:
        ConfigurationError: an unknown field path, a rule that cannot test its field,
            a duplicate rule name, an undeclared group or unordered grade bands; each
            problem names its path, e.g. ``fit[3].field``.

    Example:
        >>> bad = FitRule(name="x", field="company.turnover", match=Present(), points=5)
        >>> try:
        ...     ScoringModel(fit=(bad,))
        ... except ConfigurationError as exc:
        ...     print(exc.paths)
        ('fit[0].field',)
    """

    name: str = attrs.field(default="scoring", validator=not_blank)
    fit: tuple[FitRule, ...] = ()
    engagement: tuple[EngagementRule, ...] = ()
    negative: tuple[NegativeRule, ...] = ()
    groups: tuple[PointGroup, ...] = ()
    cap: float | None = attrs.field(default=None, validator=positive)
    floor: float | None = attrs.field(default=0.0, validator=_finite)
    grade_bands: tuple[GradeBand, ...] = _DEFAULT_BANDS
    lowest_grade: str = attrs.field(default="D", validator=not_blank)

    def __attrs_post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ConfigurationError(problems)

    def _problems(self) -> Iterable[tuple[str, str]]:
        group_names = [g.name for g in self.groups]
        for i, name in enumerate(group_names):
            if name in group_names[:i]:
                yield (f"groups[{i}].name", f"duplicate group {name!r}")
        known_groups = {GENERAL_GROUP, *group_names}
        seen: set[str] = set()
        rules: list[tuple[str, FitRule | NegativeRule | EngagementRule]] = [
            *((f"fit[{i}]", r) for i, r in enumerate(self.fit)),
            *((f"engagement[{i}]", r) for i, r in enumerate(self.engagement)),
            *((f"negative[{i}]", r) for i, r in enumerate(self.negative)),
        ]
        for where, rule in rules:
            if rule.name in seen:
                yield (f"{where}.name", f"duplicate rule name {rule.name!r}")
            seen.add(rule.name)
            if rule.group not in known_groups:
                yield (f"{where}.group", f"undeclared group {rule.group!r}; declare it in groups")
            if isinstance(rule, EngagementRule):
                continue
            try:
                kind, _ = _resolve(rule.field)
            except ValueError as exc:
                yield (f"{where}.field", str(exc))
                continue
            if kind not in _ALLOWED[type(rule.match)]:
                yield (
                    f"{where}.match",
                    f"{type(rule.match).__name__} cannot test {rule.field!r}, which holds {kind}",
                )
        grades = [b.grade for b in self.grade_bands]
        for i, band in enumerate(self.grade_bands):
            if band.grade in grades[:i] or band.grade == self.lowest_grade:
                yield (f"grade_bands[{i}].grade", f"duplicate grade {band.grade!r}")
            if i and band.min_fit >= self.grade_bands[i - 1].min_fit:
                yield (
                    f"grade_bands[{i}].min_fit",
                    "bands run best first, each below the one before",
                )
        if self.floor is not None and self.cap is not None and self.floor > self.cap:
            yield ("floor", f"floor {self.floor} is above cap {self.cap}")

    @property
    def grades(self) -> tuple[str, ...]:
        """The grades from best to worst, e.g. ``('A', 'B', 'C', 'D')``."""
        return (*(b.grade for b in self.grade_bands), self.lowest_grade)

    def grade_for(self, fit: float) -> str:
        """The grade a fit score earns.

        Example:
            >>> ScoringModel().grade_for(31), ScoringModel().grade_for(-5)
            ('B', 'D')
        """
        for band in self.grade_bands:
            if fit >= band.min_fit:
                return band.grade
        return self.lowest_grade

    def rule_names(self) -> tuple[str, ...]:
        """Every rule's name, fit first, then engagement, then negative."""
        rules: tuple[FitRule | EngagementRule | NegativeRule, ...] = (
            *self.fit,
            *self.engagement,
            *self.negative,
        )
        return tuple(r.name for r in rules)
