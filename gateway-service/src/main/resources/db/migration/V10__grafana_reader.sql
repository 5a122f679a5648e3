-- The run history, readable by bd3_reader (Grafana logs in as bd3_grafana, a member): SELECT on the
-- history tables only. Never api_keys (key hashes), datasets (who uploaded what), the outbox (every
-- job as published) or Flyway's history; no INSERT, UPDATE, DELETE or DDL anywhere.
--
-- The role is made where the database users are (deploy/local/stack, compose's grafana-db-login,
-- CloudNativePG's managed roles), before the gateway's first start: the gateway's user is no
-- superuser there and may not create roles. A user that may (compose's bd3 is the superuser) makes
-- it here when it is missing. Where neither holds, nothing is granted (a notice says so) rather
-- than the migration failing: run this file's GRANTs by hand once the role exists.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bd3_reader') THEN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = current_user
                                              AND (rolsuper OR rolcreaterole)) THEN
            RAISE NOTICE 'no role bd3_reader, and % may not create it: nothing granted', current_user;
            RETURN;
        END IF;
        CREATE ROLE bd3_reader NOLOGIN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO bd3_reader', current_schema());
    GRANT SELECT ON runs, metrics, checkpoints, samples, eval_results TO bd3_reader;
END
$$;
