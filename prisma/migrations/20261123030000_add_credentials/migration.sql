-- CreateEnum
CREATE TYPE "client_environment" AS ENUM ('SANDBOX', 'LIVE');

-- CreateEnum
CREATE TYPE "client_product" AS ENUM ('VERIFY', 'VERIFY_MASKED', 'SIM_SWAP', 'DEVICE_SWAP', 'TRUST_SCORE', 'SHIELD');

-- CreateEnum
CREATE TYPE "client_status" AS ENUM ('active', 'suspended');

-- CreateEnum
CREATE TYPE "credential_kind" AS ENUM ('api_key', 'client_secret', 'jwt_key', 'admin_key');

-- CreateEnum
CREATE TYPE "credential_status" AS ENUM ('active', 'expired', 'revoked');

-- CreateEnum
CREATE TYPE "admin_role" AS ENUM ('admin', 'auditor');

-- CreateTable
CREATE TABLE "client" (
    "id" VARCHAR(40) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "environment" "client_environment" NOT NULL,
    "products" "client_product"[],
    "status" "client_status" NOT NULL DEFAULT 'active',
    "rate_limit_per_minute" INTEGER NOT NULL DEFAULT 1000,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "client_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credential" (
    "id" UUID NOT NULL,
    "client_id" VARCHAR(40),
    "kind" "credential_kind" NOT NULL,
    "key_hash" CHAR(64),
    "fingerprint" VARCHAR(40) NOT NULL,
    "sealed_secret" TEXT,
    "sealed_key_version" INTEGER,
    "role" "admin_role",
    "status" "credential_status" NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "rotated_from_id" UUID,
    "rotation_due_noted_at" TIMESTAMPTZ(3),

    CONSTRAINT "credential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "used_jwt_id" (
    "key_id" UUID NOT NULL,
    "jti" VARCHAR(200) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "used_jwt_id_pkey" PRIMARY KEY ("key_id","jti")
);

-- CreateTable
CREATE TABLE "rate_limit_window" (
    "bucket" VARCHAR(120) NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "hits" INTEGER NOT NULL,

    CONSTRAINT "rate_limit_window_pkey" PRIMARY KEY ("bucket","window_start")
);

-- CreateTable
CREATE TABLE "operator_secret" (
    "operator_id" VARCHAR(40) NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "sealed_value" TEXT NOT NULL,
    "sealed_key_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "operator_secret_pkey" PRIMARY KEY ("operator_id","name")
);

-- CreateTable
CREATE TABLE "proof_key" (
    "id" UUID NOT NULL,
    "sealed_key" TEXT NOT NULL,
    "sealed_key_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "proof_key_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "credential_key_hash_key" ON "credential"("key_hash");

-- CreateIndex
CREATE INDEX "credential_client_id_kind_status_idx" ON "credential"("client_id", "kind", "status");

-- CreateIndex
CREATE INDEX "credential_status_expires_at_idx" ON "credential"("status", "expires_at");

-- CreateIndex
CREATE INDEX "used_jwt_id_expires_at_idx" ON "used_jwt_id"("expires_at");

-- CreateIndex
CREATE INDEX "rate_limit_window_window_start_idx" ON "rate_limit_window"("window_start");

-- CreateIndex
CREATE INDEX "proof_key_created_at_idx" ON "proof_key"("created_at");

-- AddForeignKey
ALTER TABLE "credential" ADD CONSTRAINT "credential_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "client"("id") ON DELETE SET NULL ON UPDATE CASCADE;
