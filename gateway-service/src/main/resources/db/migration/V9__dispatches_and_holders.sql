-- Each publication of a run's job is a dispatch; the worker holding its record (partition@offset)
-- is the run's one holder: events of any other copy are dropped. A dispatch counts deliveries and
-- failures on from the run's, so graceful stops (a fresh dispatch) use up no attempt.
ALTER TABLE runs ADD COLUMN dispatch text;
ALTER TABLE runs ADD COLUMN holder text;
ALTER TABLE runs ADD COLUMN prior_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN prior_failures integer NOT NULL DEFAULT 0;
CREATE INDEX runs_queued_updated_idx ON runs (updated_at) WHERE status = 'QUEUED';

-- Where the broker put each sent record, so that a QUEUED run's job can be looked for in its queue.
ALTER TABLE outbox ADD COLUMN sent_partition integer;
ALTER TABLE outbox ADD COLUMN sent_offset bigint;
CREATE INDEX outbox_key_idx ON outbox (message_key, id);
