import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CLIENT_PRODUCTS } from '../../common/auth/caller.js';
import { Environment } from '../../common/config/environment.js';
import { CredentialsRepository } from './credentials.repository.js';
import { CredentialsService } from './credentials.service.js';

const MARKER = 'credentials.sandbox_bootstrap';

/** The sample bank app (examples/bank-web) on its default port: its page runs the Web SDK. */
export const SANDBOX_PAGE_ORIGINS = ['http://localhost:4000', 'http://127.0.0.1:4000'];

/** Where the sandbox client's secrets go, beside the embedded database (`.data/` by default). */
export function sandboxCredentialsFile(environment: Environment): string {
  return path.join(path.dirname(path.resolve(environment.EMBEDDED_DATA_DIR)), 'sandbox-credentials.json');
}

/**
 * First start on the embedded on-disk database of a developer machine: one sandbox client with
 * every product whose pages may run on the sample bank app's origins, so the README quickstart
 * and `npm run example:bank-web` work at once. Printed once to stdout (not through the
 * logger: log pipelines must never carry secrets) and written to a 0600 file for `npm run demo`.
 * Never on PostgreSQL, in production or in tests; a marker row makes it happen once.
 */
@Injectable()
export class SandboxBootstrap implements OnApplicationBootstrap {
  constructor(
    private readonly environment: Environment,
    private readonly repository: CredentialsRepository,
    private readonly credentials: CredentialsService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const environment = this.environment;
    // Only the HTTP gateway: a CLI command's stdout stays its own (`--json` output).
    if (!this.adapterHost?.httpAdapter || !environment.isDeveloperSandbox) return;
    const claimed = await this.repository.transaction((tx) => this.repository.claimSystemSetting(MARKER, { at: new Date().toISOString() }, tx));
    if (!claimed) return;
    const created = await this.credentials.createClient({
      name: 'Sandbox client',
      environment: 'SANDBOX',
      products: [...CLIENT_PRODUCTS],
      allowedOrigins: SANDBOX_PAGE_ORIGINS,
    });
    const file = sandboxCredentialsFile(environment);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    process.stdout.write(
      [
        '',
        'Sandbox client created (shown once; also saved to ' + file + ', mode 0600):',
        `  X-CLIENT-ID:   ${created.clientId}`,
        `  X-API-KEY:     ${created.apiKey}`,
        `  client secret: ${created.clientSecret}`,
        `  JWT key id:    ${created.jwtKeyId}`,
        `  JWT secret:    ${created.jwtSecret}`,
        '',
      ].join('\n'),
    );
    new Logger(SandboxBootstrap.name).log(`created the sandbox client ${created.clientId}; its credentials are in ${file}`);
  }
}
