-- Runs once when the compose PostgreSQL volume is created, before any migration. The gateway's
-- migrations create `mig_app` without a login (and tolerate it existing); compose gives it one so
-- the gateway can run as the append-only application role, as production should.
-- The password is a placeholder for a local trial: a real deployment sets its own.
CREATE ROLE mig_app LOGIN PASSWORD 'mig_app_local_only';
