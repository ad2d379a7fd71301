-- Push (issue 16): operators that offer CAMARA SIM Swap Subscriptions are subscribed to upstream,
-- one subscription per operator, kind and number, and post their CloudEvents to the gateway's
-- receiver. Client subscriptions point at the upstream one their events come from; received
-- event ids are kept so that a repeat changes nothing.

-- CreateTable
CREATE TABLE "push_upstream_subscription" (
    "id" UUID NOT NULL,
    "operator_id" VARCHAR(40) NOT NULL,
    "kind" "push_swap_kind" NOT NULL,
    "phone_hash" CHAR(64) NOT NULL,
    "phone_sealed" TEXT NOT NULL,
    "phone_key_version" INTEGER NOT NULL,
    "token_sealed" TEXT NOT NULL,
    "token_key_version" INTEGER NOT NULL,
    "token_expires_at" TIMESTAMPTZ(3) NOT NULL,
    "upstream_id" VARCHAR(256) NOT NULL,
    "status" VARCHAR(20) NOT NULL,
    "reason" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "push_upstream_subscription_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "push_upstream_subscription_status_check" CHECK ("status" IN ('active', 'ended', 'deleted'))
);

-- CreateTable
CREATE TABLE "push_upstream_event" (
    "upstream_subscription_id" UUID NOT NULL,
    "event_id" VARCHAR(256) NOT NULL,
    "type" VARCHAR(100) NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "push_upstream_event_pkey" PRIMARY KEY ("upstream_subscription_id", "event_id")
);

-- AlterTable
ALTER TABLE "push_subscription" ADD COLUMN "upstream_subscription_id" UUID;

-- CreateIndex
CREATE INDEX "push_upstream_subscription_status_operator_id_idx" ON "push_upstream_subscription"("status", "operator_id");

-- CreateIndex
CREATE INDEX "push_subscription_upstream_subscription_id_idx" ON "push_subscription"("upstream_subscription_id");

-- One live upstream subscription per operator, kind and number: clients of one number share it.
CREATE UNIQUE INDEX "push_upstream_subscription_live_key" ON "push_upstream_subscription"("operator_id", "kind", "phone_hash")
    WHERE "status" = 'active';

-- AddForeignKey
ALTER TABLE "push_subscription" ADD CONSTRAINT "push_subscription_upstream_subscription_id_fkey" FOREIGN KEY ("upstream_subscription_id") REFERENCES "push_upstream_subscription"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "push_upstream_event" ADD CONSTRAINT "push_upstream_event_upstream_subscription_id_fkey" FOREIGN KEY ("upstream_subscription_id") REFERENCES "push_upstream_subscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The application reads and writes both (default privileges already grant mig_app the rest);
-- received event ids are the evidence of what was accepted, so they are never changed.
GRANT SELECT, INSERT, UPDATE ON "push_upstream_subscription" TO "mig_app";
REVOKE DELETE ON "push_upstream_subscription" FROM "mig_app";
GRANT SELECT, INSERT ON "push_upstream_event" TO "mig_app";
REVOKE UPDATE, DELETE ON "push_upstream_event" FROM "mig_app";
