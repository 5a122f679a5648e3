-- A training run may be a model imported in the authors' release layout (POST /api/v1/models)
-- rather than trained here: its one checkpoint (step 0) was converted from the upload, and the
-- sha256 of the model.safetensors it came from makes the same weights imported twice one run.
ALTER TABLE runs ADD COLUMN imported_sha256 char(64);
CREATE UNIQUE INDEX runs_imported_sha256_idx ON runs (imported_sha256);
