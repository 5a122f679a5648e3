-- When the gateway last heard from a run's worker: a RUNNING run silent for long lost its worker.
ALTER TABLE runs ADD COLUMN last_seen_at timestamptz;
CREATE INDEX runs_running_last_seen_idx ON runs (last_seen_at) WHERE status = 'RUNNING';
-- A job fails if it has not ended by its deadline.
ALTER TABLE runs ADD COLUMN deadline timestamptz;
CREATE INDEX runs_open_deadline_idx ON runs (deadline) WHERE status IN ('QUEUED', 'RUNNING');
-- The job types are JobType's: the application maps them, the schema no longer lists them.
ALTER TABLE runs DROP CONSTRAINT runs_type_check;

-- The outbox: a row is claimed by one relay at a time (several gateways), and a row that can never
-- be sent is parked with the reason instead of blocking the rows after it.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
ALTER TABLE outbox ADD COLUMN parked_at timestamptz;
ALTER TABLE outbox ADD COLUMN park_reason text;
DROP INDEX outbox_unsent_idx;
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE sent_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_sent_at_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
