"""Lead scoring: points for persona values and touches, explained rule by rule.

A `ScoringModel` is plain data (it round-trips through JSON and TOML). It holds fit rules
on contact and firmographic fields, engagement rules on interactions (points per touch,
capped, within a recency window, decaying with age), negative rules (competitor, free-mail,
student) and point groups with caps. `score` returns a `ScoreCard` that carries every
contribution, so a marketer can always answer "why this score?".

`compile_model` turns a model, once, into generated Python source with every rule written
out inline (readable as `CompiledModel.source`) and remembers the result per model value,
so `score`, `score_many` and `score_totals` never interpret rules lead by lead. For batches
where only the totals matter, `score_totals` builds no explanation at all.
"""

from __future__ import annotations

import enum
import functools
import math
import operator
import types
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from leadpipeline._checks import non_negative, not_blank, positive, require_aware
from leadpipeline.errors import ConfigurationError, ValidationError
from leadpipeline.lead import InteractionKind, Lead

__all__ = [
    "DEFAULT_SCORING_MODEL",
    "GENERAL_GROUP",
    "CalendarStep",
    "CompiledModel",
    "Contains",
    "Contribution",
    "Decay",
    "DomainIn",
    "EngagementRule",
    "Equals",
    "FitRule",
    "GradeBand",
    "GroupScore",
    "HalfLife",
    "InRange",
    "Match",
    "Missing",
    "NegativeRule",
    "OneOf",
    "PointGroup",
    "Present",
    "RuleKind",
    "ScoreCard",
    "ScoringModel",
    "compile_model",
    "field_kind",
    "score",
    "score_many",
    "score_totals",
]

GENERAL_GROUP = "general"
"""The group of every rule that names none; it exists in every model, uncapped unless declared."""

_DAY = 86400.0


