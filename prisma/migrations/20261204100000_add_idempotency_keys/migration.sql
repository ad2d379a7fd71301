-- Idempotency keys (issue 12): a retried mutation with the same `Idempotency-Key` replays the first answer.

-- The claim: one row per (caller, key), taken in the same unit of work as the request's side
-- effects and audit event, so a request that commits nothing (a 503, a rollback) leaves no key.
-- CreateTable
CREATE TABLE "idempotency_key" (
    "scope" VARCHAR(120) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "request_digest" CHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_key_pkey" PRIMARY KEY ("scope", "key")
);

-- The stored answer of a claim: its own table because the batch statement claims the key before
-- it knows the outcome, and answers for the outcome it reached (a row is not written twice in one
-- statement). The body is sealed under the server's key-encryption key: it may hold a new secret.
-- CreateTable
CREATE TABLE "idempotency_response" (
    "scope" VARCHAR(120) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "status" INTEGER NOT NULL,
    "body_sealed" TEXT NOT NULL,
    "key_version" INTEGER NOT NULL,
    "event_id" BIGINT,
    "correlation_id" VARCHAR(256),
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_response_pkey" PRIMARY KEY ("scope", "key")
);

-- CreateIndex
CREATE INDEX "idempotency_key_expires_at_idx" ON "idempotency_key"("expires_at");

-- CreateIndex
CREATE INDEX "idempotency_response_expires_at_idx" ON "idempotency_response"("expires_at");

-- The application claims, reclaims expired keys and purges them; nothing else.
REVOKE ALL ON "idempotency_key", "idempotency_response" FROM PUBLIC, "mig_app";
GRANT SELECT, INSERT, UPDATE, DELETE ON "idempotency_key", "idempotency_response" TO "mig_app";
