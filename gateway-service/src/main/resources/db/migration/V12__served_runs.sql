-- A sample run made by the OpenAI-compatible completions endpoint rather than submitted as a job.
ALTER TABLE runs ADD COLUMN served boolean NOT NULL DEFAULT false;