def _finite(_: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not math.isfinite(value):
        raise ValidationError.at(attribute.name, f"expected a finite number, got {value!r}")


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


# --- matchers ----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Equals:
    """The field equals this text (case-insensitive); on a list, any item does."""

    value: str = attrs.field(validator=not_blank)


def _non_empty(_: Any, attribute: attrs.Attribute[Any], value: Iterable[str]) -> None:
    items = list(value)
    if not items:
        raise ValidationError.at(attribute.name, "must name at least one value")
    for i, item in enumerate(items):
        if not item.strip():
            raise ValidationError.at(f"{attribute.name}[{i}]", "must not be blank")


@attrs.frozen(kw_only=True)
class OneOf:
    """The field is one of these texts (case-insensitive); on a list, any item is."""

    values: tuple[str, ...] = attrs.field(validator=_non_empty)


@attrs.frozen(kw_only=True)
class InRange:
    """A number between `at_least` and `at_most`, both inclusive; either may be open."""

    at_least: float | None = attrs.field(default=None, validator=_finite)
    at_most: float | None = attrs.field(default=None, validator=_finite)

    def __attrs_post_init__(self) -> None:
        if self.at_least is None and self.at_most is None:
            raise ValidationError.at("at_least", "give at_least, at_most or both")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValidationError.at("at_most", "must not be below at_least")


@attrs.frozen(kw_only=True)
class Present:
    """The field is known: not None, not blank, not an empty list."""


@attrs.frozen(kw_only=True)
class Missing:
    """The field is unknown: None, blank or an empty list."""


@attrs.frozen(kw_only=True)
class Contains:
    """The text contains this text (case-insensitive), e.g. a job title with "head of"."""

    text: str = attrs.field(validator=not_blank)


@attrs.frozen(kw_only=True)
class DomainIn:
    """An email address or domain is one of these domains or a subdomain of one."""

    domains: frozenset[str] = attrs.field(validator=_non_empty)


Match = Equals | OneOf | InRange | Present | Missing | Contains | DomainIn
"""How a fit or negative rule tests its field."""

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


def _is_present(value: Any) -> bool:
    """Known: not None, not blank, not an empty list."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, tuple):
        return bool(value)
    return True


def _domain_matcher(domains: frozenset[str]) -> Callable[[str], bool]:
    exact = frozenset(d.strip().casefold().lstrip("@") for d in domains)
    suffixes = tuple("." + d for d in exact)

    def test(text: str) -> bool:
        domain = text.rpartition("@")[2].strip().casefold()
        return domain in exact or domain.endswith(suffixes)

    return test


def _text_present(v: str | None) -> bool:
    return v is not None and v != "" and not v.isspace()


def _predicate(match: Match, kind: _FieldKind) -> Callable[[Any], bool]:
    """A test on the field value, specialised for the field's kind; compiled once per model."""
    each: Callable[[str], bool]
    textual = kind is _FieldKind.TEXT
    match match:
        case Present():
            if textual:
                return _text_present
            if kind in (_FieldKind.TEXTS, _FieldKind.ITEMS):
                return bool
            return functools.partial(operator.is_not, None)
        case Missing():
            if textual:
                return lambda v: not _text_present(v)
            if kind in (_FieldKind.TEXTS, _FieldKind.ITEMS):
                return operator.not_
            return functools.partial(operator.is_, None)
        case InRange(at_least=lo, at_most=hi):
            low = -math.inf if lo is None else lo
            high = math.inf if hi is None else hi
            return lambda v: v is not None and low <= v <= high
        case Equals(value=value):
            target = value.casefold()
            if textual:
                return lambda v: v is not None and v.casefold() == target
            each = lambda t: t.casefold() == target  # noqa: E731  # a tiny compiled test
        case OneOf(values=values):
            targets = frozenset(v.casefold() for v in values)
            if textual:
                return lambda v: v is not None and v.casefold() in targets
            each = lambda t: t.casefold() in targets  # noqa: E731  # a tiny compiled test
        case Contains(text=text):
            needle = text.casefold()
            if textual:
                return lambda v: v is not None and needle in v.casefold()
            each = lambda t: needle in t.casefold()  # noqa: E731  # a tiny compiled test
        case DomainIn(domains=domains):
            each = _domain_matcher(domains)
            if textual:
                return lambda v: v is not None and each(v)
    return lambda v: any(each(t) for t in v)


def _shown(match: Match, kind: _FieldKind, test: Callable[[Any], bool]) -> Callable[[Any], str]:
    """The matched value as text, for the contribution."""
    if kind is _FieldKind.TEXTS and not isinstance(match, Present | Missing):
        return lambda v: ", ".join(t for t in v if test((t,)))
    if isinstance(match, Missing):
        return lambda v: "missing"
    if kind in (_FieldKind.TEXTS, _FieldKind.ITEMS):
        return lambda v: ", ".join(str(t) for t in v)
    return str


# --- rules -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FitRule:
    """Points for a persona value of the contact or company, e.g. 200-5000 employees: +15.

    `field` is a dotted path on the Lead such as ``"contact.job_title"`` or
    ``"company.annual_revenue.amount"``; the model refuses an unknown path when built.

    Example:
        >>> FitRule(name="mid-size", field="company.employees",
        ...         match=InRange(at_least=200, at_most=5000), points=15).points
        15
    """

    name: str = attrs.field(validator=not_blank)
    field: str = attrs.field(validator=not_blank)
    match: Match
    points: float = attrs.field(validator=positive)
    group: str = attrs.field(default=GENERAL_GROUP, validator=not_blank)


@attrs.frozen(kw_only=True)
class NegativeRule:
    """Points taken away for a bad sign: a competitor, a free-mail address, a student."""

    name: str = attrs.field(validator=not_blank)
    field: str = attrs.field(validator=not_blank)
    match: Match
    penalty: float = attrs.field(validator=positive)
    group: str = attrs.field(default=GENERAL_GROUP, validator=not_blank)


@attrs.frozen(kw_only=True)
class HalfLife:
    """Points halve every `days` days of a touch's age (exponentially, between steps too)."""

    days: float = attrs.field(validator=positive)


@attrs.frozen(kw_only=True)
class CalendarStep:
    """Points are multiplied by `factor` once per full calendar step of age.

    A step of one month halves a touch's points on the same day of each following month,
    whatever the month's length (computed with `dateutil.relativedelta`).
    """

    months: int = attrs.field(default=0, validator=non_negative)
    weeks: int = attrs.field(default=0, validator=non_negative)
    days: int = attrs.field(default=0, validator=non_negative)
    factor: float = attrs.field(default=0.5, validator=_finite)

    def __attrs_post_init__(self) -> None:
        if not (self.months or self.weeks or self.days):
            raise ValidationError.at("months", "a step needs months, weeks or days")
        if not 0 <= self.factor < 1:
            raise ValidationError.at("factor", f"must be at least 0 and below 1, got {self.factor}")


Decay = HalfLife | CalendarStep
"""How an interaction's points shrink with its age."""


@attrs.frozen(kw_only=True)
class EngagementRule:
    """Points per touch of one kind, capped, counted within a window and decaying with age.

    Example:
        >>> rule = EngagementRule(name="visits", kind=InteractionKind.SITE_VISIT, points=2,
        ...                       cap=10, within_days=90, decay=HalfLife(days=30))
        >>> rule.decay.days
        30
    """

    name: str = attrs.field(validator=not_blank)
    kind: InteractionKind
    points: float = attrs.field(validator=positive)
    cap: float | None = attrs.field(default=None, validator=positive)
    within_days: float | None = attrs.field(default=None, validator=positive)
    decay: Decay | None = None
    group: str = attrs.field(default=GENERAL_GROUP, validator=not_blank)


@attrs.frozen(kw_only=True)
class PointGroup:
    """A named group of rules (a product line, an interest) whose points are capped."""

    name: str = attrs.field(validator=not_blank)
    cap: float = attrs.field(validator=positive)


@attrs.frozen(kw_only=True)
class GradeBand:
    """A fit grade and the fit points it needs at least."""

    grade: str = attrs.field(validator=not_blank)
    min_fit: float = attrs.field(validator=_finite)


_DEFAULT_BANDS = (
    GradeBand(grade="A", min_fit=45),
    GradeBand(grade="B", min_fit=30),
    GradeBand(grade="C", min_fit=15),
)


@attrs.frozen(kw_only=True, cache_hash=True)
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


# --- results -----------------------------------------------------------------------------


class RuleKind(enum.StrEnum):
    """Which part of the model a contribution came from."""

    FIT = "fit"
    ENGAGEMENT = "engagement"
    NEGATIVE = "negative"


@attrs.frozen(kw_only=True)
class Contribution:
    """One rule's share of a score and the value that made it fire."""

    rule: str
    kind: RuleKind
    group: str
    points: float
    matched: str


@attrs.frozen(kw_only=True)
class GroupScore:
    """A group's points after its cap, and before (`raw`)."""

    name: str
    points: float
    raw: float
    cap: float | None = None


@attrs.frozen(kw_only=True)
class ScoreCard:
    """A lead's score at one instant, with every contribution that made it.

    `fit` includes the negative rules (they are about fit: a competitor, a student);
    `engagement` is the touches' points after each rule's cap. `total` is what groups,
    the overall cap and the floor leave of them, so it can be below ``fit + engagement``.
    """

    lead_id: str
    at: datetime
    model: str
    fit: float
    engagement: float
    total: float
    grade: str
    groups: tuple[GroupScore, ...]
    contributions: tuple[Contribution, ...]

    def group(self, name: str) -> float:
        """The capped points of one group (0 for a group no rule fed)."""
        for g in self.groups:
            if g.name == name:
                return g.points
        return 0.0

    def explain(self) -> str:
        """The card as lines of text, highest contributions first, for a person to read."""
        lines = [
            f"{self.lead_id}: total {self.total:g} (fit {self.fit:g}, grade {self.grade};"
            f" engagement {self.engagement:g})"
        ]
        for c in sorted(self.contributions, key=lambda c: (-abs(c.points), c.rule)):
            lines.append(f"  {c.points:+g} {c.rule} [{c.group}]: {c.matched}")
        return "\n".join(lines)


_FAST_CONTRIBUTION: tuple[Any, ...] = (
    object.__new__,
    *(
        Contribution.__dict__[name].__set__
        for name in ("rule", "kind", "group", "points", "matched")
    ),
)

_SETTERS: dict[type, tuple[Any, ...]] = {
    cls: tuple(cls.__dict__[a.name].__set__ for a in attrs.fields(cls))
    for cls in (Contribution, GroupScore, ScoreCard)
}
"""The slot stores of each result class: building a value slot by slot skips the keyword
__init__, which costs more than a lead's arithmetic; the values are the same."""


_KIND_OF_TEXT = {kind.value: kind for kind in RuleKind}


def _expand_contributions(compact: tuple[Any, ...]) -> tuple[Contribution, ...]:
    """Contributions from their compact form: ``((rule, kind text, group), points, matched)*``."""
    new, s_rule, s_kind, s_group, s_points, s_matched = object.__new__, *_SETTERS[Contribution]
    kinds = _KIND_OF_TEXT
    out = []
    for i in range(0, len(compact), 3):
        (rule, kind, group), points, matched = compact[i : i + 3]
        c = new(Contribution)
        s_rule(c, rule)
        s_kind(c, kinds[kind])
        s_group(c, group)
        s_points(c, points)
        s_matched(c, matched)
        out.append(c)
    return tuple(out)


def _expand_groups(compact: tuple[Any, ...]) -> tuple[GroupScore, ...]:
    """Group scores from their compact form: ``(name, raw, cap or None)*``."""
    new, s_name, s_points, s_raw, s_cap = object.__new__, *_SETTERS[GroupScore]
    out = []
    for i in range(0, len(compact), 3):
        name, raw, cap = compact[i : i + 3]
        g = new(GroupScore)
        s_name(g, name)
        s_points(g, raw if cap is None or raw <= cap else cap)
        s_raw(g, raw)
        s_cap(g, cap)
        out.append(g)
    return tuple(out)


class _Compact:
    """A `ScoreCard` field kept in a compact form until first read.

    A generated scorer stores the contributions and the group scores as plain values
    (texts and numbers) in one flat tuple each; the first read (including equality, repr,
    hashing, `attrs.evolve` and serialisation, which all read the attribute) turns them
    into `Contribution` and `GroupScore` values and keeps those. A batch of cards then
    holds a few objects per lead instead of one per rule that fired, and the flat tuples
    hold nothing the garbage collector has to walk, which matters most in big batches.
    """

    def __init__(
        self,
        slot: Any,
        marker: type,
        expand: Callable[[tuple[Any, ...]], tuple[Any, ...]],
    ) -> None:
        self._get = slot.__get__
        self._set = slot.__set__
        self._marker = marker
        self._expand = expand

    def __get__(self, card: ScoreCard | None, owner: type | None = None) -> Any:
        if card is None:
            return self
        value: tuple[Any, ...] = self._get(card, owner)
        if value and type(value[0]) is self._marker:
            value = self._expand(value)
            self._set(card, value)
        return value

    def __set__(self, card: ScoreCard, value: tuple[Any, ...]) -> None:
        self._set(card, value)


# After attrs built the class, its slots get the compact-aware descriptors.
setattr(  # noqa: B010
    ScoreCard,
    "contributions",
    _Compact(ScoreCard.__dict__["contributions"], tuple, _expand_contributions),
)
setattr(ScoreCard, "groups", _Compact(ScoreCard.__dict__["groups"], str, _expand_groups))  # noqa: B010

# --- compilation -------------------------------------------------------------------------

_StepFn = Callable[[datetime, datetime], float]


def _step_fn(decay: CalendarStep) -> _StepFn:
    """The multiplier of a calendar-step decay for a touch at `at`, seen at `now`."""
    factor = decay.factor
    if not decay.months:
        fixed = timedelta(weeks=decay.weeks, days=decay.days)
        return lambda at, now: float(factor ** ((now - at) // fixed))
    step = relativedelta(months=decay.months, weeks=decay.weeks, days=decay.days)
    approx = timedelta(days=decay.months * 30.436875 + decay.weeks * 7 + decay.days)

    def calendar(at: datetime, now: datetime) -> float:
        k = (now - at) // approx
        while k > 0 and at + step * k > now:
            k -= 1
        while at + step * (k + 1) <= now:
            k += 1
        return float(factor**k)

    return calendar


_FitSlot = tuple[
    str,
    Callable[[Lead], Any],
    Callable[[Any], bool],
    Callable[[Any], str],
    float,
    int,
    "RuleKind",
    str,
]
# name, group name, group index, cap, matched suffix, matched suffix when capped
_EngMeta = tuple[str, str, int, float, str, str]
_FastFit = tuple[Callable[[Lead], Any], Callable[[Any], bool], float, int]
# rule index, points, window (s), half-life (s, 0 = none), calendar step (or None)
_EngSlot = tuple[int, float, float, float, _StepFn | None]


@attrs.frozen(kw_only=True)
class _Interpreted:
    """The reference scorer: a model as closures walked per lead; slower, plainly correct.

    The generated code of `CompiledModel` must agree with it; tests compare them.
    """

    model: ScoringModel
    _fit: tuple[_FitSlot, ...]
    _fast_fit: tuple[_FastFit, ...]
    _by_kind: dict[InteractionKind, tuple[_EngSlot, ...]]
    _eng_rules: tuple[EngagementRule, ...]
    _eng_meta: tuple[_EngMeta, ...]
    _eng_group: tuple[int, ...]
    _eng_cap: tuple[float, ...]
    _group_names: tuple[str, ...]
    _group_caps: tuple[float, ...]

    def _total(self, lead: Lead, now: datetime) -> float:
        groups = [0.0] * len(self._group_names)
        for get, test, points, gi in self._fast_fit:
            if test(get(lead)):
                groups[gi] += points
        interactions = lead.interactions
        if interactions:
            by_kind = self._by_kind
            acc = [0.0] * len(self._eng_rules)
            for it in interactions:
                slots = by_kind.get(it.kind)
                if slots is None:
                    continue
                at = it.at
                age = (now - at).total_seconds()
                if age < 0:
                    continue
                for j, points, window, half, step in slots:
                    if age <= window:
                        if half:
                            acc[j] += points * 0.5 ** (age / half)
                        elif step is None:
                            acc[j] += points
                        else:
                            acc[j] += points * step(at, now)
            caps = self._eng_cap
            eng_group = self._eng_group
            for j, value in enumerate(acc):
                if value:
                    groups[eng_group[j]] += min(value, caps[j])
        return self._finish(groups)

    def _finish(self, groups: list[float]) -> float:
        total = 0.0
        for value, cap in zip(groups, self._group_caps, strict=True):
            total += min(value, cap)
        model = self.model
        if model.cap is not None and total > model.cap:
            total = model.cap
        if model.floor is not None and total < model.floor:
            total = model.floor
        return total

    def _score(self, lead: Lead, now: datetime) -> ScoreCard:  # noqa: PLR0915  # one hot loop, inline for speed
        # Contributions are filled slot by slot: the same values as Contribution(...),
        # without the keyword-argument __init__, which dominates a batch's cost.
        new, c_rule, c_kind, c_group, c_points, c_matched = _FAST_CONTRIBUTION
        names = self._group_names
        groups = [0.0] * len(names)
        contributions: list[Contribution] = []
        add = contributions.append
        fit = 0.0
        for rule, get, test, shown, points, gi, rule_kind, group in self._fit:
            value = get(lead)
            if test(value):
                groups[gi] += points
                fit += points
                c = new(Contribution)
                c_rule(c, rule)
                c_kind(c, rule_kind)
                c_group(c, group)
                c_points(c, points)
                c_matched(c, shown(value))
                add(c)
        engagement = 0.0
        if lead.interactions:
            n = len(self._eng_rules)
            acc = [0.0] * n
            counts = [0] * n
            by_kind = self._by_kind
            for it in lead.interactions:
                slots = by_kind.get(it.kind)
                if slots is None:
                    continue
                at = it.at
                age = (now - at).total_seconds()
                if age < 0:
                    continue
                for j, points, window, half, step in slots:
                    if age <= window:
                        if half:
                            acc[j] += points * 0.5 ** (age / half)
                        elif step is None:
                            acc[j] += points
                        else:
                            acc[j] += points * step(at, now)
                        counts[j] += 1
            eng_kind = RuleKind.ENGAGEMENT
            for (rule, group, gi, cap, plain, capped), raw, count in zip(
                self._eng_meta, acc, counts, strict=True
            ):
                if not count:
                    continue
                value = raw if raw <= cap else cap
                groups[gi] += value
                engagement += value
                c = new(Contribution)
                c_rule(c, rule)
                c_kind(c, eng_kind)
                c_group(c, group)
                c_points(c, value)
                c_matched(c, f"{count}{plain if raw <= cap else capped}")
                add(c)
        return ScoreCard(
            lead_id=lead.id,
            at=now,
            model=self.model.name,
            fit=fit,
            engagement=engagement,
            total=self._finish(groups),
            grade=self.model.grade_for(fit),
            groups=tuple(
                GroupScore(
                    name=name,
                    points=min(raw, cap),
                    raw=raw,
                    cap=None if cap == math.inf else cap,
                )
                for name, raw, cap in zip(names, groups, self._group_caps, strict=True)
            ),
            contributions=tuple(contributions),
        )


def _interpret(model: ScoringModel) -> _Interpreted:
    """The reference scorer of a model: closures, no generated code."""
    declared = {g.name: g.cap for g in model.groups}
    names = (GENERAL_GROUP, *(g.name for g in model.groups if g.name != GENERAL_GROUP))
    index = {name: i for i, name in enumerate(names)}
    caps = tuple(declared.get(name, math.inf) for name in names)

    fit: list[_FitSlot] = []
    fit_and_negative: tuple[FitRule | NegativeRule, ...] = (*model.fit, *model.negative)
    for rule in fit_and_negative:
        kind, _ = _resolve(rule.field)
        test = _predicate(rule.match, kind)
        points = float(rule.points) if isinstance(rule, FitRule) else -float(rule.penalty)
        fit.append(
            (
                rule.name,
                _getter(rule.field),
                test,
                _shown(rule.match, kind, test),
                points,
                index[rule.group],
                RuleKind.FIT if isinstance(rule, FitRule) else RuleKind.NEGATIVE,
                rule.group,
            )
        )
    by_kind: dict[InteractionKind, list[_EngSlot]] = {}
    for j, rule_e in enumerate(model.engagement):
        window = math.inf if rule_e.within_days is None else rule_e.within_days * _DAY
        decay = rule_e.decay
        half = decay.days * _DAY if isinstance(decay, HalfLife) else 0.0
        step = _step_fn(decay) if isinstance(decay, CalendarStep) else None
        by_kind.setdefault(rule_e.kind, []).append((j, float(rule_e.points), window, half, step))
    return _Interpreted(
        model=model,
        fit=tuple(fit),
        fast_fit=tuple((get, test, points, gi) for _, get, test, _, points, gi, _, _ in fit),
        by_kind={k: tuple(v) for k, v in by_kind.items()},
        eng_rules=model.engagement,
        eng_meta=tuple(
            (
                r.name,
                r.group,
                index[r.group],
                math.inf if r.cap is None else float(r.cap),
                f" x {r.kind.value}",
                f" x {r.kind.value}, capped at {r.cap or 0:g}",
            )
            for r in model.engagement
        ),
        eng_group=tuple(index[r.group] for r in model.engagement),
        eng_cap=tuple(math.inf if r.cap is None else r.cap for r in model.engagement),
        group_names=names,
        group_caps=caps,
    )


def _reference_score(lead: Lead, model: ScoringModel, now: datetime) -> ScoreCard:
    """The score card by the interpretive reference scorer, to check the generated code."""
    require_aware("now", now)
    return _interpret(model)._score(lead, now)


def _reference_total(lead: Lead, model: ScoringModel, now: datetime) -> float:
    """The total by the interpretive reference scorer, to check the generated code."""
    require_aware("now", now)
    return _interpret(model)._total(lead, now)


# --- code generation ---------------------------------------------------------------------
#
# A model is compiled once into the source text of two plain functions, one for totals and
# one for full score cards, with every rule written out inline (like attrs writes the
# methods of a class). The generated code does the same float operations in the same order
# as the reference scorer above, so both give identical numbers; it only avoids the cost
# of calling a closure per rule, of enum hashing per touch and of keyword constructors.


@functools.lru_cache(maxsize=512)
def _path_steps(path: str) -> tuple[tuple[str, bool], ...]:
    """Each segment of a dotted Lead field and whether its value may be None."""
    _resolve(path)  # refuses an unknown path
    cls: Any = Lead
    steps = []
    for segment in path.split("."):
        tp, optional = _unwrap_optional(typing.get_type_hints(cls)[segment])
        steps.append((segment, optional))
        cls = tp
    return tuple(steps)


class _Source:
    """The text of a generated function and the constants it closes over."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self._by_id: dict[int, str] = {}

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def const(self, value: Any, hint: str = "c") -> str:
        """The name of a closure constant holding `value` (once per object)."""
        name = self._by_id.get(id(value))
        if name is None:
            name = f"_{hint}{len(self.consts)}"
            self.consts[name] = value
            self._by_id[id(value)] = name
        return name

    def lit(self, value: float | str) -> str:
        """`value` as a literal where exact, else as a constant."""
        if isinstance(value, str) or (
            type(value) in (int, float) and math.isfinite(value) and float(repr(value)) == value
        ):
            return repr(value)
        return self.const(value)


def _texts_literal(values: Iterable[str]) -> str:
    """A set display of texts; in an ``in`` test Python makes it a frozenset constant."""
    return "{" + ", ".join(repr(v) for v in sorted(values)) + "}"


class _Field:
    """A field read once per lead into locals: raw value, folded text, mail domain."""

    def __init__(self, var: str, kind: _FieldKind) -> None:
        self.var = var
        self.kind = kind
        self.folded = ""
        self.domain = ""


def _condition(match: Match, f: _Field) -> str:
    """The inline test of one rule on its field's locals."""
    v = f.var
    kind = f.kind
    listy = kind in (_FieldKind.TEXTS, _FieldKind.ITEMS)
    match match:
        case Present():
            if kind is _FieldKind.TEXT:
                return f"{v} and not {v}.isspace()"
            return v if listy else f"{v} is not None"
        case Missing():
            if kind is _FieldKind.TEXT:
                return f"not ({v} and not {v}.isspace())"
            return f"not {v}" if listy else f"{v} is None"
        case InRange(at_least=lo, at_most=hi):
            parts = [f"{v} is not None"]
            if lo is not None:
                parts.append(f"{v} >= {lo!r}")
            if hi is not None:
                parts.append(f"{v} <= {hi!r}")
            return " and ".join(parts)
        case DomainIn(domains=domains):
            exact = {d.strip().casefold().lstrip("@") for d in domains}
            suffixes = tuple(sorted("." + d for d in exact))
            return (
                f"{f.domain} is not None and ({f.domain} in {_texts_literal(exact)}"
                f" or {f.domain}.endswith({suffixes!r}))"
            )
    if kind is _FieldKind.TEXT:
        return _text_test(match, f.folded)  # folded is "" for None, which no test passes
    return f"{v} is not None and any({_text_test(match, 't.casefold()')} for t in {v})"


def _text_test(match: Match, slot: str) -> str:
    match match:
        case Equals(value=value):
            return f"{slot} == {value.casefold()!r}"
        case OneOf(values=values):
            return f"{slot} in {_texts_literal(v.casefold() for v in values)}"
        case Contains(text=text):
            return f"{text.casefold()!r} in {slot}"
    raise AssertionError(match)  # pragma: no cover  # the model's checks forbid it


def _shown_expr(match: Match, f: _Field) -> str:
    """The matched value as text, the same as the reference scorer's `_shown`."""
    v = f.var
    if f.kind is _FieldKind.TEXTS and not isinstance(match, Present | Missing):
        return f"', '.join([t for t in {v} if {_text_test(match, 't.casefold()')}])"
    if isinstance(match, Missing):
        return "'missing'"
    if f.kind in (_FieldKind.TEXTS, _FieldKind.ITEMS):
        return f"', '.join([str(t) for t in {v}])"
    return f"str({v})"


def _construct(src: _Source, depth: int, var: str, cls: type, *values: str) -> None:
    """Emit ``var = cls(...)`` as slot stores: the same value, without the keyword __init__."""
    setters = _SETTERS[cls]
    assert len(values) == len(setters)
    name = src.const(cls, "T")
    src.emit(depth, f"{var} = _new({name})")
    for setter, value in zip(setters, values, strict=True):
        src.emit(depth, f"{src.const(setter, 's')}({var}, {value})")


def _generate(model: ScoringModel, *, card: bool) -> tuple[str, dict[str, Any]]:  # noqa: PLR0915  # one straight emitter
    """The source of ``make(consts) -> fn(lead, now)`` scoring with `model`, and the consts."""
    src = _Source()
    src.consts["_new"] = object.__new__
    body = 2  # inside make() and the scoring function
    declared = {g.name: g.cap for g in model.groups}
    names = (GENERAL_GROUP, *(g.name for g in model.groups if g.name != GENERAL_GROUP))
    gvar = {name: f"g{i}" for i, name in enumerate(names)}

    # Every field any fit or negative rule reads, each once, sharing the objects on the way.
    rules: tuple[FitRule | NegativeRule, ...] = (*model.fit, *model.negative)
    objects: dict[str, tuple[str, bool]] = {"": ("lead", False)}  # path -> (local, may be None)
    fields: dict[str, _Field] = {}
    for rule in rules:
        if rule.field in fields:
            continue
        prefix = ""
        for segment, optional in _path_steps(rule.field):
            path = f"{prefix}.{segment}" if prefix else segment
            if path not in objects:
                parent, parent_none = objects[prefix]
                var = f"o{len(objects)}"
                if parent_none:
                    src.emit(body, f"{var} = {parent}.{segment} if {parent} is not None else None")
                else:
                    src.emit(body, f"{var} = {parent}.{segment}")
                objects[path] = (var, parent_none or optional)
            prefix = path
        fields[rule.field] = _Field(objects[rule.field][0], _resolve(rule.field)[0])
    for rule in rules:
        f = fields[rule.field]
        if f.kind is not _FieldKind.TEXT:
            continue
        if isinstance(rule.match, Equals | OneOf | Contains) and not f.folded:
            f.folded = f"{f.var}_cf"
            src.emit(body, f"{f.folded} = {f.var}.casefold() if {f.var} is not None else ''")
        if isinstance(rule.match, DomainIn) and not f.domain:
            f.domain = f"{f.var}_dom"
            src.emit(
                body,
                f"{f.domain} = {f.var}.rpartition('@')[2].strip().casefold()"
                f" if {f.var} is not None else None",
            )

    for name in names:
        src.emit(body, f"{gvar[name]} = 0.0")
    if card:
        src.emit(body, "fit = 0.0")
        src.emit(body, "engagement = 0.0")
        src.emit(body, "cs = []")

    # Fit and negative rules, in the reference's order.
    for rule in rules:
        f = fields[rule.field]
        points = float(rule.points) if isinstance(rule, FitRule) else -float(rule.penalty)
        p = src.lit(points)
        src.emit(body, f"if {_condition(rule.match, f)}:")
        src.emit(body + 1, f"{gvar[rule.group]} += {p}")
        if card:
            src.emit(body + 1, f"fit += {p}")
            kind = RuleKind.FIT if isinstance(rule, FitRule) else RuleKind.NEGATIVE
            head = src.const((rule.name, kind.value, rule.group), "R")
            shown = (
                f.var
                if f.kind is _FieldKind.TEXT and not isinstance(rule.match, Missing)
                else _shown_expr(rule.match, f)
            )
            src.emit(body + 1, f"cs += ({head}, {p}, {shown})")

    # Engagement: one pass over the touches, one branch per kind with a rule.
    if model.engagement:
        _emit_engagement(src, model, gvar, card=card)

    # Groups, the overall cap and the floor.
    total = "total"
    for i, name in enumerate(names):
        g = gvar[name]
        cap = declared.get(name)
        capped = g if cap is None else f"({g} if {g} <= {src.lit(cap)} else {src.lit(cap)})"
        src.emit(body, f"{total} = {capped}" if i == 0 else f"{total} += {capped}")
    if model.cap is not None:
        src.emit(body, f"if {total} > {src.lit(model.cap)}:")
        src.emit(body + 1, f"{total} = {src.lit(model.cap)}")
    if model.floor is not None:
        src.emit(body, f"if {total} < {src.lit(model.floor)}:")
        src.emit(body + 1, f"{total} = {src.lit(model.floor)}")
    if not card:
        src.emit(body, f"return {total}")
    else:
        keyword = "if"
        for band in model.grade_bands:
            src.emit(body, f"{keyword} fit >= {src.lit(band.min_fit)}:")
            src.emit(body + 1, f"grade = {band.grade!r}")
            keyword = "elif"
        if model.grade_bands:
            src.emit(body, "else:")
            src.emit(body + 1, f"grade = {model.lowest_grade!r}")
        else:
            src.emit(body, f"grade = {model.lowest_grade!r}")
        group_parts = [
            f"{name!r}, {gvar[name]}, {'None' if name not in declared else src.lit(declared[name])}"
            for name in names
        ]
        _construct(
            src,
            body,
            "card",
            ScoreCard,
            "lead.id",
            "now",
            repr(model.name),
            "fit",
            "engagement",
            total,
            "grade",
            "(" + ", ".join(group_parts) + ")",
            "tuple(cs)",
        )
        src.emit(body, "return card")

    params = ", ".join(src.consts)
    header = [
        f"def make({params}):",
        f"    def {'card' if card else 'total'}(lead, now):",
    ]
    footer = [f"    return {'card' if card else 'total'}"]
    return "\n".join([*header, *src.lines, *footer]) + "\n", src.consts


def _emit_engagement(  # noqa: PLR0915  # one straight emitter
    src: _Source, model: ScoringModel, gvar: dict[str, str], *, card: bool
) -> None:
    """The touch loop: a cheap window pre-check, then per-kind inline arithmetic."""
    body = 2
    rules = model.engagement
    windows = [math.inf if r.within_days is None else r.within_days * _DAY for r in rules]
    widest = max(windows)
    src.emit(body, "interactions = lead.interactions")
    src.emit(body, "if interactions:")
    d = body + 1
    for j in range(len(rules)):
        src.emit(d, f"a{j} = 0.0")
        if card:
            src.emit(d, f"n{j} = 0")
    # A touch older than the widest window (plus a second, so float rounding of the age
    # cannot matter) is skipped without computing its age; the exact test follows.
    prefilter = widest < 1e12
    if prefilter:
        margin = src.const(timedelta(seconds=math.ceil(widest) + 1), "W")
        src.emit(d, "try:")
        src.emit(d + 1, f"cutoff = now - {margin}")
        src.emit(d, "except OverflowError:")
        src.emit(d + 1, f"cutoff = {src.const(datetime.min.replace(tzinfo=UTC), 'M')}")
    src.emit(d, "for it in interactions:")
    src.emit(d + 1, "at = it.at")
    src.emit(d + 1, "if at > now or at < cutoff:" if prefilter else "if at > now:")
    src.emit(d + 2, "continue")
    src.emit(d + 1, "k = it.kind")
    by_kind: dict[InteractionKind, list[int]] = {}
    for j, rule in enumerate(rules):
        by_kind.setdefault(rule.kind, []).append(j)
    keyword = "if"
    for kind, js in by_kind.items():
        src.emit(d + 1, f"{keyword} k is {src.const(kind, 'K')}:")
        keyword = "elif"
        b = d + 2
        src.emit(b, "delta = now - at")
        src.emit(b, "age = delta.total_seconds()")
        for j in js:
            rule = rules[j]
            p = src.lit(float(rule.points))
            decay = rule.decay
            half = decay.days * _DAY if isinstance(decay, HalfLife) else 0.0
            if half:
                value = f"{p} * 0.5 ** (age / {src.lit(half)})"
            elif isinstance(decay, CalendarStep):
                if decay.months:
                    value = f"{p} * {src.const(_step_fn(decay), 'step')}(at, now)"
                else:
                    step = src.const(timedelta(weeks=decay.weeks, days=decay.days), "W")
                    value = f"{p} * float({src.lit(decay.factor)} ** (delta // {step}))"
            else:
                value = p
            inner = b
            if windows[j] != math.inf:
                src.emit(b, f"if age <= {src.lit(windows[j])}:")
                inner = b + 1
            src.emit(inner, f"a{j} += {value}")
            if card:
                src.emit(inner, f"n{j} += 1")
    for j, rule in enumerate(rules):
        g = gvar[rule.group]
        if rule.cap is None:
            capped = f"a{j}"
        else:
            cap = src.lit(float(rule.cap))  # the reference caps a card's points as a float
            capped = f"(a{j} if a{j} <= {cap} else {cap})"
        if not card:
            src.emit(d, f"{g} += {capped}")
            continue
        src.emit(d, f"if n{j}:")
        src.emit(d + 1, f"value = {capped}")
        src.emit(d + 1, f"{g} += value")
        src.emit(d + 1, "engagement += value")
        plain = repr(f" x {rule.kind.value}")
        if rule.cap is None:
            shown = f"str(n{j}) + {plain}"
        else:
            capped_text = repr(f" x {rule.kind.value}, capped at {rule.cap:g}")
            shown = f"str(n{j}) + ({plain} if a{j} <= {cap} else {capped_text})"
        head = src.const((rule.name, RuleKind.ENGAGEMENT.value, rule.group), "R")
        src.emit(d + 1, f"cs += ({head}, value, {shown})")


def _build(model: ScoringModel, *, card: bool) -> tuple[str, Callable[..., Any]]:
    source, consts = _generate(model, card=card)
    namespace: dict[str, Any] = {"__builtins__": __builtins__}
    filename = f"<leadpipeline scoring model {model.name!r} {'card' if card else 'total'}>"
    exec(compile(source, filename, "exec"), namespace)  # our own generated text, never input
    return source, namespace["make"](**consts)


@attrs.frozen(kw_only=True, eq=False)
class CompiledModel:
    """A model compiled once into generated Python functions, for scoring many leads fast.

    Build it with `compile_model`. `source` is the generated code, for reading or
    debugging: each rule is written out inline. It scores exactly like the rules say, and
    `total` skips every explanation for the fastest path.

    Example:
        >>> compiled = compile_model(DEFAULT_SCORING_MODEL)
        >>> "def total(lead, now):" in compiled.source
        True
    """

    model: ScoringModel
    source: str = attrs.field(repr=False)
    _total_fn: Callable[[Lead, datetime], float] = attrs.field(repr=False)
    _card_fn: Callable[[Lead, datetime], ScoreCard] = attrs.field(repr=False)

    def total(self, lead: Lead, now: datetime) -> float:
        """The total score only, with no contributions; `now` must be timezone-aware.

        Example:
            >>> from datetime import datetime, timezone
            >>> from leadpipeline.lead import Lead, Source
            >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
            >>> lead = Lead(id="L-1", source=Source(channel="exhibition", captured_at=now))
            >>> compile_model(DEFAULT_SCORING_MODEL).total(lead, now)
            5.0
        """
        require_aware("now", now)
        return self._total_fn(lead, now)

    def totals(self, leads: Iterable[Lead], now: datetime) -> tuple[float, ...]:
        """Totals for many leads at one instant, in order."""
        require_aware("now", now)
        total = self._total_fn
        return tuple([total(lead, now) for lead in leads])

    def score(self, lead: Lead, now: datetime) -> ScoreCard:
        """The full score card of one lead; `now` must be timezone-aware."""
        require_aware("now", now)
        return self._card_fn(lead, now)

    def score_many(self, leads: Iterable[Lead], now: datetime) -> tuple[ScoreCard, ...]:
        """Full score cards for many leads at one instant, in order."""
        require_aware("now", now)
        card = self._card_fn
        return tuple([card(lead, now) for lead in leads])


@functools.lru_cache(maxsize=64)
def _compiled(model: ScoringModel) -> CompiledModel:
    total_source, total_fn = _build(model, card=False)
    card_source, card_fn = _build(model, card=True)
    return CompiledModel(
        model=model,
        source=total_source + "\n\n" + card_source,
        total_fn=total_fn,
        card_fn=card_fn,
    )


def compile_model(model: ScoringModel) -> CompiledModel:
    """Turn a model into generated code once, so scoring a lead does no per-rule calls.

    Compiled models are remembered per model value (the last 64), so calling `score`
    lead by lead does not compile again.

    Example:
        >>> compiled = compile_model(DEFAULT_SCORING_MODEL)
        >>> compiled.model is DEFAULT_SCORING_MODEL
        True
        >>> compiled is compile_model(DEFAULT_SCORING_MODEL)  # remembered, not compiled again
        True
    """
    return _compiled(model)


def score(lead: Lead, model: ScoringModel, now: datetime) -> ScoreCard:
    """Score one lead at `now`, with every contribution, so the number can be explained.

    Interactions after `now` are not counted yet; `now` must be timezone-aware.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Company, Lead, Source
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="web", captured_at=now),
        ...             company=Company(employees=800))
        >>> card = score(lead, DEFAULT_SCORING_MODEL, now)
        >>> card.total, [(c.rule, c.points, c.matched) for c in card.contributions]
        (15.0, [('company size 200-5000', 15.0, '800')])
    """
    return compile_model(model).score(lead, now)


def score_many(leads: Iterable[Lead], model: ScoringModel, now: datetime) -> tuple[ScoreCard, ...]:
    """Score a batch at one instant; the model is compiled once for all of them.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Lead, Source
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> leads = [Lead(id=f"L-{i}", source=Source(channel="web", captured_at=now))
        ...          for i in range(3)]
        >>> [card.total for card in score_many(leads, DEFAULT_SCORING_MODEL, now)]
        [0.0, 0.0, 0.0]
    """
    return compile_model(model).score_many(leads, now)


def score_totals(leads: Iterable[Lead], model: ScoringModel, now: datetime) -> tuple[float, ...]:
    """Only the totals of a batch: the fast path for sweeps over many leads.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.lead import Lead, Source
        >>> now = datetime(2026, 3, 4, tzinfo=timezone.utc)
        >>> lead = Lead(id="L-1", source=Source(channel="referral", captured_at=now))
        >>> score_totals([lead], DEFAULT_SCORING_MODEL, now)
        (5.0,)
    """
    return compile_model(model).totals(leads, now)


# --- the default model -------------------------------------------------------------------

_FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "aol.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "t-online.de",
    }
)


def _touch(
    name: str, kind: InteractionKind, points: float, cap: float, decay: Decay | None = None
) -> EngagementRule:
    return EngagementRule(
        name=name,
        kind=kind,
        points=points,
        cap=cap,
        within_days=180,
        decay=decay if decay is not None else HalfLife(days=30),
    )


DEFAULT_SCORING_MODEL = ScoringModel(
    name="default",
    fit=(
        FitRule(
            name="title: head of",
            field="contact.job_title",
            match=Contains(text="head of"),
            points=10,
        ),
        FitRule(
            name="title: director",
            field="contact.job_title",
            match=Contains(text="director"),
            points=10,
        ),
        FitRule(
            name="title: chief", field="contact.job_title", match=Contains(text="chief"), points=15
        ),
        FitRule(
            name="company size 200-5000",
            field="company.employees",
            match=InRange(at_least=200, at_most=5000),
            points=15,
        ),
        FitRule(
            name="company size 50-199",
            field="company.employees",
            match=InRange(at_least=50, at_most=199),
            points=8,
        ),
        FitRule(
            name="revenue 10M+",
            field="company.annual_revenue.amount",
            match=InRange(at_least=10_000_000),
            points=10,
        ),
        FitRule(name="budget known", field="needs.budget", match=Present(), points=10),
        FitRule(
            name="purchase timing known",
            field="needs.purchase_decision",
            match=Present(),
            points=10,
        ),
        FitRule(
            name="expected volume known", field="needs.expected_volume", match=Present(), points=5
        ),
        FitRule(
            name="current product known", field="needs.current_product", match=Present(), points=5
        ),
        FitRule(
            name="source: exhibition or referral",
            field="source.channel",
            match=OneOf(values=("exhibition", "referral")),
            points=5,
        ),
        FitRule(name="interests known", field="interests", match=Present(), points=3),
    ),
    engagement=(
        _touch("site visits", InteractionKind.SITE_VISIT, 2, 10),
        _touch("email opens", InteractionKind.EMAIL_OPEN, 1, 5),
        _touch("email clicks", InteractionKind.EMAIL_CLICK, 3, 12),
        _touch("email replies", InteractionKind.EMAIL_REPLY, 5, 15),
        _touch("social", InteractionKind.SOCIAL, 2, 8),
        _touch("form submits", InteractionKind.FORM_SUBMIT, 10, 20),
        _touch("webinars", InteractionKind.WEBINAR, 8, 16),
        _touch("exhibition visits", InteractionKind.EXHIBITION, 10, 10, CalendarStep(months=1)),
        _touch("downloads", InteractionKind.DOWNLOAD, 5, 15),
        _touch("calls", InteractionKind.CALL, 6, 12),
        _touch("meetings", InteractionKind.MEETING, 10, 20),
    ),
    negative=(
        NegativeRule(
            name="free-mail address",
            field="contact.email",
            match=DomainIn(domains=_FREE_MAIL),
            penalty=10,
        ),
        NegativeRule(
            name="student", field="contact.job_title", match=Contains(text="student"), penalty=25
        ),
        NegativeRule(
            name="competitor",
            field="company.domain",
            match=DomainIn(domains=frozenset({"competitor.example"})),
            penalty=50,
        ),
    ),
    cap=100,
    floor=0,
)
"""A sensible starting model: persona fit, decaying touches, bad signs; tune it with evolve.

The competitor rule ships with a placeholder domain: replace it with your competitors'.
"""
