-- CreateEnum
CREATE TYPE "enrichment_outcome" AS ENUM ('identified', 'no_result');

-- CreateEnum
CREATE TYPE "balance_entry_kind" AS ENUM ('top_up', 'verify', 'refund');

-- CreateTable
CREATE TABLE "enrichment_session" (
    "id" UUID NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "operator_id" VARCHAR(40) NOT NULL,
    "outcome" "enrichment_outcome" NOT NULL,
    "proof" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "enrichment_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sdk_session" (
    "id" UUID NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "sdk_session_id" VARCHAR(100) NOT NULL,
    "mno_id" VARCHAR(40),
    "authmatech_code_present" BOOLEAN NOT NULL,
    "authmatech_code_hash" VARCHAR(128),
    "device_context" JSONB NOT NULL DEFAULT '{}',
    "client_ip" VARCHAR(45) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sdk_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "proof_use" (
    "jti" UUID NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "used_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "proof_use_pkey" PRIMARY KEY ("jti")
);

-- CreateTable
CREATE TABLE "client_balance" (
    "client_id" VARCHAR(64) NOT NULL,
    "credits" INTEGER NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "client_balance_pkey" PRIMARY KEY ("client_id")
);

-- CreateTable
CREATE TABLE "balance_ledger" (
    "id" BIGSERIAL NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "kind" "balance_entry_kind" NOT NULL,
    "change" INTEGER NOT NULL,
    "balance_after" INTEGER NOT NULL,
    "actor_id" VARCHAR(64),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balance_ledger_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "enrichment_session_client_id_created_at_idx" ON "enrichment_session"("client_id", "created_at");

-- CreateIndex
CREATE INDEX "enrichment_session_created_at_idx" ON "enrichment_session"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "sdk_session_client_id_sdk_session_id_key" ON "sdk_session"("client_id", "sdk_session_id");

-- CreateIndex
CREATE INDEX "proof_use_used_at_idx" ON "proof_use"("used_at");

-- CreateIndex
CREATE INDEX "balance_ledger_client_id_created_at_idx" ON "balance_ledger"("client_id", "created_at");

-- Not expressible in schema.prisma: a balance never goes below zero, whatever the code does.
ALTER TABLE "client_balance" ADD CONSTRAINT "client_balance_credits_non_negative" CHECK ("credits" >= 0);
