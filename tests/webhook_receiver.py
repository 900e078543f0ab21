"""A webhook receiver on 127.0.0.1 for tests: checks signatures, acts once per key.

It answers each POST from a script (a status, ``"drop"`` to act and then close the
connection without answering, as a crash after the work would, or ``"hang"`` to act and
then wait until released), and 200 once the script is used up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs

from leadpipeline.adapters import (
    WEBHOOK_KEY_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    Notification,
    verify_webhook,
)
from leadpipeline.serialization import from_json

__all__ = ["SECRET", "Received", "Receiver", "receiver"]

SECRET = "whsec-test-3f9a"

Answer = int | str


@attrs.frozen(kw_only=True)
class Received:
    """One POST as it arrived: its key header, body, and whether the signature held."""

    key: str | None
    body: bytes
    signed: bool
    content_type: str | None


class Receiver:
    """The receiving end of a webhook: verifies, deduplicates by key, records effects."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.requests: list[Received] = []
        self.effects: dict[str, Notification] = {}
        self.released = threading.Event()
        self._script: list[Answer] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/leads"

    def script(self, *answers: Answer) -> None:
        """Answer the next POSTs with these, in order."""
        with self._lock:
            self._script = list(answers)

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _act(self, key: str, body: bytes) -> None:
        """The receiver's one effect per key: the first delivery of a key is kept."""
        with self._lock:
            if key not in self.effects:
                self.effects[key] = from_json(body, Notification)

    def _next(self) -> Answer:
        with self._lock:
            return self._script.pop(0) if self._script else 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                key = self.headers.get(WEBHOOK_KEY_HEADER)
                signed = verify_webhook(
                    body, self.headers.get(WEBHOOK_SIGNATURE_HEADER), receiver.secret
                )
                with receiver._lock:
                    receiver.requests.append(
                        Received(
                            key=key,
                            body=body,
                            signed=signed,
                            content_type=self.headers.get("Content-Type"),
                        )
                    )
                if not signed or key is None:
                    self._answer(401)
                    return
                answer = receiver._next()
                if answer == "drop":
                    receiver._act(key, body)
                    self.close_connection = True  # the work is done, the answer is lost
                    return
                if answer == "hang":
                    receiver._act(key, body)
                    receiver.released.wait(timeout=10)
                    self._answer(200)
                    return
                assert isinstance(answer, int)
                if 200 <= answer < 300:
                    receiver._act(key, body)
                self._answer(answer)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read what arrived from the receiver, not from stderr."""

        return Handler


@contextmanager
def receiver(secret: str = SECRET) -> Iterator[Receiver]:
    """A running receiver, shut down afterwards."""
    running = Receiver(secret)
    try:
        yield running
    finally:
        running.close()
