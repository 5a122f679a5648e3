-- The version of the code that ran a run's current attempt (reported by its worker).
ALTER TABLE runs ADD COLUMN code_version varchar(100);

-- Datasets come back with their API (upload, sha256, storage); until then nothing uses the table.
DROP TABLE datasets;
