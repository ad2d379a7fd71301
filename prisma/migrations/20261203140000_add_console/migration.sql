-- Console (issue 14): console users, their client bindings and sessions; stored audit checks.

-- CreateEnum
CREATE TYPE "audit_verification_status" AS ENUM ('running', 'passed', 'failed', 'error');

-- CreateEnum
CREATE TYPE "console_role" AS ENUM ('admin', 'auditor', 'client');

-- CreateEnum
CREATE TYPE "console_user_status" AS ENUM ('invited', 'active', 'disabled');

-- CreateTable
CREATE TABLE "audit_verification_run" (
    "id" UUID NOT NULL,
    "status" "audit_verification_status" NOT NULL DEFAULT 'running',
    "requested_by_type" VARCHAR(20) NOT NULL,
    "requested_by_id" VARCHAR(100),
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "checked_events" BIGINT NOT NULL DEFAULT 0,
    "total_events" BIGINT NOT NULL DEFAULT 0,
    "from_position" BIGINT,
    "head_position" BIGINT,
    "head_hash" CHAR(64),
    "first_broken" JSONB,
    "error" VARCHAR(500),

    CONSTRAINT "audit_verification_run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "console_user" (
    "id" UUID NOT NULL,
    "email" VARCHAR(254) NOT NULL,
    "role" "console_role" NOT NULL,
    "status" "console_user_status" NOT NULL DEFAULT 'invited',
    "password_hash" VARCHAR(200),
    "totp_sealed" TEXT,
    "totp_key_version" INTEGER,
    "totp_pending_sealed" TEXT,
    "totp_pending_key_version" INTEGER,
    "totp_last_step" BIGINT,
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "locked_until" TIMESTAMPTZ(3),
    "last_sign_in_at" TIMESTAMPTZ(3),
    "invitation_hash" CHAR(64),
    "invitation_expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "console_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "console_user_client" (
    "user_id" UUID NOT NULL,
    "client_id" VARCHAR(64) NOT NULL,
    "environment" "client_environment" NOT NULL,

    CONSTRAINT "console_user_client_pkey" PRIMARY KEY ("user_id","client_id")
);

-- CreateTable
CREATE TABLE "console_session" (
    "id" UUID NOT NULL,
    "token_hash" CHAR(64) NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" VARCHAR(20),

    CONSTRAINT "console_session_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_verification_run_started_at_idx" ON "audit_verification_run"("started_at");

-- CreateIndex
CREATE UNIQUE INDEX "console_user_email_key" ON "console_user"("email");

-- CreateIndex
CREATE UNIQUE INDEX "console_user_invitation_hash_key" ON "console_user"("invitation_hash");

-- CreateIndex
CREATE UNIQUE INDEX "console_user_client_user_id_environment_key" ON "console_user_client"("user_id", "environment");

-- CreateIndex
CREATE UNIQUE INDEX "console_session_token_hash_key" ON "console_session"("token_hash");

-- CreateIndex
CREATE INDEX "console_session_user_id_idx" ON "console_session"("user_id");

-- CreateIndex
CREATE INDEX "console_session_expires_at_idx" ON "console_session"("expires_at");

-- AddForeignKey
ALTER TABLE "console_user_client" ADD CONSTRAINT "console_user_client_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "console_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "console_session" ADD CONSTRAINT "console_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "console_user"("id") ON DELETE CASCADE ON UPDATE CASCADE;
