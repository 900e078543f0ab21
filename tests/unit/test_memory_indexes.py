"""MemoryStore's indexes answer duplicate lookups exactly as a scan of every lead would."""

from __future__ import annotations

import attrs

from leadpipeline import Pipeline
from leadpipeline.adapters import MemoryStore, SimulatedClock
from leadpipeline.stages import UpdateProfile
from tests.pipeline_support import PLAYBOOK, T0, fair_lead


def _twin(store: MemoryStore, pipeline: Pipeline, **keys: str | None) -> str | None:
    found = {"email": None, "domain": None, "company_name": None, **keys}
    return store.find_duplicate(
        email=found["email"],
        domain=found["domain"],
        company_name=found["company_name"],
        closed_stages=pipeline.playbook.lifecycle.closed_stages,
    )


def _setup(count: int) -> tuple[MemoryStore, Pipeline]:
    store = MemoryStore()
    pipeline = Pipeline(PLAYBOOK, store=store, clock=SimulatedClock(T0))
    pipeline.capture_many(fair_lead(n) for n in range(1, count + 1))
    return store, pipeline


class TestMemoryStoreIndexes:
    def test_a_normalised_email_finds_its_lead_among_many(self) -> None:
        """An address in another case and with spaces finds the one lead holding it."""
        store, pipeline = _setup(50)
        assert _twin(store, pipeline, email="  ADA.Lind17@acme17.example ") == "L-17"

    def test_domain_and_name_together_find_the_company(self) -> None:
        """The same domain and company name find the lead; the domain alone finds none."""
        store, pipeline = _setup(20)
        assert _twin(store, pipeline, domain="acme5.example", company_name="ACME 5") == "L-5"
        assert _twin(store, pipeline, domain="acme5.example", company_name="Acme 6") is None

    def test_a_changed_email_leaves_the_old_key(self) -> None:
        """After a profile update the old address finds nothing and the new one the lead."""
        store, pipeline = _setup(3)
        contact = attrs.evolve(store.load("L-2").contact, email="ada@new.example")
        pipeline.execute("L-2", UpdateProfile(contact=contact))
        assert _twin(store, pipeline, email="ada.lind2@acme2.example") is None
        assert _twin(store, pipeline, email="ada@new.example") == "L-2"

    def test_a_closed_lead_is_no_duplicate(self) -> None:
        """A disqualified lead keeps its keys but is never offered as a twin."""
        store, pipeline = _setup(3)
        pipeline.disqualify("L-3", reason="student")
        assert _twin(store, pipeline, email="ada.lind3@acme3.example") is None

    def test_two_holders_of_one_address_give_the_smallest_open_id(self) -> None:
        """Two open leads sharing an address: the smaller id wins, as a scan would give."""
        store, pipeline = _setup(0)
        shared = "team@acme.example"
        pipeline.capture_many(
            [fair_lead(9, email=shared), fair_lead(4, email=shared), fair_lead(7, email=shared)]
        )
        assert _twin(store, pipeline, email=shared) == "L-4"
        pipeline.disqualify("L-4", reason="left the company")
        assert _twin(store, pipeline, email=shared) == "L-7"

    def test_an_erased_lead_leaves_every_index(self) -> None:
        """Erasure takes the lead out of the email and company indexes."""
        store, pipeline = _setup(2)
        pipeline.erase("L-1")
        assert _twin(store, pipeline, email="ada.lind1@acme1.example") is None
        assert _twin(store, pipeline, domain="acme1.example", company_name="Acme 1") is None
        assert store._by_email.keys() == {"ada.lind2@acme2.example"}
