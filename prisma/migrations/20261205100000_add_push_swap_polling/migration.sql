-- Push (issue 16): subscriptions to numbers of `camara` operators are watched by polling the
-- operator's retrieve-date. Each remembers the last change date it saw and when it is due again;
-- only polled subscriptions have a due time, so the partial index holds just those.

-- AlterTable
ALTER TABLE "push_subscription" ADD COLUMN "next_poll_at" TIMESTAMPTZ(3),
ADD COLUMN "polled_at" TIMESTAMPTZ(3),
ADD COLUMN "seen_change_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "push_subscription_next_poll_at_idx" ON "push_subscription"("operator_id", "next_poll_at") WHERE "next_poll_at" IS NOT NULL AND "status" IN ('ACTIVATION_REQUESTED', 'ACTIVE');
