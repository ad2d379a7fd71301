import path from 'node:path';
import { defineConfig } from 'prisma/config';

// The Prisma CLI downloads its schema engine before every command unless this names an existing
// file. Air-gapped machines cannot download it, and `generate` never runs it, so point at a
// placeholder that explains itself. Set the variable to '' to let Prisma fetch the real engine.
if (process.env.PRISMA_SCHEMA_ENGINE_BINARY === undefined) {
  process.env.PRISMA_SCHEMA_ENGINE_BINARY = path.resolve('prisma/offline-schema-engine.sh');
} else if (process.env.PRISMA_SCHEMA_ENGINE_BINARY === '') {
  delete process.env.PRISMA_SCHEMA_ENGINE_BINARY;
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@localhost:5432/mobile_identity_gateway',
  },
});
