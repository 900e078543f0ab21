"""Ports and adapters: where leads are stored, how people are notified, what time it is.

Shipped notifiers: `RecordingNotifier` (tests, demos), `CallbackNotifier` (any function)
and `WebhookNotifier` (a signed HTTP POST per notification).
"""

from leadpipeline.adapters.clock import (
    Clock,
    SimulatedClock,
    SystemClock,
)
from leadpipeline.adapters.encoding import (
    EncodedSnapshot,
    EncodedTransition,
    email_digest,
    party_key,
    read_back,
    readable,
)
from leadpipeline.adapters.memory import (
    MemoryStore,
)
from leadpipeline.adapters.notification import (
    CallbackNotifier,
    DeliveryError,
    Notification,
    Notifier,
    OutboxEntry,
    RecordingNotifier,
)
from leadpipeline.adapters.ports import (
    LeadKeys,
    LeadStore,
    Outbox,
    distinct_source_ids,
    normalise_company_name,
    normalise_domain,
    normalise_email,
)
from leadpipeline.adapters.relay import (
    Backoff,
    RelayReport,
    relay_outbox,
)
from leadpipeline.adapters.sqlite import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    SqliteStore,
    Synchronous,
)
from leadpipeline.adapters.webhook import (
    WEBHOOK_KEY_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    WebhookNotifier,
    sign_webhook,
    verify_webhook,
)

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "WEBHOOK_KEY_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "Backoff",
    "CallbackNotifier",
    "Clock",
    "DeliveryError",
    "EncodedSnapshot",
    "EncodedTransition",
    "LeadKeys",
    "LeadStore",
    "MemoryStore",
    "Notification",
    "Notifier",
    "Outbox",
    "OutboxEntry",
    "RecordingNotifier",
    "RelayReport",
    "SimulatedClock",
    "SqliteStore",
    "Synchronous",
    "SystemClock",
    "WebhookNotifier",
    "distinct_source_ids",
    "email_digest",
    "normalise_company_name",
    "normalise_domain",
    "normalise_email",
    "party_key",
    "read_back",
    "readable",
    "relay_outbox",
    "sign_webhook",
    "verify_webhook",
]
