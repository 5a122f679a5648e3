-- Corpora the trainers read, by name, with their checksum and where they live.
CREATE TABLE datasets (
    name       varchar(100) PRIMARY KEY,
    sha256     varchar(64)  NOT NULL,
    bytes      bigint       NOT NULL,
    uri        text         NOT NULL,
    created_at timestamptz  NOT NULL DEFAULT now()
);
