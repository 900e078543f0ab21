"""The code generator: a scoring model written out as the source of two plain functions.

Why: interpreting rules lead by lead costs a closure call per rule; a model is compiled
once into the text of two functions (totals only, and full score cards) with every rule
inline, like attrs writes the methods of a class. The text is registered with
`linecache` under a unique name, so a traceback through it shows the generated lines.
"""

from __future__ import annotations

import functools
import itertools
import linecache
import math
import typing
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from leadpipeline.lead import InteractionKind, Lead
from leadpipeline.rules.scoring._decay import points_text, window
from leadpipeline.rules.scoring._reference import _interpret, _predicate, _shown
from leadpipeline.rules.scoring.card import RuleKind, _new_card
from leadpipeline.rules.scoring.model import (
    ScoringModel,
    _FieldKind,
    _resolve,
    _unwrap_optional,
)
from leadpipeline.rules.scoring.rules import (
    GENERAL_GROUP,
    Contains,
    DomainIn,
    Equals,
    FitRule,
    InRange,
    Match,
    Missing,
    NegativeRule,
    OneOf,
    Present,
)

# The generated code does the same float operations in the same order as the reference
# scorer (`_reference`), so both give identical numbers; it only avoids the cost of calling
# a closure per rule, of enum hashing per touch and of keyword constructors.

_serial = itertools.count()


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


def _generate(model: ScoringModel, *, card: bool) -> tuple[str, dict[str, Any]]:  # noqa: PLR0915  # one straight emitter
    """The source of ``make(consts) -> fn(lead, now)`` scoring with `model`, and the consts."""
    src = _Source()
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
            # the card keeps the lead's own value; its text is made when first read
            shown = _shown(rule.match, f.kind, _predicate(rule.match, f.kind))
            head = src.const((rule.name, kind.value, rule.group, shown, points), "R")
            src.emit(body + 1, f"cs += ({head}, {f.var})")

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
        # The card's fields in declaration order, without the keyword __init__.
        card_fields = f"lead.id, now, {model.name!r}, fit, engagement, {total}, grade"
        groups = "(" + ", ".join(group_parts) + ")"
        if names == (GENERAL_GROUP,) and GENERAL_GROUP not in declared:
            groups = gvar[GENERAL_GROUP]  # the card keeps the one group's raw points
        new_card = src.const(_new_card, "card")
        src.emit(body, f"return {new_card}({card_fields}, {groups}, tuple(cs))")

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
    windows = [window(r) for r in rules]
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
            inner = b
            if windows[j] != math.inf:
                src.emit(b, f"if age <= {src.lit(windows[j])}:")
                inner = b + 1
            src.emit(inner, f"a{j} += {points_text(rule, src)}")
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
    if card:
        # the card keeps the touches; each rule's count, points and text are made from
        # them (by the reference scorer) when the contributions are first read
        fired = " or ".join(f"n{j}" for j in range(len(rules)))
        src.emit(d, f"if {fired}:")
        expand = src.const((_interpret(model).engagement,), "E")
        src.emit(d + 1, f"cs += ({expand}, interactions)")


def build(model: ScoringModel, *, card: bool) -> tuple[str, Callable[..., Any]]:
    """The generated source scoring with `model` and the function it defines.

    `card` chooses full score cards over totals only. The source is registered with
    `linecache` under a name unique to this build, so tracebacks show its lines.
    """
    source, consts = _generate(model, card=card)
    namespace: dict[str, Any] = {"__builtins__": __builtins__}
    what = "card" if card else "total"
    filename = f"<leadpipeline scoring model {model.name!r} {what} #{next(_serial)}>"
    code = compile(source, filename, "exec")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(code, namespace)  # our own generated text, never input
    return source, namespace["make"](**consts)
