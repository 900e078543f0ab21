-- leadpipeline schema version 2: a source record belongs to one lead.
-- A badge scan or form submission captured twice (by two processes at once, or under two
-- lead ids) must become one lead; the primary key refuses the second claim.

CREATE TABLE lead_sources (
    source_id TEXT COLLATE "C" PRIMARY KEY,
    lead_id   TEXT COLLATE "C" NOT NULL
);
CREATE INDEX lead_sources_lead ON lead_sources (lead_id);

-- Existing leads claim their records; a record two leads already share stops the upgrade
-- (the primary key refuses it) so that nobody's lead is silently dropped.
INSERT INTO lead_sources (source_id, lead_id)
SELECT s, lead_id FROM leads, unnest(source_ids) AS s;

-- Erasure leaves personal data in free space until the tables are rewritten; a row here
-- says a rewrite is due (see PostgresStore.scrub).
CREATE TABLE scrub_due (
    id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    since TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The source records now live in lead_sources alone.
DROP INDEX leads_sources;
ALTER TABLE leads DROP COLUMN source_ids;
