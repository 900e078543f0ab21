"""Snapshot texts made field by field are exactly the texts `to_json` makes."""

from __future__ import annotations

from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadpipeline.adapters._fragments import SnapshotTexts
from leadpipeline.lead import Lead
from leadpipeline.serialization import to_json
from tests.strategies import interactions, leads, offers, parties, words


@st.composite
def versions(draw: Any) -> list[Lead]:
    """A lead and a few later versions of it, each changing a field or adding an item."""
    lead = draw(leads())
    out = [lead]
    for _ in range(draw(st.integers(1, 6))):
        change = draw(st.sampled_from(["touch", "stage", "owner", "offer", "drop", "other"]))
        if change == "touch":
            lead = attrs.evolve(lead, interactions=(*lead.interactions, draw(interactions())))
        elif change == "stage":
            lead = attrs.evolve(lead, stage=draw(words()))
        elif change == "owner":
            lead = attrs.evolve(lead, owner=draw(parties()))
        elif change == "offer":
            lead = attrs.evolve(lead, offers=(*lead.offers, draw(offers())))
        elif change == "drop":  # a tuple that shrank: no prefix to reuse
            lead = attrs.evolve(lead, interactions=lead.interactions[1:], offers=())
        else:  # another lead under the same id: nothing is the same object
            lead = attrs.evolve(draw(leads()), id=lead.id)
        lead = attrs.evolve(lead, version=lead.version + 1)
        out.append(lead)
    return out


class TestSnapshotTexts:
    @given(versions())
    def test_each_version_reads_as_to_json_writes_it(self, chain: list[Lead]) -> None:
        """Every version's text equals `to_json` of it, whatever changed since the last."""
        texts = SnapshotTexts()
        for lead in chain:
            assert texts.text(lead) == to_json(lead)

    @given(versions())
    def test_a_forgotten_lead_is_encoded_whole_again(self, chain: list[Lead]) -> None:
        """After `forget`, nothing of the lead is remembered and the text is still exact."""
        texts = SnapshotTexts(size=1)
        texts.text(chain[0])
        texts.forget(chain[0].id)
        assert texts._known == {}
        assert texts.text(chain[-1]) == to_json(chain[-1])
