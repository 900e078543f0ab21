"""Requests generated from the service's OpenAPI document, run against the app in-process.

Schemathesis draws requests for every operation from the published schemas (valid ones,
and for the negative phase invalid ones) and checks each answer: no server error, a
documented status and content type, and a body that matches its schema.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("schemathesis")

import schemathesis  # only with the test tools installed
from examples.service import create_app
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from leadpipeline.adapters import SimulatedClock
from tests.pipeline_support import PLAYBOOK, T0
from tests.service.support import KEYS, auth, offered

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _store_url() -> str:
    """A SQLite file for this module's app, removed when the test process ends."""
    folder = Path(tempfile.mkdtemp(prefix="leadpipeline-api-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return f"sqlite:///{folder / 'leads.db'}"


STORE_URL = _store_url()
APP = create_app(
    store_url=STORE_URL,
    partner_keys=KEYS,
    playbook=PLAYBOOK,
    clock=SimulatedClock(T0),
    relay_every=None,
)


@pytest.fixture(scope="module", autouse=True)
def seeded() -> None:
    """Leads the generated requests can find: L-1 offered to p-gold, L-2 with sales."""
    app = create_app(
        store_url=STORE_URL,
        partner_keys=KEYS,
        playbook=PLAYBOOK,
        clock=SimulatedClock(T0),
        relay_every=None,
    )
    with TestClient(app) as client:
        offered(client, 1)
        offered(client, 2, partners=("p-silver",))


schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
def test_no_server_error_and_every_answer_matches_its_schema(case: Any) -> None:
    """Any request drawn from the document gets a documented answer that fits its schema."""
    case.call_and_validate(headers=auth("p-gold"), checks=CHECKS)
