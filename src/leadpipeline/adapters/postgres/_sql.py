"""The SQL of a PostgreSQL store, with its schema's tables qualified once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from leadpipeline._checks import require_aware
from leadpipeline.adapters._fragments import SnapshotTexts
from leadpipeline.adapters.encoding import EncodedTransition, party_key
from leadpipeline.lead import Party
from leadpipeline.serialization import structure
from leadpipeline.stages.notify import Notification, OutboxEntry
from leadpipeline.stages.transition import Transition

__all__ = ["Statements", "entry_of", "filters", "write_params"]


def filters(
    stage: str | None, owner: Party | None, partner_id: str | None, due_before: datetime | None
) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters shared by `query` and `count`."""
    where, params = ["TRUE"], list[Any]()
    if stage is not None:
        where.append("stage = %s")
        params.append(stage)
    if owner is not None:
        where.append("owner = %s")
        params.append(party_key(owner))
    if partner_id is not None:
        where.append("partner_ids @> ARRAY[%s]::text[]")
        params.append(partner_id)
    if due_before is not None:
        require_aware("due_before", due_before)
        where.append("due_at < %s")
        params.append(due_before)
    return " AND ".join(where), params


class Statements:
    """The SQL of one store, with the schema's tables qualified once."""

    def __init__(self, schema: str) -> None:
        q = f'"{schema}"'
        self.leads = leads = f"{q}.leads"
        events = f"{q}.events"
        outbox = f"{q}.outbox"
        cols = "id, body, attempts, next_attempt_at, delivered_at, last_error, lead_id"
        free = "(leased_until IS NULL OR leased_until <= clock_timestamp())"
        self.load = f"SELECT snapshot FROM {leads} WHERE lead_id = %s"
        self.version = f"SELECT version FROM {leads} WHERE lead_id = %s"
        self.history = f"SELECT body FROM {events} WHERE lead_id = %s ORDER BY version"
        sources = f"{q}.lead_sources"
        self.by_source = f"SELECT lead_id FROM {sources} WHERE source_id = %s"
        self.by_sources = f"SELECT source_id, lead_id FROM {sources} WHERE source_id = ANY(%s)"
        self.claim_sources = (
            f", src AS (INSERT INTO {sources} (source_id, lead_id) "
            "SELECT s, up.lead_id FROM up, unnest(%(claimed)s::text[]) AS s)"
        )
        self.mark_scrub_due = f", due AS (INSERT INTO {q}.scrub_due (since) SELECT now() FROM up)"
        self.scrub_due = f"SELECT id FROM {q}.scrub_due"
        self.scrub_done = f"DELETE FROM {q}.scrub_due WHERE id = ANY(%s)"
        self.scrubbed_tables = tuple(f"{q}.{t}" for t in ("leads", "events", "outbox"))
        self.by_email = (
            f"SELECT min(lead_id) FROM {leads} WHERE email_key = %s AND stage <> ALL(%s::text[])"
        )
        self.by_company = (
            f"SELECT min(lead_id) FROM {leads} "
            "WHERE domain_norm = %s AND name_norm = %s AND stage <> ALL(%s::text[])"
        )
        values = (
            "%(version)s, %(snapshot)s::jsonb, %(stage)s, %(owner)s, %(partner_ids)s::text[], "
            "%(email_key)s, %(domain_norm)s, %(name_norm)s, "
            "%(due_at)s::timestamptz"
        )
        self.create = (
            f"WITH up AS (INSERT INTO {leads} (lead_id, version, snapshot, stage, owner, "
            "partner_ids, email_key, domain_norm, name_norm, due_at) "
            f"VALUES (%(lead_id)s, {values}) ON CONFLICT (lead_id) DO NOTHING RETURNING lead_id)"
        )
        self.update = (
            f"WITH up AS (UPDATE {leads} SET (version, snapshot, stage, owner, partner_ids, "
            "email_key, domain_norm, name_norm, due_at, updated_at) = "
            f"({values}, now()) "
            "WHERE lead_id = %(lead_id)s AND version = %(expected)s RETURNING lead_id)"
        )
        events_cte = (
            f", ev AS (INSERT INTO {events} (lead_id, version, body) "
            "SELECT up.lead_id, %(expected)s + t.n, t.b FROM up, "
            "jsonb_array_elements(%(bodies)s::jsonb) WITH ORDINALITY AS t(b, n))"
        )
        self.without_outbox = f"{events_cte} SELECT count(*) FROM up"
        self.with_outbox = (
            f"{events_cte}, ob AS (INSERT INTO {outbox} (lead_id, key, body, next_attempt_at) "
            "SELECT up.lead_id, t.k, j.b, t.at FROM up, "
            "unnest(%(keys)s::text[], %(times)s::timestamptz[]) WITH ORDINALITY AS t(k, at, n) "
            "JOIN jsonb_array_elements(%(notes)s::jsonb) WITH ORDINALITY AS j(b, m) ON j.m = t.n "
            "ORDER BY t.n RETURNING id) "
            "SELECT count(*) FROM up"
        )
        # The wake-up for listening relays, sent after the write has committed and in a
        # transaction of its own: a transaction that notifies holds one lock for the whole
        # database until its commit is flushed, so notifying inside the write would queue
        # every writer's fsync behind the others'. The hint needs no flush of its own.
        self.channel = channel = f"{schema}_outbox"
        self.notify = (
            f"BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify('{channel}', ''); COMMIT"
        ).encode()
        self.rewrite_events = (
            f", rw AS (UPDATE {events} AS e SET body = j.b FROM up, "
            "unnest(%(rewrite_versions)s::int[]) WITH ORDINALITY AS t(v, n) "
            "JOIN jsonb_array_elements(%(rewrite_bodies)s::jsonb) WITH ORDINALITY AS j(b, m) "
            "ON j.m = t.n WHERE e.lead_id = up.lead_id AND e.version = t.v)"
        )
        self.rewrite_entries = (
            f", orw AS (UPDATE {outbox} AS o SET body = j.b, last_error = t.e FROM up, "
            "unnest(%(entry_ids)s::bigint[], %(entry_errors)s::text[]) "
            "WITH ORDINALITY AS t(i, e, n) "
            "JOIN jsonb_array_elements(%(entry_bodies)s::jsonb) WITH ORDINALITY AS j(b, m) "
            "ON j.m = t.n WHERE o.id = t.i AND o.lead_id = up.lead_id)"
        )
        self.outbox = f"SELECT {cols} FROM {outbox} WHERE lead_id = %s ORDER BY id"
        self.pending = (
            f"SELECT {cols} FROM {outbox} WHERE delivered_at IS NULL "
            f"AND next_attempt_at <= %s AND {free} ORDER BY next_attempt_at, id LIMIT %s"
        )
        self.lease = (
            f"UPDATE {outbox} AS o SET leased_until = clock_timestamp() + %(lease_for)s, "
            "leased_by = %(owner)s "
            f"FROM (SELECT id FROM {outbox} WHERE delivered_at IS NULL "
            f"AND next_attempt_at <= %(now)s AND {free} "
            "ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) AS c "
            "WHERE o.id = c.id RETURNING o.id, o.body, o.attempts, o.next_attempt_at, "
            "o.delivered_at, o.last_error, o.lead_id"
        )
        self.delivered = (
            f"WITH hit AS (SELECT id FROM {outbox} WHERE id = %(id)s), "
            f"up AS (UPDATE {outbox} SET attempts = attempts + 1, delivered_at = %(at)s, "
            "leased_until = NULL, leased_by = NULL "
            "WHERE id = %(id)s AND delivered_at IS NULL RETURNING id) "
            "SELECT (SELECT count(*) FROM hit), (SELECT count(*) FROM up)"
        )
        self.failed = (
            f"WITH hit AS (SELECT id FROM {outbox} WHERE id = %(id)s), "
            f"up AS (UPDATE {outbox} SET attempts = attempts + 1, last_error = %(error)s, "
            "next_attempt_at = %(retry_at)s, leased_until = NULL, leased_by = NULL "
            "WHERE id = %(id)s AND delivered_at IS NULL RETURNING id) "
            "SELECT (SELECT count(*) FROM hit), (SELECT count(*) FROM up)"
        )


