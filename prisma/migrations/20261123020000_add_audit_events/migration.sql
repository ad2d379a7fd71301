-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGINT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "correlation_id" VARCHAR(256),
    "client_id" VARCHAR(64),
    "credential_kind" VARCHAR(20),
    "credential_fingerprint" VARCHAR(100),
    "actor_type" VARCHAR(20) NOT NULL,
    "actor_id" VARCHAR(100),
    "action" VARCHAR(100) NOT NULL,
    "contract" VARCHAR(20) NOT NULL,
    "service_type" VARCHAR(50),
    "operator_id" VARCHAR(40),
    "phone_hash" CHAR(64),
    "phone_masked" VARCHAR(32),
    "outcome" VARCHAR(10) NOT NULL,
    "verdict" JSONB,
    "http_status" INTEGER,
    "error_code" VARCHAR(100),
    "latency_ms" INTEGER,
    "source_ip" VARCHAR(64),
    "user_agent" VARCHAR(512),
    "upstream" JSONB,
    "detail" JSONB,
    "prev_hash" CHAR(64) NOT NULL,
    "hash" CHAR(64) NOT NULL,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id","occurred_at")
) PARTITION BY RANGE ("occurred_at");

-- CreateTable
CREATE TABLE "audit_chain_head" (
    "id" SMALLINT NOT NULL,
    "position" BIGINT NOT NULL,
    "hash" CHAR(64) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_chain_head_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_event_occurred_at_id_idx" ON "audit_event"("occurred_at", "id");

-- CreateIndex
CREATE INDEX "audit_event_client_id_occurred_at_id_idx" ON "audit_event"("client_id", "occurred_at", "id");

-- CreateIndex
CREATE INDEX "audit_event_phone_hash_occurred_at_id_idx" ON "audit_event"("phone_hash", "occurred_at", "id");

-- CreateIndex
CREATE INDEX "audit_event_correlation_id_idx" ON "audit_event"("correlation_id");

-- CreateIndex
CREATE INDEX "audit_event_action_occurred_at_id_idx" ON "audit_event"("action", "occurred_at", "id");

-- CreateIndex
CREATE INDEX "audit_event_operator_id_occurred_at_id_idx" ON "audit_event"("operator_id", "occurred_at", "id");

-- CreateIndex
CREATE INDEX "audit_event_service_type_occurred_at_id_idx" ON "audit_event"("service_type", "occurred_at", "id");

-- CreateIndex
CREATE INDEX "audit_event_verdict_idx" ON "audit_event" USING GIN ("verdict" jsonb_path_ops);

-- ─── Beyond what Prisma expresses: append-only triggers, partitions, the application role ────

-- The chain starts empty: position 0, hash of 64 zeros (the genesis "previous hash").
INSERT INTO "audit_chain_head" ("id", "position", "hash") VALUES (1, 0, repeat('0', 64));

-- Audit rows are never changed or removed row by row, whoever asks (owner included): history is
-- only appended. Whole partitions past retention are dropped (DROP TABLE fires no row trigger).
CREATE FUNCTION "audit_event_reject_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER "audit_event_append_only" BEFORE UPDATE OR DELETE ON "audit_event"
    FOR EACH ROW EXECUTE FUNCTION "audit_event_reject_change"();
-- Statement triggers are not inherited by partitions: audit_ensure_partitions adds this one to each.
CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON "audit_event"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_reject_change"();

-- The chain head only moves forward and is never removed.
CREATE FUNCTION "audit_chain_head_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW."id" <> OLD."id" OR NEW."position" < OLD."position" THEN
        RAISE EXCEPTION 'audit_chain_head only moves forward: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER "audit_chain_head_forward_only" BEFORE UPDATE OR DELETE ON "audit_chain_head"
    FOR EACH ROW EXECUTE FUNCTION "audit_chain_head_guard"();
CREATE TRIGGER "audit_chain_head_no_truncate" BEFORE TRUNCATE ON "audit_chain_head"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_chain_head_guard"();

-- The role the gateway runs as in production (roles are cluster-wide, hence idempotent). It may
-- read and append audit rows, never change, delete or truncate them. Give it a login with
-- `ALTER ROLE mig_app LOGIN PASSWORD '…'` (see README, "Audit trail").
DO $$
BEGIN
    CREATE ROLE "mig_app" NOLOGIN;
EXCEPTION
    WHEN duplicate_object THEN NULL;
END
$$;

-- Monthly partitions audit_event_yYYYYmMM (UTC months). SECURITY DEFINER, so the application role
-- can create coming months without owning the table. Safe to call concurrently and repeatedly.
CREATE FUNCTION "audit_ensure_partitions"(p_from TIMESTAMPTZ, p_months INTEGER) RETURNS INTEGER
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    month_start TIMESTAMP := date_trunc('month', p_from AT TIME ZONE 'UTC');
    partition_name TEXT;
    created INTEGER := 0;
BEGIN
    FOR i IN 1 .. greatest(p_months, 0) LOOP
        partition_name := 'audit_event_y' || to_char(month_start, 'YYYY') || 'm' || to_char(month_start, 'MM');
        IF to_regclass(partition_name) IS NULL THEN
            BEGIN
                EXECUTE format('CREATE TABLE %I PARTITION OF "audit_event" FOR VALUES FROM (%L) TO (%L)',
                    partition_name, month_start AT TIME ZONE 'UTC', (month_start + INTERVAL '1 month') AT TIME ZONE 'UTC');
                EXECUTE format('CREATE TRIGGER "audit_event_no_truncate" BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "audit_event_reject_change"()', partition_name);
                -- Default privileges would grant the application role DML on the partition itself.
                EXECUTE format('REVOKE ALL ON %I FROM PUBLIC, "mig_app"', partition_name);
                created := created + 1;
            EXCEPTION
                WHEN duplicate_table THEN NULL; -- another instance created it first
            END;
        END IF;
        month_start := month_start + INTERVAL '1 month';
    END LOOP;
    RETURN created;
END
$$;

-- Drops one whole partition whose range has ended (retention). The service records the
-- retention event, naming the range and the chain position it ends at, in the same transaction.
CREATE FUNCTION "audit_drop_partition"(p_name TEXT) RETURNS VOID
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bound TEXT;
BEGIN
    SELECT pg_get_expr(c.relpartbound, c.oid) INTO bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = '"audit_event"'::regclass AND c.relname = p_name;
    IF bound IS NULL THEN
        RAISE EXCEPTION 'not a partition of audit_event' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF (regexp_match(bound, 'TO \(''([^'']+)''\)'))[1]::TIMESTAMPTZ > now() THEN
        RAISE EXCEPTION 'a partition whose range has not ended cannot be dropped' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('DROP TABLE %I', p_name);
END
$$;

-- Privileges of the application role on the whole schema, including tables of later migrations
-- (default privileges), then the audit exceptions: append and read only.
GRANT USAGE ON SCHEMA public TO "mig_app";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "mig_app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "mig_app";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "mig_app";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "mig_app";
REVOKE ALL ON "audit_event" FROM PUBLIC, "mig_app";
GRANT SELECT, INSERT ON "audit_event" TO "mig_app";
REVOKE ALL ON "audit_chain_head" FROM PUBLIC, "mig_app";
-- UPDATE is needed for SELECT … FOR UPDATE and to move the head; the trigger keeps it forward-only.
GRANT SELECT, UPDATE ON "audit_chain_head" TO "mig_app";
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "_prisma_migrations" FROM "mig_app";
REVOKE ALL ON FUNCTION "audit_ensure_partitions"(TIMESTAMPTZ, INTEGER) FROM PUBLIC;
REVOKE ALL ON FUNCTION "audit_drop_partition"(TEXT) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit_ensure_partitions"(TIMESTAMPTZ, INTEGER) TO "mig_app";
GRANT EXECUTE ON FUNCTION "audit_drop_partition"(TEXT) TO "mig_app";

-- The previous month, this one and the next three; the gateway keeps creating months ahead.
-- (After the grants: each partition revokes the application role's default privileges on itself.)
SELECT "audit_ensure_partitions"(now() - INTERVAL '1 month', 5);
