-- Browser origins allowed to call the device-side endpoints (enrichment, SDK session) with a
-- client's SDK tokens (CORS). Empty for every existing client: no browser page may until an admin
-- says which.
-- AlterTable
ALTER TABLE "client" ADD COLUMN "allowed_origins" TEXT[] DEFAULT ARRAY[]::TEXT[];
