"""The reference service through Starlette's test client: every endpoint, its refusals."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

pytest.importorskip("starlette")

from examples.service import create_app
from examples.service.stores import DEFAULT_STORE_URL, open_store
from starlette.testclient import TestClient  # only with the service extra

from leadpipeline import Lead, to_json
from leadpipeline.adapters import (
    MemoryStore,
    RecordingNotifier,
    SimulatedClock,
    SqliteStore,
)
from leadpipeline.errors import ConfigurationError
from tests.pipeline_support import PLAYBOOK, T0, fair_lead
from tests.service.support import KEYS, auth, command, offered


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def client(tmp_path: Path, notifier: RecordingNotifier) -> Iterator[TestClient]:
    app = create_app(
        store_url=f"sqlite:///{tmp_path / 'leads.db'}",
        partner_keys=KEYS,
        playbook=PLAYBOOK,
        notifier=notifier,
        clock=SimulatedClock(T0),
        relay_every=None,
    )
    with TestClient(app) as running:
        yield running


NAIVE, AWARE = "2026-03-02T09:00:00", "2026-03-02T09:00:00Z"


def lead_json(n: int = 1, **changes: Any) -> str:
    return to_json(attrs.evolve(fair_lead(n), **changes))


class TestHealthAndDocument:
    def test_health_answers(self, client: TestClient) -> None:
        """GET /health says ok."""
        assert client.get("/health").json() == {"status": "ok"}

    def test_the_openapi_document_is_built_from_the_json_schemas(self, client: TestClient) -> None:
        """The OpenAPI body schemas are leadpipeline's, with every reference resolving."""
        document = client.get("/openapi.json").json()
        assert document["openapi"] == "3.1.0"
        schemas = document["components"]["schemas"]
        capture = document["paths"]["/leads"]["post"]["requestBody"]["content"]
        assert capture["application/json"]["schema"] == {"$ref": "#/components/schemas/Lead"}
        assert schemas["Lead"]["properties"]["source"] == {"$ref": "#/components/schemas/Source"}
        text = json.dumps(document)
        for ref in {r.split('"')[0] for r in text.split('"$ref": "#/components/schemas/')[1:]}:
            assert ref in schemas, ref
        tags = {m["properties"]["type"]["const"] for m in schemas["LeadCommand"]["oneOf"]}
        assert "capture" not in tags
        assert "hand_over" in tags


class TestCapture:
    def test_a_new_lead_is_created(self, client: TestClient) -> None:
        """POST /leads with a new lead answers 201 captured, with the lead."""
        response = client.post("/leads", content=lead_json())
        assert response.status_code == 201
        assert response.json()["outcome"] == "captured"
        assert response.json()["lead"]["id"] == "L-1"

    def test_the_same_lead_twice_is_already_captured(self, client: TestClient) -> None:
        """A retried capture answers 200 already_captured and writes nothing."""
        client.post("/leads", content=lead_json())
        again = client.post("/leads", content=lead_json())
        assert again.status_code == 200
        assert again.json()["outcome"] == "already_captured"
        assert len(client.get("/leads/L-1/history").json()) == 1

    def test_another_lead_under_a_taken_id_is_a_conflict(self, client: TestClient) -> None:
        """A different lead under a captured id answers 409 naming the differing fields."""
        client.post("/leads", content=lead_json(1))
        other = to_json(attrs.evolve(fair_lead(2), id="L-1"))
        response = client.post("/leads", content=other)
        assert response.status_code == 409
        body = response.json()
        assert body["type"] == "lead_id_taken_error"
        assert "contact.email" in body["details"]["differences"]

    def test_a_malformed_body_is_422_with_the_field_path(self, client: TestClient) -> None:
        """A wrong type deep in the body answers 422 naming its path; nothing is written."""
        data = json.loads(lead_json())
        data["company"]["annual_revenue"]["amount"] = "forty million"
        response = client.post("/leads", json=data)
        assert response.status_code == 422
        body = response.json()
        assert body["type"] == "validation_error"
        assert body["path"] == "company.annual_revenue.amount"
        assert client.get("/leads/L-1").status_code == 404

    @pytest.mark.parametrize(
        ("change", "path"),
        [
            (
                {"source": {"channel": "web", "captured_at": "2026-03-02T09:00:00"}},
                "source.captured_at",
            ),
            ({"colour": "red"}, "colour"),
            ({"id": "  "}, "id"),
            (
                {"interactions": [{"kind": "carrier_pigeon", "at": "2026-03-02T09:00:00Z"}]},
                "interactions[0].kind",
            ),
        ],
        ids=["naive-datetime", "unknown-field", "blank-id", "unknown-interaction-kind"],
    )
    def test_each_refusal_names_its_path(
        self, client: TestClient, change: dict[str, Any], path: str
    ) -> None:
        """Naive times, unknown keys, blank ids and unknown kinds each answer 422 at the field."""
        response = client.post("/leads", json={**json.loads(lead_json()), **change})
        assert response.status_code == 422
        assert response.json()["path"] == path

    def test_what_the_converter_takes_but_the_schema_refuses_is_422(
        self, client: TestClient
    ) -> None:
        """A date without dashes parses in Python but breaks the published schema: 422."""
        data = json.loads(lead_json())
        data["needs"]["purchase_decision"] = "20261001"
        response = client.post("/leads", json=data)
        assert response.status_code == 422
        assert response.json()["path"] == "needs.purchase_decision"

    def test_invalid_json_is_422_at_the_root(self, client: TestClient) -> None:
        """A body that is not JSON answers 422 with the line and column."""
        response = client.post("/leads", content=b'{"id": ')
        assert response.status_code == 422
        assert response.json()["path"] == ""
        assert "line 1 column" in response.json()["message"]

    def test_a_lead_not_in_the_first_stage_is_refused(self, client: TestClient) -> None:
        """Capturing a lead that claims to be SQL already answers 409 with the allowed stage."""
        response = client.post("/leads", content=lead_json(stage="sql"))
        assert response.status_code == 409
        assert response.json()["details"]["allowed"] == ["inquiry"]


