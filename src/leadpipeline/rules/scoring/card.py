"""The result of scoring: a score card with every contribution, kept compact until read.

Why: a card must answer "why this score?" from the value alone, yet a batch of cards
must stay cheap; the generated scorer stores contributions and group scores as flat
tuples of plain values, and a card expands them into values the first time they are read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from leadpipeline._typed import typed
from leadpipeline._unchecked import unchecked
from leadpipeline.rules.scoring.rules import GENERAL_GROUP

__all__ = ["Contribution", "GroupScore", "RuleKind", "ScoreCard"]


class RuleKind(enum.StrEnum):
    """Which part of the model a contribution came from."""

    FIT = "fit"
    ENGAGEMENT = "engagement"
    NEGATIVE = "negative"


@attrs.frozen(kw_only=True, field_transformer=typed)
class Contribution:
    """One rule's share of a score and the value that made it fire."""

    rule: str
    kind: RuleKind
    group: str
    points: float
    matched: str


@attrs.frozen(kw_only=True, field_transformer=typed)
class GroupScore:
    """A group's points after its cap, and before (`raw`)."""

    name: str
    points: float
    raw: float
    cap: float | None = None


@attrs.frozen(kw_only=True, field_transformer=typed)
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


# Results built from parts already computed skip the keyword __init__, which costs more
# than a lead's arithmetic. The card's is taken before the compact descriptors below
# replace two of its slot descriptors, so it stores the compact tuples straight in.
_new_contribution = unchecked(Contribution)
_new_group = unchecked(GroupScore)
_new_card = unchecked(ScoreCard)

_KIND_OF_TEXT = {kind.value: kind for kind in RuleKind}


def _expand_contributions(compact: tuple[Any, ...], card: ScoreCard) -> tuple[Contribution, ...]:
    """Contributions from their compact form, made when first read.

    A fit or negative rule is a pair ``(rule, kind, group, shown, points), value``: the
    matched value itself (the lead's own object), with `shown` making its text. The
    engagement rules are one pair ``(expand,), touches``: the lead's touches, from which
    ``expand(touches, card.at)`` makes each rule's count, points and text. A card that
    is never read never formats a text nor holds a number per touch rule.
    """
    new, kinds = _new_contribution, _KIND_OF_TEXT
    out: list[Contribution] = []
    for i in range(0, len(compact), 2):
        head, value = compact[i : i + 2]
        if len(head) == 1:
            out += head[0](value, card.at)
        else:
            rule, kind, group, shown, points = head
            out.append(new(rule, kinds[kind], group, points, shown(value)))
    return tuple(out)


def _expand_groups(compact: Any, _card: ScoreCard) -> tuple[GroupScore, ...]:
    """Group scores from their compact form: ``(name, raw, cap or None)*``.

    A model whose only group is the general one, without a cap, keeps just its raw
    points (a float).
    """
    new = _new_group
    if type(compact) is float:
        return (new(GENERAL_GROUP, compact, compact, None),)
    out = []
    for i in range(0, len(compact), 3):
        name, raw, cap = compact[i : i + 3]
        out.append(new(name, raw if cap is None or raw <= cap else cap, raw, cap))
    return tuple(out)


def _compact_contributions(value: Any) -> bool:
    return bool(value) and type(value[0]) is tuple


def _compact_groups(value: Any) -> bool:
    return type(value) is float or (bool(value) and type(value[0]) is str)


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
        compact: Callable[[Any], bool],
        expand: Callable[[tuple[Any, ...], ScoreCard], tuple[Any, ...]],
    ) -> None:
        self._get = slot.__get__
        self._set = slot.__set__
        self._compact = compact
        self._expand = expand

    def __get__(self, card: ScoreCard | None, owner: type | None = None) -> Any:
        if card is None:
            return self
        value: tuple[Any, ...] = self._get(card, owner)
        if self._compact(value):
            value = self._expand(value, card)
            self._set(card, value)
        return value

    def __set__(self, card: ScoreCard, value: tuple[Any, ...]) -> None:
        self._set(card, value)


# After attrs built the class, its slots get the compact-aware descriptors.
setattr(  # noqa: B010
    ScoreCard,
    "contributions",
    _Compact(ScoreCard.__dict__["contributions"], _compact_contributions, _expand_contributions),
)
setattr(  # noqa: B010
    ScoreCard, "groups", _Compact(ScoreCard.__dict__["groups"], _compact_groups, _expand_groups)
)
