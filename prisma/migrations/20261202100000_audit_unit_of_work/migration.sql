-- Audit chain v2, a guarded chain head, and a retention policy the application cannot change.

-- ─── Chain epochs ───────────────────────────────────────────────────────────────────────────
-- From `from_position` on, events are hashed in format `version`. Version 2 links
-- sha256(prev_hash, id, occurred_at, content digest), with the content digest computed by
-- PostgreSQL from the stored columns, so one statement can link a whole batch under the head lock.
-- Events before it keep their version-1 hashes and are verified as such.
CREATE TABLE "audit_chain_epoch" (
    "version" SMALLINT NOT NULL,
    "from_position" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_chain_epoch_pkey" PRIMARY KEY ("version")
);

INSERT INTO "audit_chain_epoch" ("version", "from_position")
SELECT 2, "position" + 1 FROM "audit_chain_head" WHERE "id" = 1;

-- ─── Retention policy ───────────────────────────────────────────────────────────────────────
-- Each row is a policy in force from `effective_from` on; the newest applies. Only the owner
-- writes here (the CLI's audit:retention-policy), so the application role can neither shorten
-- retention nor make audit:verify accept a retention event the policy did not allow.
CREATE TABLE "audit_retention_policy" (
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "retention_days" INTEGER NOT NULL,
    "set_by" VARCHAR(100) NOT NULL,

    CONSTRAINT "audit_retention_policy_pkey" PRIMARY KEY ("effective_from"),
    CONSTRAINT "audit_retention_policy_days_check" CHECK ("retention_days" >= 1)
);

INSERT INTO "audit_retention_policy" ("effective_from", "retention_days", "set_by")
VALUES ('1970-01-01T00:00:00Z', 400, 'migration 20261202100000');

-- The retention in force at a moment (the newest policy that had taken effect by then).
CREATE FUNCTION "audit_retention_days_at"(p_at TIMESTAMPTZ) RETURNS INTEGER
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT "retention_days" FROM "audit_retention_policy"
     WHERE "effective_from" <= p_at ORDER BY "effective_from" DESC LIMIT 1
$$;

-- Drops one whole partition whose every event is older than the retention in force now. The
-- service records the retention event (range, last chain position and hash) in the same
-- transaction; audit:verify checks that event against this same policy.
CREATE OR REPLACE FUNCTION "audit_drop_partition"(p_name TEXT) RETURNS VOID
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    bound TEXT;
    range_end TIMESTAMPTZ;
    days INTEGER := "audit_retention_days_at"(now());
BEGIN
    SELECT pg_get_expr(c.relpartbound, c.oid) INTO bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = '"audit_event"'::regclass AND c.relname = p_name;
    IF bound IS NULL THEN
        RAISE EXCEPTION 'not a partition of audit_event' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    range_end := (regexp_match(bound, 'TO \(''([^'']+)''\)'))[1]::TIMESTAMPTZ;
    IF days IS NULL OR range_end > now() - make_interval(days => days) THEN
        RAISE EXCEPTION 'audit partition % is inside the retention period (% days)', p_name, days
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('DROP TABLE %I', p_name);
END
$$;

-- ─── The chain head: forward only, and only onto an event that exists ──────────────────────
-- `updated_at` is the time of the newest event: writers stamp events with
-- greatest(clock, updated_at), so time order follows chain order across instances.
CREATE OR REPLACE FUNCTION "audit_chain_head_guard"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW."id" <> OLD."id" OR NEW."position" < OLD."position"
       OR NEW."updated_at" < OLD."updated_at"
       OR (NEW."position" = OLD."position" AND NEW."hash" <> OLD."hash") THEN
        RAISE EXCEPTION 'audit_chain_head only moves forward: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;

-- Checked after the statement, when the events it inserted are visible: the head may only
-- name the position and hash of a stored event, so its hash cannot be overwritten at will.
CREATE FUNCTION "audit_chain_head_names_event"() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW."position" <> OLD."position" AND NOT EXISTS (
        SELECT 1 FROM "audit_event" WHERE "id" = NEW."position" AND "hash" = NEW."hash"
    ) THEN
        RAISE EXCEPTION 'audit_chain_head must name a stored event'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER "audit_chain_head_names_event" AFTER UPDATE ON "audit_chain_head"
    FOR EACH ROW EXECUTE FUNCTION "audit_chain_head_names_event"();

-- ─── Privileges ─────────────────────────────────────────────────────────────────────────────
-- Default privileges gave the application role DML on the new tables: it may only read them.
REVOKE ALL ON "audit_chain_epoch", "audit_retention_policy" FROM PUBLIC, "mig_app";
GRANT SELECT ON "audit_chain_epoch", "audit_retention_policy" TO "mig_app";
REVOKE ALL ON FUNCTION "audit_retention_days_at"(TIMESTAMPTZ) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit_retention_days_at"(TIMESTAMPTZ) TO "mig_app";
REVOKE ALL ON FUNCTION "audit_chain_head_names_event"() FROM PUBLIC;
