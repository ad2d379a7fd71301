#!/usr/bin/env node
// Generates the Node SDK's types from an OpenAPI document with openapi-typescript, the one way
// both `npm run sdk:generate` and the SDK's freshness test do it.
// Usage: node scripts/generate-sdk-types.mjs <openapi.json> [out.ts]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [document, out = 'sdk/node/src/generated/schema.ts'] = process.argv.slice(2);
if (!document) {
  console.error('usage: node scripts/generate-sdk-types.mjs <openapi.json> [out.ts]');
  process.exit(2);
}
const cli = fileURLToPath(
  new URL('../node_modules/openapi-typescript/bin/cli.js', import.meta.url),
);
// Request fields with a default (CAMARA maxAge) stay optional: the server applies the default.
execFileSync(process.execPath, [cli, document, '--default-non-nullable', 'false', '-o', out], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
