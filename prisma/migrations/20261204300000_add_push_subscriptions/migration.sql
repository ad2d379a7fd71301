-- Push (issue 16): CAMARA SIM-swap (and the gateway's device-swap) subscriptions, the outbox of
-- their notifications, every delivery attempt, and the per-client webhook signing keys.

-- CreateEnum
CREATE TYPE "push_swap_kind" AS ENUM ('sim', 'device');

-- CreateEnum
CREATE TYPE "push_subscription_status" AS ENUM ('ACTIVATION_REQUESTED', 'ACTIVE', 'EXPIRED', 'DELETED', 'INACTIVE');

-- CreateEnum
CREATE TYPE "push_delivery_status" AS ENUM ('pending', 'delivered', 'dead', 'cancelled');

-- CreateTable
CREATE TABLE "push_subscription" (
    "id" UUID NOT NULL,
    "client_id" VARCHAR(40) NOT NULL,
    "kind" "push_swap_kind" NOT NULL,
    "sink" VARCHAR(2048) NOT NULL,
    "types" TEXT[],
    "phone_hash" CHAR(64) NOT NULL,
    "phone_masked" VARCHAR(32) NOT NULL,
    "phone_sealed" TEXT NOT NULL,
    "phone_key_version" INTEGER NOT NULL,
    "credential_sealed" TEXT,
    "credential_key_version" INTEGER,
    "access_token_expires_at" TIMESTAMPTZ(3),
    "operator_id" VARCHAR(40) NOT NULL,
    "status" "push_subscription_status" NOT NULL,
    "max_events" INTEGER,
    "event_count" INTEGER NOT NULL DEFAULT 0,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "termination_reason" VARCHAR(40),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "push_subscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "push_delivery" (
    "id" UUID NOT NULL,
    "subscription_id" UUID NOT NULL,
    "client_id" VARCHAR(40) NOT NULL,
    "type" VARCHAR(100) NOT NULL,
    "termination_reason" VARCHAR(40),
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "push_delivery_status" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "last_http_status" INTEGER,
    "last_error" VARCHAR(300),
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "push_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "push_delivery_attempt" (
    "delivery_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "http_status" INTEGER,
    "latency_ms" INTEGER NOT NULL,
    "outcome" VARCHAR(20) NOT NULL,
    "error" VARCHAR(300),

    CONSTRAINT "push_delivery_attempt_pkey" PRIMARY KEY ("delivery_id","attempt")
);

-- CreateTable
CREATE TABLE "push_signing_key" (
    "id" VARCHAR(40) NOT NULL,
    "client_id" VARCHAR(40) NOT NULL,
    "secret_sealed" TEXT NOT NULL,
    "secret_key_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retires_at" TIMESTAMPTZ(3),

    CONSTRAINT "push_signing_key_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "push_subscription_phone_hash_kind_status_idx" ON "push_subscription"("phone_hash", "kind", "status");

-- CreateIndex
CREATE INDEX "push_subscription_client_id_created_at_idx" ON "push_subscription"("client_id", "created_at");

-- CreateIndex
CREATE INDEX "push_subscription_status_expires_at_idx" ON "push_subscription"("status", "expires_at");

-- CreateIndex
CREATE INDEX "push_delivery_status_next_attempt_at_idx" ON "push_delivery"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "push_delivery_subscription_id_idx" ON "push_delivery"("subscription_id");

-- CreateIndex
CREATE INDEX "push_signing_key_client_id_idx" ON "push_signing_key"("client_id");

-- One live subscription per client, number, kind and sink: a second one is 409 ALREADY_EXISTS.
CREATE UNIQUE INDEX "push_subscription_live_key" ON "push_subscription"("client_id", "kind", "phone_hash", "sink")
    WHERE "status" IN ('ACTIVATION_REQUESTED', 'ACTIVE');

-- AddForeignKey
ALTER TABLE "push_delivery" ADD CONSTRAINT "push_delivery_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "push_subscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "push_delivery_attempt" ADD CONSTRAINT "push_delivery_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "push_delivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The attempt log is append-only for the application (it is the evidence of what was tried).
REVOKE UPDATE, DELETE ON "push_delivery_attempt" FROM "mig_app";
