-- Grafana's login to the run history, for compose's monitoring profile (the service
-- grafana-db-login runs it as bd3, compose's superuser, at every start): bd3_grafana, a member of
-- bd3_reader, whose only privileges are SELECT on the history tables (the gateway's migration V10
-- grants them; either may come first: whichever finds bd3_reader missing makes it). The password
-- is BD3_GRAFANA_DB_PASSWORD from .env, set anew each time, so a new one there takes effect.
\set ON_ERROR_STOP on
\getenv password BD3_GRAFANA_DB_PASSWORD
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bd3_reader') THEN
        CREATE ROLE bd3_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bd3_grafana') THEN
        CREATE ROLE bd3_grafana;
    END IF;
END
$$;
ALTER ROLE bd3_grafana LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT
    PASSWORD :'password';
GRANT bd3_reader TO bd3_grafana;
