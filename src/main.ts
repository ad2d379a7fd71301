import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { Environment, EnvironmentError } from './common/config/environment.js';

async function main(): Promise<void> {
  // Read before the app exists: the HTTP adapter's options (body limit, proxies) come from it.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const app = await createApp();
  const environment = app.get(Environment);
  await app.listen({ port: environment.PORT, host: environment.HOST });
  new Logger('Gateway').log(`Mobile Identity Gateway listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  if (error instanceof EnvironmentError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
