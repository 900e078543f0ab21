"""The reference service runs with one command, and its error table is the code's."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")

from examples.service.__main__ import _partner_keys

from leadpipeline import errors
from leadpipeline.adapters.notification import DeliveryError

REPO = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `(\w+)` \| `(\w+)` \| (\d{3}) \|")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class TestOneCommand:
    def test_python_m_examples_service_serves_http(self, tmp_path: Path) -> None:
        """The documented command starts a server on 127.0.0.1 that answers /health."""
        port = free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "examples.service",
                "--store",
                f"sqlite:///{tmp_path / 'leads.db'}",
                "--port",
                str(port),
                "--partner-key",
                "p-gold=gold-secret",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            answer = None
            deadline = time.monotonic() + 60  # a bound on the wait for start-up, not a claim
            while answer is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                        answer = json.loads(r.read())
                except OSError:
                    if server.poll() is not None:
                        break
                    time.sleep(0.1)
        finally:
            server.terminate()
            output = server.communicate(timeout=30)[0].decode()
        assert answer == {"status": "ok"}, output
        assert (tmp_path / "leads.db").exists()

    def test_partner_keys_are_partner_id_equals_key(self) -> None:
        """--partner-key p-1=KEY maps the key to the partner; anything else is refused."""
        assert _partner_keys(["p-1=abc", "p-2=def=ghi"]) == {"abc": "p-1", "def=ghi": "p-2"}
        with pytest.raises(SystemExit):
            _partner_keys(["p-1"])


class TestErrorTable:
    def test_the_documented_statuses_are_the_codes(self) -> None:
        """docs/service.md's error table lists every error with the type and status it has."""
        text = (REPO / "docs" / "service.md").read_text(encoding="utf-8")
        rows = {
            m.group(1): (m.group(2), int(m.group(3)))
            for m in map(ROW.match, text.splitlines())
            if m
        }
        classes = [getattr(errors, n) for n in errors.__all__] + [DeliveryError]
        assert set(rows) == {c.__name__ for c in classes}
        for cls in classes:
            assert rows[cls.__name__] == (errors._snake(cls.__name__), cls.http_status)
