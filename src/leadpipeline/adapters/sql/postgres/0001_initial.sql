-- leadpipeline schema version 1: leads, their histories and the outbox.
-- Applied by PostgresStore inside one transaction, with search_path set to the
-- store's schema, under an advisory lock; recorded in leadpipeline_migrations.
-- Never edit a released migration: add the next numbered file instead.

CREATE TABLE leads (
    lead_id     TEXT COLLATE "C" PRIMARY KEY,
    version     INTEGER NOT NULL CHECK (version > 0),
    snapshot    JSONB NOT NULL,
    stage       TEXT NOT NULL,
    owner       TEXT NOT NULL,
    partner_ids TEXT[] NOT NULL DEFAULT '{}',
    source_ids  TEXT[] NOT NULL DEFAULT '{}',
    email_key   TEXT,
    domain_norm TEXT,
    name_norm   TEXT,
    due_at      TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX leads_stage ON leads (stage);
CREATE INDEX leads_owner ON leads (owner);
CREATE INDEX leads_partners ON leads USING GIN (partner_ids);
CREATE INDEX leads_sources ON leads USING GIN (source_ids);
CREATE INDEX leads_email ON leads (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX leads_company ON leads (domain_norm, name_norm) WHERE domain_norm IS NOT NULL;
CREATE INDEX leads_due ON leads (due_at, lead_id) WHERE due_at IS NOT NULL;

-- The history: event n of a lead made version n. The primary key is the
-- database's own guard against two writers appending the same version.
CREATE TABLE events (
    lead_id     TEXT COLLATE "C" NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    body        JSONB NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT events_lead_version UNIQUE (lead_id, version)
);

-- Notifications written with the events; relays lease due entries with
-- FOR UPDATE SKIP LOCKED and a lease expiry, so hosts never share an entry.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    lead_id         TEXT COLLATE "C" NOT NULL,
    key             TEXT NOT NULL,
    body            JSONB NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    leased_until    TIMESTAMPTZ,
    leased_by       TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;
CREATE INDEX outbox_lead ON outbox (lead_id, id);
CREATE INDEX outbox_key ON outbox (key);
