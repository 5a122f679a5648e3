-- Uploaded training text. The text itself is in the artifact store, named by its sha256
-- (datasets/<sha256>.txt): the same text uploaded twice is stored once.
CREATE TABLE datasets (
    id                uuid PRIMARY KEY,
    name              varchar(100) NOT NULL,
    -- the key name that uploaded it; it sees the dataset as it sees its runs
    owner             varchar(64)  NOT NULL,
    sha256            char(64)     NOT NULL,
    bytes             bigint       NOT NULL,
    -- how the text splits (dev.bd3.jobs.CorpusText), so that a job is checked before it runs
    documents         bigint       NOT NULL,
    train_tokens      bigint       NOT NULL,
    validation_tokens bigint       NOT NULL,
    test_tokens       bigint       NOT NULL,
    created_at        timestamptz  NOT NULL
);
-- a name is its owner's
CREATE UNIQUE INDEX datasets_owner_name_idx ON datasets (owner, name);
CREATE INDEX datasets_created_at_idx ON datasets (created_at DESC);
