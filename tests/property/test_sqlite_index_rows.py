"""SQLite's index rows always match the latest snapshot, however little each write changes.

`SqliteStore` rewrites only the index columns, partner rows and source rows that differ
from what the file holds; these properties read the file back after every write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipeline import Lead, Party, Source
from leadpipeline.adapters import LeadKeys, SqliteStore, email_digest, party_key
from leadpipeline.events import LeadCaptured, NoteAdded
from leadpipeline.lead import Company, Contact, Offer
from leadpipeline.stages import Transition

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARTNERS = ("p-1", "p-2", "p-3")


@st.composite
def changes(draw: st.DrawFn) -> dict[str, object]:
    """What one write may change: stage, owner, offers, sources, email, company, erasure, due."""
    offered = draw(st.lists(st.sampled_from(PARTNERS), unique=True, max_size=3))
    return {
        "stage": draw(st.sampled_from(["inquiry", "mql", "sal", "opportunity"])),
        "owner": draw(
            st.sampled_from([Party.marketing(), Party.sales()])
            | st.sampled_from(PARTNERS).map(Party.partner)
        ),
        "offers": tuple(
            Offer(partner_id=p, offered_at=T0, expires_at=T0 + timedelta(days=2)) for p in offered
        ),
        "merged_sources": tuple(
            Source(channel="web", captured_at=T0, source_id=s)
            for s in draw(st.lists(st.sampled_from(["s-a", "s-b", "s-c"]), unique=True))
        ),
        "contact": Contact(email=draw(st.sampled_from([None, "a@x.example", "b@x.example"]))),
        "company": Company(
            name=draw(st.sampled_from([None, "Acme", "Nordic Pumps"])),
            domain=draw(st.sampled_from([None, "acme.example", "pumps.example"])),
        ),
        "erased": draw(st.booleans()),
        "due": draw(st.none() | st.integers(0, 100).map(lambda h: T0 + timedelta(hours=h))),
    }


def first_lead() -> Lead:
    return Lead(id="L-1", source=Source(channel="exhibition", captured_at=T0, source_id="s-0"))


def request_for(before: Lead, change: dict[str, object]) -> Transition:
    """A write that turns `before` into a lead with `change` applied (one note as event)."""
    fields = {k: v for k, v in change.items() if k != "due"}
    fields["merged_sources"] = tuple(  # the lead's own records, as `captured` names them
        attrs.evolve(m, source_id=f"{before.id}/{m.source_id}")
        for m in change["merged_sources"]  # type: ignore[attr-defined]
    )
    after = attrs.evolve(before, version=before.version + 1, **fields)  # type: ignore[arg-type]
    note = NoteAdded(lead_id=before.id, at=T0, actor=Party.marketing(), text="changed")
    return Transition(
        lead_id=before.id,
        expected_version=before.version,
        events=(note,),
        after=after,
        due_at=change["due"],  # type: ignore[arg-type]
    )


def assert_rows_match(path: Path, lead: Lead, due: datetime | None) -> None:
    """The file's index rows for `lead` are exactly those of its snapshot."""
    keys = LeadKeys.of(lead)
    with closing(sqlite3.connect(path)) as conn:
        row = conn.execute(
            "SELECT version, stage, owner, email_key, domain_norm, name_norm, due_at "
            "FROM leads WHERE lead_id = ?",
            (lead.id,),
        ).fetchone()
        partners = {
            p
            for (p,) in conn.execute(
                "SELECT partner_id FROM lead_partners WHERE lead_id = ?", (lead.id,)
            )
        }
        sources = {
            s
            for (s,) in conn.execute(
                "SELECT source_id FROM lead_sources WHERE lead_id = ?", (lead.id,)
            )
        }
    due_micros = (
        None
        if due is None
        else (due - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    )
    assert row == (
        lead.version,
        keys.stage,
        party_key(keys.owner),
        email_digest(keys.email),
        keys.domain,
        keys.company_name,
        due_micros,
    )
    assert partners == set(keys.partner_ids)
    assert sources == set(keys.source_ids)


@pytest.fixture
def folder() -> Iterator[Path]:
    with TemporaryDirectory() as name:
        yield Path(name)


def captured(store: SqliteStore, lead_id: str = "L-1") -> Lead:
    # each lead its own source records: a record belongs to one lead per store
    source = Source(channel="exhibition", captured_at=T0, source_id=f"{lead_id}/s-0")
    lead = attrs.evolve(first_lead(), id=lead_id, source=source)
    event = LeadCaptured(lead_id=lead.id, at=T0, actor=Party.marketing(), lead=lead)
    snapshot = attrs.evolve(lead, version=1)
    store.record(Transition(lead_id=lead.id, expected_version=0, events=(event,), after=snapshot))
    return snapshot


class TestIndexRowsFollowSnapshots:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(changes(), min_size=1, max_size=6))
    def test_after_each_append(self, steps: list[dict[str, object]]) -> None:
        """After every single append the index rows equal those of the new snapshot."""
        with TemporaryDirectory() as name, SqliteStore(Path(name) / "leads.db") as store:
            lead = captured(store)
            for change in steps:
                request = request_for(lead, change)
                store.record_many((request,))
                lead = request.after
                assert_rows_match(store.path, lead, request.due_at)
                for partner in PARTNERS:
                    held = [found.id for found in store.query(partner_id=partner)]
                    assert held == (["L-1"] if partner in LeadKeys.of(lead).partner_ids else [])

    @settings(max_examples=40, deadline=None)
    @given(st.lists(changes(), min_size=2, max_size=6))
    def test_after_a_batch_that_chains_one_lead(self, steps: list[dict[str, object]]) -> None:
        """A batch of several appends to one lead leaves the rows of its last snapshot."""
        with TemporaryDirectory() as name, SqliteStore(Path(name) / "leads.db") as store:
            lead = captured(store)
            batch = []
            for change in steps:
                batch.append(request_for(lead, change))
                lead = batch[-1].after
            store.record_many(batch)
            assert_rows_match(store.path, lead, batch[-1].due_at)
            assert store.load("L-1") == lead

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.sampled_from(["L-1", "L-2", "L-3"]), changes()), max_size=12))
    def test_after_a_batch_that_mixes_leads(
        self, steps: list[tuple[str, dict[str, object]]]
    ) -> None:
        """A batch interleaving appends to several leads leaves each lead's last rows."""
        with TemporaryDirectory() as name, SqliteStore(Path(name) / "leads.db") as store:
            leads = {lead_id: captured(store, lead_id) for lead_id in ("L-1", "L-2", "L-3")}
            due: dict[str, datetime | None] = dict.fromkeys(leads)
            batch = []
            for lead_id, change in steps:
                batch.append(request_for(leads[lead_id], change))
                leads[lead_id] = batch[-1].after
                due[lead_id] = batch[-1].due_at
            store.record_many(batch)
            for lead_id, lead in leads.items():
                assert_rows_match(store.path, lead, due[lead_id])
                assert store.load(lead_id) == lead


class TestWriteSize:
    def test_a_touch_writes_a_handful_of_pages(self, folder: Path) -> None:
        """An append that leaves stage, owner, partners and sources alone writes few pages.

        Unchanged index entries are not rewritten, so the log gains only the pages of the
        new event, its index entry and the lead's row: not one page per index.
        """
        with SqliteStore(folder / "leads.db") as store:
            lead = captured(store)
            store.checkpoint()
            wal = folder / "leads.db-wal"
            assert wal.stat().st_size == 0
            note = NoteAdded(lead_id="L-1", at=T0, actor=Party.marketing(), text="called")
            store.record(
                Transition(
                    lead_id="L-1",
                    expected_version=1,
                    events=(note,),
                    after=attrs.evolve(lead, version=2, notes=("called",)),
                )
            )
            with closing(sqlite3.connect(folder / "leads.db")) as conn:
                page = conn.execute("PRAGMA page_size").fetchone()[0]
            frames = wal.stat().st_size // (page + 24)
            assert frames <= 4
