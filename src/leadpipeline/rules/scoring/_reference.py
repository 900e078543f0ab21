"""The reference scorer: a model interpreted rule by rule, plainly, to check the generated code.

Why: the generated scorer of `CompiledModel` is fast but hard to read; the property tests
compare it, card for card, with this interpreter of closures, which says what each rule
means in the most direct way. Only a touch's window and decayed points are shared with
the generator (`_decay`), so each decay is written once.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from leadpipeline._checks import require_aware
from leadpipeline.lead import Interaction, InteractionKind, Lead
from leadpipeline.rules.scoring._decay import PointsFn, points_function, window
from leadpipeline.rules.scoring.card import (
    Contribution,
    GroupScore,
    RuleKind,
    ScoreCard,
    _new_contribution,
)
from leadpipeline.rules.scoring.model import ScoringModel, _FieldKind, _getter, _resolve
from leadpipeline.rules.scoring.rules import (
    GENERAL_GROUP,
    Contains,
    DomainIn,
    EngagementRule,
    Equals,
    FitRule,
    InRange,
    Match,
    Missing,
    NegativeRule,
    OneOf,
    Present,
)

# --- matchers as closures ----------------------------------------------------------------


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


# --- the interpreter ---------------------------------------------------------------------

_FitSlot = tuple[
    str,
    Callable[[Lead], Any],
    Callable[[Any], bool],
    Callable[[Any], str],
    float,
    int,
    RuleKind,
    str,
]
# name, group name, group index, cap, matched suffix, matched suffix when capped
_EngMeta = tuple[str, str, int, float, str, str]
_FastFit = tuple[Callable[[Lead], Any], Callable[[Any], bool], float, int]
# rule index, window (s), the points of one touch
_EngSlot = tuple[int, float, PointsFn]


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
    _eng_index: dict[str, int]  # rule name to its group's index
    _group_names: tuple[str, ...]
    _group_caps: tuple[float, ...]

    def _touches(
        self, interactions: tuple[Interaction, ...], now: datetime
    ) -> tuple[list[float], list[int]]:
        """Each engagement rule's uncapped points and the number of touches it counted."""
        n = len(self._eng_rules)
        acc = [0.0] * n
        counts = [0] * n
        by_kind = self._by_kind
        for it in interactions:
            slots = by_kind.get(it.kind)
            if slots is None:
                continue
            at = it.at
            delta = now - at
            age = delta.total_seconds()
            if age < 0:
                continue
            for j, within, points in slots:
                if age <= within:
                    acc[j] += points(age, delta, at, now)
                    counts[j] += 1
        return acc, counts

    def _total(self, lead: Lead, now: datetime) -> float:
        groups = [0.0] * len(self._group_names)
        for get, test, points, gi in self._fast_fit:
            if test(get(lead)):
                groups[gi] += points
        if lead.interactions:
            acc, _ = self._touches(lead.interactions, now)
            caps = self._eng_cap
            eng_group = self._eng_group
            for j, value in enumerate(acc):
                if value:
                    groups[eng_group[j]] += min(value, caps[j])
        return self._finish(groups)

    def engagement(
        self, interactions: tuple[Interaction, ...], now: datetime
    ) -> list[Contribution]:
        """The engagement rules' contributions from these touches, in the model's order.

        A generated card keeps the touches and makes these when first read.
        """
        if not interactions:
            return []
        new = _new_contribution
        acc, counts = self._touches(interactions, now)
        out = []
        for (rule, group, _, cap, plain, capped), raw, count in zip(
            self._eng_meta, acc, counts, strict=True
        ):
            if count:
                value = raw if raw <= cap else cap
                matched = f"{count}{plain if raw <= cap else capped}"
                out.append(new(rule, RuleKind.ENGAGEMENT, group, value, matched))
        return out

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

    def _score(self, lead: Lead, now: datetime) -> ScoreCard:
        new = _new_contribution
        names = self._group_names
        groups = [0.0] * len(names)
        contributions: list[Contribution] = []
        fit = 0.0
        for rule, get, test, shown, points, gi, rule_kind, group in self._fit:
            value = get(lead)
            if test(value):
                groups[gi] += points
                fit += points
                contributions.append(new(rule, rule_kind, group, points, shown(value)))
        engagement = 0.0
        for c in self.engagement(lead.interactions, now):
            groups[self._eng_index[c.rule]] += c.points
            engagement += c.points
            contributions.append(c)
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
    """The reference scorer of a model: closures; only each touch's points come from `_decay`."""
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
        slot = (j, window(rule_e), points_function(rule_e))
        by_kind.setdefault(rule_e.kind, []).append(slot)
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
        eng_index={r.name: index[r.group] for r in model.engagement},
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
