"""The adapter contract as importable test classes, for our adapters and a host's own.

Subclass `LeadStoreContract` (or `NotifierContract`) in a test module whose class name
starts with ``Test``, implement the factory, and pytest runs the whole contract against
your adapter::

    class TestMyStore(LeadStoreContract):
        def make_store(self) -> LeadStore:
            return MyStore(...)

This package imports without pytest; the tests import it when they run. `captured` and
`step` decide events as the shell would, for a host's own store tests.
"""

from leadpipeline.testing._support import captured as captured
from leadpipeline.testing._support import step as step
from leadpipeline.testing.notifier import NotifierContract
from leadpipeline.testing.store import LeadStoreContract

__all__ = ["LeadStoreContract", "NotifierContract"]
