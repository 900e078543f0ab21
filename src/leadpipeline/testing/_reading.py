"""The contract's reading part: queries, counts, and lookups by source and duplicate."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from leadpipeline.errors import NotFoundError, SourceConflictError, ValidationError
from leadpipeline.lead import Party, Source
from leadpipeline.stages.commands import AddNote, Disqualify, Merge, MoveStage
from leadpipeline.stages.transition import Transition
from leadpipeline.testing._support import CLOSED_STAGES, T0, StoreCase, _pytest, captured

__all__ = ["ReadingContract"]


class ReadingContract(StoreCase):
    """Queries and lookups: by stage, owner, partner, due time, source and duplicate."""

    def test_query_by_stage(self) -> None:
        """Querying by stage returns exactly the leads in that stage."""
        self.new("L-1")
        mql = self.do(self.new("L-2"), MoveStage(to_stage="mql"), T0)
        assert self.store.query(stage="mql") == (mql,)
        assert [x.id for x in self.store.query(stage="inquiry")] == ["L-1"]
        assert self.store.query(stage="customer") == ()

    def test_query_by_owner(self) -> None:
        """Querying by owner matches the owning party exactly, team included."""
        self.new("L-1")
        lead = self.do(self.new("L-2"), MoveStage(to_stage="mql"), T0)
        team = Party.sales(team="inside-sales")
        lead = self.do(lead, MoveStage(to_stage="sal", owner=team), T0)
        assert [x.id for x in self.store.query(owner=team)] == ["L-2"]
        assert self.store.query(owner=Party.sales(team="pre-sales")) == ()
        assert [x.id for x in self.store.query(owner=Party.marketing())] == ["L-1"]

    def test_query_by_partner_finds_held_and_offered_leads(self) -> None:
        """A partner sees the leads it holds and those with an open offer to it."""
        held = self.to_opportunity(self.new("L-1"), Party.partner("p-7"), T0)
        offered = self.offer(self.to_opportunity(self.new("L-2"), Party.sales(), T0), "p-7", T0)
        self.offer(self.to_opportunity(self.new("L-3"), Party.sales(), T0), "p-9", T0)
        assert self.store.query(partner_id="p-7") == (held, offered)
        assert [x.id for x in self.store.query(partner_id="p-9")] == ["L-3"]
        assert self.store.query(partner_id="p-1") == ()

    def test_query_due_before_orders_by_urgency(self) -> None:
        """Leads due before a time come back most urgent first, and `limit` keeps the first."""
        later = self.do(self.new("L-1"), AddNote(text="a"), T0, due_at=T0 + timedelta(hours=8))
        sooner = self.do(self.new("L-2"), AddNote(text="b"), T0, due_at=T0 + timedelta(hours=2))
        self.do(self.new("L-3"), AddNote(text="c"), T0, due_at=T0 + timedelta(days=2))
        self.new("L-4")
        cutoff = T0 + timedelta(days=1)
        assert self.store.query(due_before=cutoff) == (sooner, later)
        assert self.store.query(due_before=cutoff, limit=1) == (sooner,)
        assert [x.id for x in self.store.query()] == ["L-2", "L-1", "L-3", "L-4"]

    def test_count_agrees_with_query(self) -> None:
        """`count` with any filters is the number of leads `query` returns with them."""
        held = self.to_opportunity(self.new("L-1"), Party.partner("p-7"), T0)
        self.offer(self.to_opportunity(self.new("L-2"), Party.sales(), T0), "p-7", T0)
        self.do(self.new("L-3"), AddNote(text="a"), T0, due_at=T0 + timedelta(hours=2))
        self.new("L-4")
        filters: list[dict[str, Any]] = [
            {},
            {"stage": "opportunity"},
            {"stage": "inquiry"},
            {"owner": held.owner},
            {"owner": Party.marketing()},
            {"partner_id": "p-7"},
            {"partner_id": "p-8"},
            {"due_before": T0 + timedelta(days=1)},
            {"stage": "inquiry", "due_before": T0 + timedelta(days=1)},
        ]
        for given in filters:
            assert self.store.count(**given) == len(self.store.query(**given)), given
        assert self.store.count(partner_id="p-7") == 2

    def test_due_at_is_replaced_by_each_append(self) -> None:
        """An append without a deadline clears the lead's previous one."""
        lead = self.do(self.new("L-1"), AddNote(text="a"), T0, due_at=T0 + timedelta(hours=1))
        self.do(lead, AddNote(text="b"), T0)
        assert self.store.query(due_before=T0 + timedelta(days=9)) == ()

    def test_find_by_source_id_covers_merged_sources(self) -> None:
        """A captured or merged source record finds its lead; an unknown one finds nothing."""
        lead = self.new("L-1", source_id="badge-1")
        merged = Source(channel="web", captured_at=T0, source_id="form-77")
        self.do(lead, Merge(source=merged), T0)
        assert self.store.find_by_source_id("badge-1") == "L-1"
        assert self.store.find_by_source_id("form-77") == "L-1"
        assert self.store.find_by_source_id("form-78") is None

    def test_find_by_source_ids_answers_a_batch_at_once(self) -> None:
        """Many source ids are looked up at once; only the known ones come back."""
        lead = self.new("L-1", source_id="badge-1")
        self.new("L-2", source_id="badge-2")
        merged = Source(channel="web", captured_at=T0, source_id="form-77")
        self.do(lead, Merge(source=merged), T0)
        found = self.store.find_by_source_ids(["badge-2", "form-77", "nope", "badge-1", "nope"])
        assert found == {"badge-1": "L-1", "badge-2": "L-2", "form-77": "L-1"}
        assert self.store.find_by_source_ids([]) == {}
        many = [f"unknown-{n}" for n in range(1200)] + ["badge-2"]
        assert self.store.find_by_source_ids(iter(many)) == {"badge-2": "L-2"}

    def test_find_by_source_ids_agrees_with_single_lookups(self) -> None:
        """Each answer is `find_by_source_id`'s, for captured, merged and unknown records."""
        self.new("L-2", source_id="badge-1")
        lead = self.new("L-1", source_id="badge-2")
        merged = Source(channel="web", captured_at=T0, source_id="form-3")
        self.do(lead, Merge(source=merged), T0)
        asked = ["badge-1", "badge-2", "form-3", "badge-9"]
        found = self.store.find_by_source_ids(asked)
        assert found == {"badge-1": "L-2", "badge-2": "L-1", "form-3": "L-1"}
        for source_id in asked:
            assert found.get(source_id) == self.store.find_by_source_id(source_id)

    def test_a_source_record_belongs_to_one_lead(self) -> None:
        """A claim on a record another lead holds is refused, and nothing of it is written."""
        pytest = _pytest()
        self.new("L-2", source_id="badge-1")
        events, twin = captured("L-1", source_id="badge-1")
        with pytest.raises(SourceConflictError) as caught:
            self.record("L-1", expected_version=0, events=events, after=twin)
        assert caught.value.source_id == "badge-1"
        assert caught.value.held_by in ("L-2", None)
        with pytest.raises(NotFoundError):
            self.store.load("L-1")
        other = self.new("L-3", source_id="badge-3")
        with pytest.raises(SourceConflictError):
            claim = Source(channel="web", captured_at=T0, source_id="badge-1")
            self.do(other, Merge(source=claim), T0)
        assert self.store.load("L-3") == other
        assert self.store.find_by_source_id("badge-1") == "L-2"

    def test_one_batch_cannot_give_a_record_to_two_leads(self) -> None:
        """Two captures of one batch claiming the same record: the batch is refused whole."""
        pytest = _pytest()
        first_events, first = captured("L-1", source_id="badge-7")
        second_events, second = captured("L-2", source_id="badge-7")
        batch = [
            Transition(lead_id="L-1", expected_version=0, events=first_events, after=first),
            Transition(lead_id="L-2", expected_version=0, events=second_events, after=second),
        ]
        with pytest.raises(SourceConflictError):
            self.store.record_many(batch)
        assert self.store.query() == ()
        assert self.store.find_by_source_id("badge-7") is None

    def test_find_by_source_ids_refuses_a_lone_string(self) -> None:
        """A single string is refused rather than looked up letter by letter; so is a number."""
        pytest = _pytest()
        self.new("L-1", source_id="b")
        with pytest.raises(ValidationError) as caught:
            self.store.find_by_source_ids("badge-1")
        assert caught.value.paths == ("source_ids",)
        with pytest.raises(ValidationError) as caught:
            self.store.find_by_source_ids(["b", 7])  # type: ignore[list-item]
        assert caught.value.paths == ("source_ids[1]",)

    def test_find_duplicate_by_email_or_company(self) -> None:
        """A duplicate matches the normalised email, or both domain and company name."""
        self.new("L-1", email="Eva.Berg@Example.com", company="Acme Tools", domain="acme.example")
        self.new("L-2", company="Nordic Pumps AB", domain="nordicpumps.example")
        find = functools.partial(self.store.find_duplicate, closed_stages=CLOSED_STAGES)
        assert find(email=" eva.berg@example.COM", domain=None, company_name=None) == "L-1"
        by_company = find(
            email=None, domain="WWW.nordicpumps.example", company_name="nordic  pumps ab"
        )
        assert by_company == "L-2"
        assert find(email=None, domain="nordicpumps.example", company_name=None) is None
        assert find(email="nobody@example.com", domain=None, company_name=None) is None

    def test_find_duplicate_ignores_closed_leads(self) -> None:
        """A disqualified lead is not a duplicate of a new capture."""
        lead = self.new("L-1", email="eva.berg@example.com")
        self.do(lead, Disqualify(reason="student"), T0)
        found = self.store.find_duplicate(
            email="eva.berg@example.com",
            domain=None,
            company_name=None,
            closed_stages=CLOSED_STAGES,
        )
        assert found is None
