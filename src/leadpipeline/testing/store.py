"""The store contract: every `LeadStore` behaves like this."""

from __future__ import annotations

from leadpipeline.testing._erasure import ErasureContract
from leadpipeline.testing._outbox import OutboxContract
from leadpipeline.testing._reading import ReadingContract
from leadpipeline.testing._writing import WritingContract

__all__ = ["LeadStoreContract"]


class LeadStoreContract(WritingContract, ReadingContract, OutboxContract, ErasureContract):
    """Every `LeadStore` behaves like this; subclass it and implement `make_store`."""
