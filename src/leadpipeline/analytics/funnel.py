"""The demand waterfall: how many leads reached each stage, and each step's conversion.

Shows where the funnel leaks. A lead *reaches* a stage when it was captured in it or a
`StageChanged` moved it there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

import attrs

from leadpipeline._typed import typed
from leadpipeline.analytics._history import History, capture_of, rate, stages_reached
from leadpipeline.errors import ValidationError
from leadpipeline.events import LeadCaptured, replay
from leadpipeline.lead import Lead
from leadpipeline.lifecycle import STANDARD_LIFECYCLE, Lifecycle

__all__ = ["Funnel", "StageReach", "StepConversion", "Waterfall", "waterfall"]

_NONE = "(none)"


@attrs.frozen(kw_only=True, field_transformer=typed)
class StageReach:
    """How many leads reached one stage."""

    stage: str
    leads: int


@attrs.frozen(kw_only=True, field_transformer=typed)
class StepConversion:
    """Conversion from one waterfall stage to the next; `rate` is None when none started."""

    from_stage: str
    to_stage: str
    from_leads: int
    to_leads: int
    rate: float | None


@attrs.frozen(kw_only=True, field_transformer=typed)
class Funnel:
    """One group's waterfall: leads reaching each stage and each step's conversion."""

    group: str
    leads: int
    reached: tuple[StageReach, ...]
    conversions: tuple[StepConversion, ...]

    def count(self, stage: str) -> int:
        """Leads that reached `stage` (0 for a stage outside the waterfall)."""
        return next((r.leads for r in self.reached if r.stage == stage), 0)

    def rate(self, from_stage: str, to_stage: str) -> float | None:
        """The share of leads reaching `from_stage` that also reached `to_stage`.

        This is the ratio of the two counts, so it also spans several steps.
        """
        return rate(self.count(to_stage), self.count(from_stage))


@attrs.frozen(kw_only=True, field_transformer=typed)
class Waterfall:
    """The funnel overall and, with `by`, per group (sorted by group key)."""

    by: str | None
    stages: tuple[str, ...]
    total: Funnel
    groups: tuple[Funnel, ...] = ()

    def group(self, key: str) -> Funnel:
        """The funnel of one group.

        Raises:
            KeyError: no lead fell into that group.
        """
        for f in self.groups:
            if f.group == key:
                return f
        raise KeyError(key)


Grouping = str | Callable[[Lead], str]


def _key_fn(by: Grouping, index_path: str) -> tuple[str, Callable[[History], str]]:
    if callable(by):
        segment = by
        return "segment", lambda h: segment(replay(h))

    def first(h: History) -> Lead:
        captured = h[0]
        assert isinstance(captured, LeadCaptured)  # capture_of checked it before
        return captured.lead

    match by:
        case "channel":
            return by, lambda h: first(h).source.channel
        case "campaign":
            return by, lambda h: first(h).source.campaign or _NONE
        case "period":
            return by, lambda h: first(h).source.captured_at.strftime("%Y-%m")
        case _:
            raise ValidationError.at(
                index_path,
                f"unknown grouping {by!r}: use 'channel', 'campaign', 'period' or a function",
            )


def _funnel(group: str, reaches: Sequence[set[str]], stages: tuple[str, ...]) -> Funnel:
    counts = [sum(1 for r in reaches if s in r) for s in stages]
    return funnel_of_counts(group, len(reaches), counts, stages)


def funnel_of_counts(
    group: str, leads: int, counts: Sequence[int], stages: tuple[str, ...]
) -> Funnel:
    """One group's `Funnel` from its lead count and the leads reaching each stage.

    Shared with the distributed back-test (`leadpipeline.spark.waterfall`).
    """
    return Funnel(
        group=group,
        leads=leads,
        reached=tuple(StageReach(stage=s, leads=c) for s, c in zip(stages, counts, strict=True)),
        conversions=tuple(
            StepConversion(
                from_stage=stages[i],
                to_stage=stages[i + 1],
                from_leads=counts[i],
                to_leads=counts[i + 1],
                rate=rate(counts[i + 1], counts[i]),
            )
            for i in range(len(stages) - 1)
        ),
    )


def waterfall(
    histories: Iterable[History],
    *,
    by: Grouping | None = None,
    stages: Sequence[str] | None = None,
    lifecycle: Lifecycle = STANDARD_LIFECYCLE,
) -> Waterfall:
    """Count leads reaching each waterfall stage and the stage-to-stage conversion.

    Shows where the funnel leaks. `by` groups the leads: ``"channel"`` and ``"campaign"``
    of the original source, ``"period"`` (month of capture, ``"2026-03"``), or a function
    of the current lead (a segment). The stages counted are the waterfall of `lifecycle`
    (by the names it gives them); `stages` replaces that order.

    Example:
        >>> from datetime import datetime, timezone
        >>> from leadpipeline.events import LeadCaptured, StageChanged
        >>> from leadpipeline.lead import Lead, Party, Source
        >>> at = datetime(2026, 1, 5, tzinfo=timezone.utc)
        >>> def captured(lead_id):
        ...     lead = Lead(id=lead_id, source=Source(channel="web", captured_at=at))
        ...     return LeadCaptured(lead_id=lead_id, at=at, actor=Party.marketing(), lead=lead)
        >>> to_mql = StageChanged(lead_id="L-1", at=at, actor=Party.marketing(),
        ...                       from_stage="inquiry", to_stage="mql")
        >>> result = waterfall([(captured("L-1"), to_mql), (captured("L-2"),)])
        >>> result.total.count("mql"), result.total.rate("inquiry", "mql")
        (1, 0.5)
    """
    order = tuple(stages) if stages is not None else lifecycle.waterfall
    if not order:
        path = "stages" if stages is not None else "lifecycle"
        raise ValidationError.at(path, "name at least one stage")
    items = list(histories)
    reaches = []
    for i, h in enumerate(items):
        capture_of(h, i)
        reaches.append(stages_reached(h))
    total = _funnel("all", reaches, order)
    if by is None:
        return Waterfall(by=None, stages=order, total=total)
    name, key = _key_fn(by, "by")
    grouped: dict[str, list[set[str]]] = defaultdict(list)
    for h, r in zip(items, reaches, strict=True):
        grouped[key(h)].append(r)
    return Waterfall(
        by=name,
        stages=order,
        total=total,
        groups=tuple(_funnel(k, grouped[k], order) for k in sorted(grouped)),
    )