class TestReading:
    def test_a_lead_and_its_history(self, client: TestClient) -> None:
        """GET the lead and its history: the snapshot and every event, tagged."""
        client.post("/leads", content=lead_json())
        command(client, "L-1", {"type": "qualify"})
        lead = client.get("/leads/L-1").json()
        assert (lead["stage"], lead["version"]) == ("mql", 3)
        history = client.get("/leads/L-1/history").json()
        assert [e["type"] for e in history] == ["lead_captured", "qualified", "stage_changed"]

    @pytest.mark.parametrize("path", ["/leads/L-404", "/leads/L-404/history"])
    def test_an_unknown_lead_is_404(self, client: TestClient, path: str) -> None:
        """Reading a lead that does not exist answers 404 not_found_error."""
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["type"] == "not_found_error"


class TestCommands:
    def test_a_command_returns_the_recorded_transition(self, client: TestClient) -> None:
        """A qualify records its events and says what notifications it queued."""
        client.post("/leads", content=lead_json())
        command(client, "L-1", {"type": "qualify"})
        done = command(client, "L-1", {"type": "hand_over", "to": {"kind": "sales"}})
        assert [e["type"] for e in done["events"]] == ["handed_over", "owner_changed"]
        assert [n["kind"] for n in done["notifications"]] == ["handed_over", "assigned"]
        assert done["after"]["owner"]["kind"] == "sales"

    def test_an_illegal_command_is_409_with_the_allowed_moves(self, client: TestClient) -> None:
        """Accepting a lead nobody handed over answers 409 naming what is allowed."""
        client.post("/leads", content=lead_json())
        response = client.post("/leads/L-1/commands", json={"type": "accept"})
        assert response.status_code == 409
        assert response.json()["details"]["stage"] == "inquiry"
        assert response.json()["details"]["allowed"]

    def test_a_failed_qualification_lists_the_missed_criteria(self, client: TestClient) -> None:
        """Qualifying a lead without needs answers 409 with each missed criterion."""
        client.post(
            "/leads",
            content=lead_json(needs=attrs.evolve(fair_lead(1).needs, expected_volume=None)),
        )
        response = client.post("/leads/L-1/commands", json={"type": "qualify"})
        assert response.status_code == 409
        body = response.json()
        assert body["type"] == "qualification_error"
        assert "needs.expected_volume known" in [m["criterion"] for m in body["details"]["missed"]]

    @pytest.mark.parametrize(
        ("body", "path"),
        [
            ({"type": "teleport"}, "type"),
            ({"type": "nurture"}, "reason"),
            ({"type": "hand_over", "to": {"kind": "sales", "team": 7}}, "to.team"),
            ({"type": "capture", "lead": json.loads(to_json(fair_lead(1)))}, "type"),
        ],
        ids=["unknown-command", "missing-reason", "wrong-type", "capture-is-not-a-command-here"],
    )
    def test_a_malformed_command_is_422_with_the_path(
        self, client: TestClient, body: dict[str, Any], path: str
    ) -> None:
        """A command with an unknown tag, a missing or mistyped field answers 422 at the field."""
        client.post("/leads", content=lead_json())
        response = client.post("/leads/L-1/commands", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["path"] == path

    def test_a_command_for_an_unknown_lead_is_404(self, client: TestClient) -> None:
        """A command for a lead that does not exist answers 404."""
        response = client.post("/leads/L-404/commands", json={"type": "qualify"})
        assert response.status_code == 404


class TestPartners:
    def test_without_a_known_credential_the_answer_is_401(self, client: TestClient) -> None:
        """No credential, another scheme or an unknown key answers 401."""
        for headers in ({}, {"Authorization": "Basic a2V5"}, {"Authorization": "Bearer nope"}):
            response = client.get("/partner/leads", headers=headers)
            assert response.status_code == 401
            assert response.json()["type"] == "unauthorized"

    def test_a_partner_lists_and_reads_its_offered_lead(self, client: TestClient) -> None:
        """The offered partner sees the lead in its list and reads its package."""
        lead_id = offered(client, 1)
        assert client.get("/partner/leads", headers=auth("p-gold")).json() == {
            "lead_ids": [lead_id]
        }
        package = client.get(f"/partner/leads/{lead_id}", headers=auth("p-gold")).json()
        assert package["partner_id"] == "p-gold"
        assert package["lead"]["notes"] == []  # internal notes never reach a partner

    def test_another_partners_lead_is_404(self, client: TestClient) -> None:
        """A partner reading or acting on a lead offered to another gets 404, nothing changes."""
        lead_id = offered(client, 1, partners=("p-gold",))
        silver = auth("p-silver")
        assert client.get("/partner/leads", headers=silver).json() == {"lead_ids": []}
        assert client.get(f"/partner/leads/{lead_id}", headers=silver).status_code == 404
        accept = client.post(f"/partner/leads/{lead_id}/accept", headers=silver)
        assert accept.status_code == 404
        assert accept.json() == {
            "type": "not_found_error",
            "message": f"lead {lead_id!r} not found",
            "path": None,
            "status": 404,
            "details": {"lead_id": lead_id, "what": "lead"},
        }
        give_back = {"reason": "no_fit", "comment": "not ours"}
        ret = client.post(f"/partner/leads/{lead_id}/return", headers=silver, json=give_back)
        assert ret.status_code == 404
        complete = client.post(
            f"/partner/leads/{lead_id}/complete", headers=silver, json={"outcome": "won"}
        )
        assert complete.status_code == 404
        assert client.get(f"/leads/{lead_id}").json()["owner"]["kind"] == "sales"

    def test_a_partner_accepts_then_wins(self, client: TestClient) -> None:
        """Accept answers the package of the partner's lead; a win answers 204."""
        lead_id = offered(client, 1)
        accepted = client.post(f"/partner/leads/{lead_id}/accept", headers=auth("p-gold"))
        assert accepted.status_code == 200
        assert accepted.json()["lead"]["owner"] == {
            "kind": "partner",
            "team": None,
            "rep": None,
            "partner_id": "p-gold",
        }
        won = client.post(
            f"/partner/leads/{lead_id}/complete",
            headers=auth("p-gold"),
            json={"outcome": "won", "revenue": 120000},
        )
        assert won.status_code == 204
        assert client.get(f"/leads/{lead_id}").json()["stage"] == "customer"

    def test_a_partner_returns_a_lead_and_no_longer_sees_it(self, client: TestClient) -> None:
        """A return answers 204; the lead leaves the partner's list."""
        lead_id = offered(client, 1)
        client.post(f"/partner/leads/{lead_id}/accept", headers=auth("p-gold"))
        response = client.post(
            f"/partner/leads/{lead_id}/return",
            headers=auth("p-gold"),
            json={"reason": "project_does_not_fit", "comment": "they build ships, not pumps"},
        )
        assert response.status_code == 204, response.text
        assert client.get("/partner/leads", headers=auth("p-gold")).json() == {"lead_ids": []}

    def test_a_malformed_return_is_422_with_the_path(self, client: TestClient) -> None:
        """A return without a comment answers 422 naming the missing field."""
        lead_id = offered(client, 1)
        response = client.post(
            f"/partner/leads/{lead_id}/return", headers=auth("p-gold"), json={"reason": "no_fit"}
        )
        assert response.status_code == 422
        assert response.json()["path"] == "comment"

    def test_accepting_twice_is_not_refused(self, client: TestClient) -> None:
        """A second accept of a lead the partner already works answers 200 with its package."""
        lead_id = offered(client, 1)
        client.post(f"/partner/leads/{lead_id}/accept", headers=auth("p-gold"))
        again = client.post(f"/partner/leads/{lead_id}/accept", headers=auth("p-gold"))
        assert again.status_code == 200
        assert again.json()["lead"]["owner"]["partner_id"] == "p-gold"

    def test_completing_an_offer_not_yet_accepted_is_refused(self, client: TestClient) -> None:
        """A partner that only holds an offer cannot report the deal: a 4xx with the reason."""
        lead_id = offered(client, 1)
        response = client.post(
            f"/partner/leads/{lead_id}/complete", headers=auth("p-gold"), json={"outcome": "won"}
        )
        assert response.status_code in (403, 409), response.text
        assert response.json()["details"]["lead_id"] == lead_id


class TestRelay:
    def test_a_relay_pass_delivers_the_outbox(
        self, client: TestClient, notifier: RecordingNotifier
    ) -> None:
        """POST /relay delivers what the commands queued and says how many."""
        offered(client, 1, partners=("p-gold", "p-silver"))
        report = client.post("/relay").json()
        assert report == {"delivered": len(notifier.delivered), "failed": 0}
        assert {str(n.recipient) for n in notifier.delivered} >= {
            "partner/p-gold",
            "partner/p-silver",
        }

    def test_the_background_task_relays_by_itself(self, tmp_path: Path) -> None:
        """With a relay interval, notifications arrive without anyone asking."""
        notifier = RecordingNotifier()
        app = create_app(
            store_url="memory://",
            playbook=PLAYBOOK,
            notifier=notifier,
            clock=SimulatedClock(T0),
            relay_every=0.01,
        )
        with TestClient(app) as running:
            offered(running, 1)
            deadline = time.monotonic() + 30  # a bound on the wait, not a measured claim
            while not notifier.delivered and time.monotonic() < deadline:
                time.sleep(0.01)
        assert notifier.delivered


class TestThreadPool:
    def test_library_calls_run_on_worker_threads(self, tmp_path: Path) -> None:
        """Every store call happens on a worker thread, never on the event loop's."""
        seen: list[str] = []

        class Watched(MemoryStore):
            def load(self, lead_id: str) -> Lead:
                seen.append(threading.current_thread().name)
                return super().load(lead_id)

        import examples.service.app as service_app  # noqa: PLC0415

        original = service_app.open_store
        service_app.open_store = lambda _url: Watched()  # type: ignore[assignment]
        try:
            app = create_app(store_url="memory://", relay_every=None, clock=SimulatedClock(T0))
            with TestClient(app) as running:
                running.post("/leads", content=lead_json())
                running.get("/leads/L-1")
                running.post("/leads/L-1/commands", json={"type": "add_note", "text": "hi"})
        finally:
            service_app.open_store = original
        assert seen
        assert all(name.startswith("AnyIO worker thread") for name in seen), seen


class TestStoreByUrl:
    def test_the_default_is_a_sqlite_file(self, tmp_path: Path) -> None:
        """The default URL names a SQLite file; a sqlite:/// URL opens one."""
        assert DEFAULT_STORE_URL == "sqlite:///leads.db"
        store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
        assert isinstance(store, SqliteStore)
        store.close()
        assert (tmp_path / "x.db").exists()

    def test_memory_and_unknown_urls(self) -> None:
        """memory:// is a MemoryStore; any other scheme is refused naming the choices."""
        assert isinstance(open_store("memory://"), MemoryStore)
        with pytest.raises(ConfigurationError, match="postgresql://DSN"):
            open_store("mysql://localhost/leads")

    @pytest.mark.skipif(
        not os.environ.get("LEADPIPELINE_POSTGRES_DSN"), reason="no PostgreSQL server configured"
    )
    def test_a_postgresql_dsn_opens_postgres(self) -> None:
        """A postgresql:// DSN opens the PostgreSQL store."""
        from leadpipeline.adapters.postgres import PostgresStore  # noqa: PLC0415

        store = open_store(os.environ["LEADPIPELINE_POSTGRES_DSN"])
        try:
            assert isinstance(store, PostgresStore)
        finally:
            store.close()  # type: ignore[attr-defined]
