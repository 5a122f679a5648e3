-- A run is one submitted job (train, eval or sample) and what its workers reported about it.
CREATE TABLE runs (
    id                   uuid PRIMARY KEY,
    type                 varchar(16)  NOT NULL CHECK (type IN ('TRAIN', 'EVAL', 'SAMPLE')),
    status               varchar(16)  NOT NULL
                         CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
    name                 varchar(200),
    spec                 jsonb        NOT NULL,
    idempotency_key      varchar(200) UNIQUE,
    attempt              integer      NOT NULL DEFAULT 0,
    worker               varchar(200),
    error                text,
    progress_step        bigint,
    progress_total       bigint,
    eta_seconds          double precision,
    created_at           timestamptz  NOT NULL,
    started_at           timestamptz,
    -- event time of the RUNNING that began the current attempt: a later RUNNING is a new attempt
    attempt_started_at   timestamptz,
    finished_at          timestamptz,
    updated_at           timestamptz  NOT NULL,
    -- eval and sample runs: the training run and checkpoint they read
    parent_run_id        uuid REFERENCES runs (id),
    parent_checkpoint_id bigint
);

-- GET /runs lists newest first, optionally filtered by type or status
CREATE INDEX runs_created_at_idx ON runs (created_at DESC);
CREATE INDEX runs_status_created_at_idx ON runs (status, created_at DESC);
CREATE INDEX runs_type_created_at_idx ON runs (type, created_at DESC);
CREATE INDEX runs_parent_run_id_idx ON runs (parent_run_id);
