"""SLA policies compiled once, for callers that check many histories with the same policies."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from leadpipeline._typed import typed
from leadpipeline.rules.sla._book import _Book
from leadpipeline.rules.sla.policy import SlaPolicy

__all__ = ["CompiledPolicies"]


@attrs.frozen(kw_only=True, field_transformer=typed)
class CompiledPolicies:
    """SLA policies compiled once for evaluation; pass it wherever policies are taken.

    Why: `breaches`, `deadlines` and `escalation_due` run per lead, often over a whole
    book of leads; holding the compiled form saves compiling the same policies per call.
    It equals another when its policies do.

    Example:
        >>> from leadpipeline.rules.sla import DEFAULT_SLA_POLICIES
        >>> compiled = CompiledPolicies(policies=DEFAULT_SLA_POLICIES)
        >>> [p.name for p in compiled.policies][:2]
        ['hot_form_submit_call', 'mql_handover_response']
    """

    policies: tuple[SlaPolicy, ...]
    _book: _Book = attrs.field(init=False, eq=False, repr=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_book", _Book(tuple(self.policies)))


_BOOKS: dict[int, tuple[tuple[SlaPolicy, ...], _Book]] = {}
"""Compiled policy tuples by identity, for callers that pass a plain tuple. Each entry
keeps its tuple alive, so an id is never reused while cached; bounded. Pure: it only saves
recompiling the same policies per lead. Callers that can should hold `CompiledPolicies`."""
_BOOKS_LIMIT = 64


def _book(policies: Iterable[SlaPolicy] | CompiledPolicies) -> _Book:
    if isinstance(policies, CompiledPolicies):
        return policies._book
    if type(policies) is not tuple:
        policies = tuple(policies)
    cached = _BOOKS.get(id(policies))
    if cached is not None and cached[0] is policies:
        return cached[1]
    book = _Book(policies)
    if len(_BOOKS) >= _BOOKS_LIMIT:  # a handful of playbooks per process at most
        _BOOKS.clear()
    _BOOKS[id(policies)] = (policies, book)
    return book
