#!/bin/sh
# Stand-in for Prisma's native schema engine, which cannot be downloaded on air-gapped machines.
# `prisma generate`, `validate` and `format` never execute it; commands that need the real engine
# (migrate, db pull/push) end here. The gateway applies migrations itself: `npm run db:migrate`.
echo "The Prisma schema engine is not installed (offline build). Use 'npm run db:migrate' to apply migrations, or set PRISMA_SCHEMA_ENGINE_BINARY='' to let Prisma download its engine." >&2
exit 1
