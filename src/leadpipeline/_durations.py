"""Durations as people write them: ``"3d"``, ``"8h"``, ``"1h30m"`` or ISO 8601 ``"PT8H"``.

Why: a playbook is edited by people; ``86400`` says nothing, ``"24h"`` says it at once.
Plain numbers stay accepted as seconds, so files written before keep loading. Years and
months are refused: they have no fixed length.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["business_hours", "duration_text", "parse_duration"]

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_COMPACT = re.compile(
    rf"^(?:{_NUMBER}w)?\s*(?:{_NUMBER}d)?\s*(?:{_NUMBER}h)?\s*(?:{_NUMBER}m)?\s*(?:{_NUMBER}s)?$"
)
_ISO = re.compile(
    rf"^P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_SECONDS = (604_800, 86_400, 3_600, 60, 1)


def parse_duration(text: str) -> timedelta:
    """A duration from ``"3d"``, ``"8h"``, ``"30m"``, ``"1d12h"`` or ISO 8601 ``"P1DT12H"``.

    Raises:
        ValueError: the text is none of these (the message shows the accepted forms).

    Example:
        >>> parse_duration("1h30m"), parse_duration("PT8H") == parse_duration("8h")
        (datetime.timedelta(seconds=5400), True)
    """
    stripped = text.strip()
    upper = stripped.upper()
    match = _ISO.match(upper) if upper.startswith("P") else _COMPACT.match(stripped.lower())
    if upper.startswith("P") and re.match(r"^P(\d+Y|\d+M)", upper):
        raise ValueError(f"{text!r}: years and months have no fixed length; use days")
    if match is None or not any(match.groups()) or upper in {"P", "PT"}:
        raise ValueError(
            f'not a duration: {text!r}; write e.g. "3d", "8h", "30m", "1h30m" or ISO 8601 "PT8H"'
        )
    seconds = sum(
        float(part.replace(",", ".")) * unit
        for part, unit in zip(match.groups(), _SECONDS, strict=True)
        if part is not None
    )
    return timedelta(seconds=seconds)


def duration_text(duration: timedelta, *, days: bool = True) -> str:
    """The shortest ``"3d"``, ``"8h"``, ``"1h30m"`` form of a duration (``"0s"`` for none).

    ``days=False`` writes hours at most: business time is counted in working hours, where
    ``"1d"`` (24 hours) would read as one day but mean three working days.

    Example:
        >>> duration_text(timedelta(days=3)), duration_text(timedelta(minutes=90))
        ('3d', '1h30m')
        >>> duration_text(timedelta(hours=24), days=False)
        '24h'
    """
    total = duration.total_seconds()
    sign, rest = ("-", -total) if total < 0 else ("", total)
    parts = []
    units = (
        zip(_SECONDS[1:], "dhm", strict=False) if days else zip(_SECONDS[2:], "hm", strict=False)
    )
    for unit, name in units:
        count, rest = divmod(rest, unit)
        if count:
            parts.append(f"{int(count)}{name}")
    if rest or not parts:
        parts.append(f"{rest:g}s")
    return sign + "".join(parts)


def business_hours(tree: object) -> object:
    """Plain data with each business-time SLA's durations written in hours, not days.

    Why: an SLA policy with ``basis = "business"`` counts working hours; its ``allowed``
    and its escalation steps' ``after`` are written ``"24h"`` (three 8-hour working days),
    never ``"1d"``, which a reader would take for one day.
    """
    if isinstance(tree, list):
        return [business_hours(item) for item in tree]
    if not isinstance(tree, dict):
        return tree
    out = {key: business_hours(value) for key, value in tree.items()}
    if out.get("basis") == "business":
        allowed = out.get("allowed")
        if isinstance(allowed, str):
            out["allowed"] = duration_text(parse_duration(allowed), days=False)
        steps = out.get("escalation")
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, dict) and isinstance(step.get("after"), str):
                step["after"] = duration_text(parse_duration(step["after"]), days=False)
    return out
