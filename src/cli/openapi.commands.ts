import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createApp } from '../app.factory.js';
import { OPENAPI_DOCUMENT } from '../common/openapi/openapi-document.js';

/**
 * `openapi`: prints the document `/docs/openapi.json` serves, without a database or a listening
 * server (an in-memory embedded database stands in), so CI and client generators need no gateway.
 */
export function registerOpenApiCommands(program: Command): void {
  program
    .command('openapi')
    .description(
      'Print the OpenAPI document the gateway serves at /docs/openapi.json (no database needed).',
    )
    .option('--out <file>', 'write it to this file instead of stdout')
    .action(async (options: { out?: string }) => {
      const app = await createApp({
        DATABASE_URL: '',
        EMBEDDED_DATA_DIR: 'memory://',
        MIGRATE_ON_START: 'false',
        JOBS_ENABLED: 'false',
        LOG_LEVEL: 'error',
      });
      try {
        const documentOf = app.getHttpAdapter().getInstance()[
          OPENAPI_DOCUMENT as never
        ] as () => OpenAPIObject;
        const text = `${JSON.stringify(documentOf(), null, 2)}\n`;
        if (options.out) writeFileSync(options.out, text);
        else process.stdout.write(text);
      } finally {
        await app.close();
      }
    });
}
