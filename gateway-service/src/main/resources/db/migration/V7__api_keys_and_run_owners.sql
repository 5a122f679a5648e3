-- API keys: only a key's SHA-256 is kept (a key is 256 random bits: a slow hash adds nothing but
-- latency to every request); the key itself is shown once, when it is made.
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    -- who the key speaks for: the owner of the runs it submits (several keys may share a name)
    name         varchar(64)  NOT NULL,
    -- comma-separated: reader, submitter, admin
    roles        varchar(64)  NOT NULL,
    key_hash     char(64)     NOT NULL UNIQUE,
    -- the key's first characters, to tell keys apart in lists
    prefix       varchar(16)  NOT NULL,
    created_at   timestamptz  NOT NULL,
    created_by   varchar(64),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Runs belong to whoever submitted them; runs from before keys existed have none (readers and
-- admins see them).
ALTER TABLE runs ADD COLUMN owner varchar(64);
CREATE INDEX runs_owner_created_at_idx ON runs (owner, created_at DESC);
-- an Idempotency-Key is its owner's: another caller's same key makes another run
ALTER TABLE runs DROP CONSTRAINT runs_idempotency_key_key;
CREATE UNIQUE INDEX runs_owner_idempotency_key_idx ON runs (coalesce(owner, ''), idempotency_key);
