-- Intelligence (issue 13): Trust score, Shield assessment and Detect, their stored signals
-- (for velocity across instances and for backtests) and the per-client, per-journey policies.

-- The products as the issue names them; existing grants of TRUST_SCORE keep their meaning.
ALTER TYPE "client_product" RENAME VALUE 'TRUST_SCORE' TO 'TRUST';
ALTER TYPE "client_product" ADD VALUE 'DETECT';

-- A LIVE assessment costs one credit, written to the ledger under its own kind.
ALTER TYPE "balance_entry_kind" ADD VALUE 'assessment';

-- CreateEnum
CREATE TYPE "assessment_product" AS ENUM ('trust', 'shield', 'detect');

-- CreateTable
CREATE TABLE "assessment" (
    "id" UUID NOT NULL,
    "transaction_id" VARCHAR(40) NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "product" "assessment_product" NOT NULL,
    "service_type" VARCHAR(20) NOT NULL,
    "phone_hash" CHAR(64) NOT NULL,
    "device_hash" CHAR(64),
    "ip_hash" CHAR(64),
    "operator_id" VARCHAR(40),
    "country_code" CHAR(2),
    "signals" JSONB NOT NULL,
    "factors" TEXT[],
    "score" INTEGER NOT NULL,
    "decision" VARCHAR(10) NOT NULL,
    "policy_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "assessment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "intelligence_policy" (
    "client_id" VARCHAR(64) NOT NULL,
    "service_type" VARCHAR(20) NOT NULL,
    "version" INTEGER NOT NULL,
    "policy" JSONB NOT NULL,
    "created_by" VARCHAR(100) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "intelligence_policy_pkey" PRIMARY KEY ("client_id","service_type","version")
);

-- CreateIndex
CREATE UNIQUE INDEX "assessment_transaction_id_key" ON "assessment"("transaction_id");

-- CreateIndex
CREATE INDEX "assessment_client_id_phone_hash_created_at_idx" ON "assessment"("client_id", "phone_hash", "created_at");

-- CreateIndex
CREATE INDEX "assessment_client_id_device_hash_created_at_idx" ON "assessment"("client_id", "device_hash", "created_at");

-- CreateIndex
CREATE INDEX "assessment_client_id_ip_hash_created_at_idx" ON "assessment"("client_id", "ip_hash", "created_at");

-- CreateIndex
CREATE INDEX "assessment_client_id_product_created_at_idx" ON "assessment"("client_id", "product", "created_at");

-- Assessments are a record and policies are versioned: the application appends, never rewrites.
REVOKE UPDATE, DELETE ON "assessment", "intelligence_policy" FROM "mig_app";
