-- CreateTable
CREATE TABLE "sim_swap_sandbox_override" (
    "phone_number" VARCHAR(16) NOT NULL,
    "latest_sim_change" TIMESTAMPTZ(3),
    "latest_device_change" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sim_swap_sandbox_override_pkey" PRIMARY KEY ("phone_number")
);

-- Sandbox operators for the SIM/device swap contracts (README "SIM swap and device swap"):
-- the Netherlands with unlimited history, Germany with a 30-day legal monitoring limit, and two
-- German prefixes that stand for a failing and a slow network (longest prefix wins over +4915).
INSERT INTO "operator" ("id", "name", "country", "number_prefixes", "enrichment_header", "trusted_ranges", "adapter_kind", "settings", "monitored_period_days", "updated_at") VALUES
    ('SANDBOX_NL',         'Netherlands (sandbox)',                        'NL', ARRAY['+316'],   'x-msisdn', ARRAY[]::TEXT[], 'sandbox', '{}',                           NULL, CURRENT_TIMESTAMP),
    ('SANDBOX_DE',         'Germany (sandbox, 30-day monitoring limit)',   'DE', ARRAY['+4915'],  'x-msisdn', ARRAY[]::TEXT[], 'sandbox', '{}',                           30,   CURRENT_TIMESTAMP),
    ('SANDBOX_DE_FAILING', 'Germany (sandbox, operator that fails)',       'DE', ARRAY['+49152'], 'x-msisdn', ARRAY[]::TEXT[], 'sandbox', '{"sandboxBehaviour":"fail"}', NULL, CURRENT_TIMESTAMP),
    ('SANDBOX_DE_SLOW',    'Germany (sandbox, slower than the deadline)',  'DE', ARRAY['+49157'], 'x-msisdn', ARRAY[]::TEXT[], 'sandbox', '{"sandboxBehaviour":"slow"}', NULL, CURRENT_TIMESTAMP);
