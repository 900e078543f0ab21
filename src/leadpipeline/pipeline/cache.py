"""The shell's cache of the leads it last wrote or read, with the histories they fold."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Iterable

from leadpipeline.events import Event
from leadpipeline.lead import Lead
from leadpipeline.stages import SlaFold

__all__ = ["LeadCache"]


class LeadCache:
    """The last snapshot each lead was written or read at, with the history it folds.

    With them, the SLA fold of that history where a transition left one (`SlaFold`),
    so the next command on the lead folds only its own events.

    A lead's events up to a version never change except by erasure, which the shell
    drops from the cache, so a cached history of the same version is exact. A cached
    snapshot may be stale when another process wrote since; the store's version check
    catches that, and the shell then decides again on a fresh load.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Lead, tuple[Event, ...]]] = OrderedDict()
        self._folds: dict[str, SlaFold] = {}  # for leads in `_items` only
        # the version each erased lead reached: nothing older is cached again
        self._erased: OrderedDict[str, int] = OrderedDict()

    def get(self, lead_id: str) -> tuple[Lead, tuple[Event, ...]] | None:
        """The cached lead and its history, most recently used first to stay."""
        with self._lock:
            found = self._items.get(lead_id)
            if found is not None:
                self._items.move_to_end(lead_id)
            return found

    def history(self, lead: Lead) -> tuple[Event, ...] | None:
        """The cached history `lead` was folded from, if the cache holds that version."""
        found = self.get(lead.id)
        if found is None or found[0].version != lead.version:
            return None
        return found[1]

    def sla_fold(self, lead: Lead) -> SlaFold | None:
        """The SLA fold kept with `lead`'s history, if the cache holds that version."""
        with self._lock:
            found = self._items.get(lead.id)
            if found is None or found[0].version != lead.version:
                return None
            return self._folds.get(lead.id)

    def put(self, lead: Lead, history: tuple[Event, ...], sla_fold: SlaFold | None = None) -> None:
        """Remember a lead with the history it folds (a mismatched pair is ignored)."""
        if self._size <= 0 or len(history) != lead.version:
            return
        with self._lock:
            if lead.version < self._erased.get(lead.id, 0):
                return  # a copy from before an erasure: it must not come back
            self._items[lead.id] = (lead, history)
            self._items.move_to_end(lead.id)
            if sla_fold is not None:
                self._folds[lead.id] = sla_fold
            else:
                self._folds.pop(lead.id, None)
            while len(self._items) > self._size:
                gone, _ = self._items.popitem(last=False)
                self._folds.pop(gone, None)

    def put_many(self, items: Iterable[tuple[Lead, tuple[Event, ...]]]) -> None:
        """Cache the last `size` of many writes (the earlier ones would be evicted at once)."""
        for lead, history in deque(items, maxlen=max(self._size, 0)):
            self.put(lead, history)

    def drop(self, lead_id: str) -> None:
        """Forget a lead: its copy may be stale."""
        with self._lock:
            self._items.pop(lead_id, None)
            self._folds.pop(lead_id, None)

    def erased(self, lead: Lead) -> None:
        """Forget an erased lead, and never again take a copy from before its erasure."""
        with self._lock:
            self._items.pop(lead.id, None)
            self._folds.pop(lead.id, None)
            self._erased[lead.id] = lead.version
            self._erased.move_to_end(lead.id)
            while len(self._erased) > max(self._size, 1):
                self._erased.popitem(last=False)