def write_params(transition: Transition, texts: SnapshotTexts | None = None) -> dict[str, Any]:
    """The named parameters of one transition's write statement."""
    encoded = EncodedTransition.of(transition, texts)
    snapshot = encoded.snapshot
    keys = snapshot.keys
    notes = transition.notifications
    return {
        "lead_id": transition.lead_id,
        "expected": transition.expected_version,
        "version": transition.after.version,
        "snapshot": snapshot.text,
        "stage": keys.stage,
        "owner": snapshot.owner,
        "partner_ids": list(keys.partner_ids),
        "email_key": snapshot.email_digest,
        "domain_norm": keys.domain,
        "name_norm": keys.company_name,
        "due_at": transition.due_at,
        "bodies": _json_list(encoded.events),
        "keys": [n.key for n in notes],
        "notes": _json_list(encoded.notifications),
        "times": [n.created_at for n in notes],
        "rewrite_versions": [version for version, _ in encoded.rewrites],
        "rewrite_bodies": _json_list(body for _, body in encoded.rewrites),
        "entry_ids": [entry_id for entry_id, _, _ in encoded.outbox_rewrites],
        "entry_bodies": _json_list(body for _, body, _ in encoded.outbox_rewrites),
        "entry_errors": [error for _, _, error in encoded.outbox_rewrites],
        "claimed": list(transition.claimed_sources),
    }


def _json_list(texts: Iterable[str]) -> str:
    """JSON texts as one JSON array, which the server reads in one pass.

    An array of jsonb would have every quote of every text escaped on the way. The
    events' version numbers follow from the order: the expected version plus the position.
    """
    return f"[{','.join(texts)}]"


def entry_of(row: Sequence[Any]) -> OutboxEntry:
    """An outbox row as the value a store returns."""
    entry_id, body, attempts, next_at, delivered, error = row[:6]
    return OutboxEntry(
        id=entry_id,
        notification=structure(body, Notification),
        attempts=attempts,
        next_attempt_at=next_at,
        delivered_at=delivered,
        last_error=error,
    )
