-- CreateEnum
CREATE TYPE "operator_adapter_kind" AS ENUM ('sandbox', 'upstream', 'camara');

-- CreateTable
CREATE TABLE "operator" (
    "id" VARCHAR(40) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "country" CHAR(2) NOT NULL,
    "number_prefixes" TEXT[],
    "enrichment_header" VARCHAR(100),
    "trusted_ranges" TEXT[],
    "adapter_kind" "operator_adapter_kind" NOT NULL DEFAULT 'sandbox',
    "settings" JSONB NOT NULL DEFAULT '{}',
    "monitored_period_days" INTEGER,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_pkey" PRIMARY KEY ("id")
);

-- Sandbox operators for Jordan, so the Authmatech quickstart works out of the box.
INSERT INTO "operator" ("id", "name", "country", "number_prefixes", "enrichment_header", "trusted_ranges", "adapter_kind", "updated_at") VALUES
    ('ZAIN_JO',   'Zain Jordan (sandbox)',   'JO', ARRAY['+96279'], 'x-msisdn', ARRAY[]::TEXT[], 'sandbox', CURRENT_TIMESTAMP),
    ('ORANGE_JO', 'Orange Jordan (sandbox)', 'JO', ARRAY['+96277'], 'x-msisdn', ARRAY[]::TEXT[], 'sandbox', CURRENT_TIMESTAMP),
    ('UMNIAH_JO', 'Umniah Jordan (sandbox)', 'JO', ARRAY['+96278'], 'x-msisdn', ARRAY[]::TEXT[], 'sandbox', CURRENT_TIMESTAMP);
