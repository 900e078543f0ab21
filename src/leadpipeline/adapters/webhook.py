"""The webhook notifier: each notification POSTed as JSON, signed, under its idempotency key.

A receiver checks the body's HMAC-SHA256 signature with the shared secret (`verify_webhook`),
and deduplicates by the ``Idempotency-Key`` header: the relay delivers at least once, so
the same notification may arrive again after a lost response. Any answer but 2xx, a
refused connection or a timeout raises `DeliveryError`, and the outbox relay retries the
entry later with its backoff.

Why the standard library (`urllib.request`): one POST per notification needs no
connection pool or async client, and the adapter then works wherever the library does,
with no extra to install.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from leadpipeline.adapters.notification import DeliveryError
from leadpipeline.errors import ValidationError
from leadpipeline.serialization import to_json
from leadpipeline.stages.notify import Notification

__all__ = [
    "WEBHOOK_KEY_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "WebhookNotifier",
    "sign_webhook",
    "verify_webhook",
]

WEBHOOK_KEY_HEADER = "Idempotency-Key"
"""The header carrying `Notification.key`: a receiver acts once per key."""

WEBHOOK_SIGNATURE_HEADER = "X-Leadpipeline-Signature"
"""The header carrying ``sha256=<hex>``, the HMAC-SHA256 of the body under the secret."""

logger = logging.getLogger(__name__)


def _secret(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValidationError.at("secret", "a webhook needs a non-empty shared secret")
    return key


def sign_webhook(body: bytes, secret: str | bytes) -> str:
    """The signature header value for `body`: ``sha256=`` and the hex HMAC-SHA256.

    Example:
        >>> sign_webhook(b'{"key": "L-1:4:handed_over:sales"}', "s3cret")
        'sha256=...'
    """
    digest = hmac.new(_secret(secret), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_webhook(body: bytes, signature: str | None, secret: str | bytes) -> bool:
    """Whether `signature` (the header value) signs exactly `body` under `secret`.

    Compares in constant time; a missing or malformed header is simply not valid.

    Example:
        >>> body = b'{"key": "k"}'
        >>> verify_webhook(body, sign_webhook(body, "s3cret"), "s3cret")
        True
        >>> verify_webhook(body, sign_webhook(body, "guess"), "s3cret")
        False
    """
    if not signature:
        return False
    return hmac.compare_digest(sign_webhook(body, secret).encode(), signature.encode())


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers where it was sent: a redirect is a failed delivery, not a new URL."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookNotifier:
    """A `Notifier` that POSTs each notification as JSON to one URL.

    Args:
        url: an ``http://`` or ``https://`` URL.
        secret: the shared secret the body is signed with (see `sign_webhook` and `verify_webhook`).
        timeout: seconds to wait to connect, and for each read of the answer.
        headers: extra headers for every request (an API key the receiver wants).

    The body is `leadpipeline.serialization.to_json(notification)`; the headers carry the
    key (`WEBHOOK_KEY_HEADER`) and the signature (`WEBHOOK_SIGNATURE_HEADER`).

    Raises:
        ValidationError: the URL is not http(s), or the secret is empty.

    Example:
        >>> notifier = WebhookNotifier("https://crm.example/hooks/leads", secret="s3cret")
        >>> notifier.timeout
        10.0
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | bytes,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError.at("url", f"expected an http:// or https:// URL, got {url!r}")
        if not timeout > 0:
            raise ValidationError.at("timeout", f"must be positive, got {timeout!r}")
        self.url = url
        self.timeout = float(timeout)
        self._secret = _secret(secret)
        self._headers = dict(headers or {})
        self._opener = urllib.request.build_opener(_NoRedirects)

    def request_for(self, notification: Notification) -> urllib.request.Request:
        """The POST request that delivers `notification`: signed body and headers."""
        body = to_json(notification).encode("utf-8")
        headers = {
            **self._headers,
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "leadpipeline-webhook",
            WEBHOOK_KEY_HEADER: notification.key,
            WEBHOOK_SIGNATURE_HEADER: sign_webhook(body, self._secret),
        }
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def deliver(self, notification: Notification) -> None:
        """POST the notification; return once the receiver answered 2xx, else raise.

        Raises:
            DeliveryError: any other answer, a refused or dropped connection, or a
                timeout; the outbox relay retries the entry later.
        """
        request = self.request_for(notification)
        extra = {"key": notification.key, "lead_id": notification.lead_id, "url": self.url}
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            raise DeliveryError(
                f"webhook {self.url} answered {exc.code} for {notification.key!r}"
            ) from None
        except (OSError, http.client.HTTPException) as exc:  # refused, dropped, timed out
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise DeliveryError(
                f"webhook {self.url} unreachable for {notification.key!r}: "
                f"{type(reason).__name__}: {reason}"
            ) from None
        logger.debug("webhook delivered %s", notification.key, extra=extra)
