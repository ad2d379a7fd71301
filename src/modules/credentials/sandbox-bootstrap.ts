import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CLIENT_PRODUCTS } from '../../common/auth/caller.js';
import { Environment } from '../../common/config/environment.js';
import { CredentialsRepository } from './credentials.repository.js';
import { ClientManagementService } from './client-management.service.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';

const MARKER = 'credentials.sandbox_bootstrap';

/** The sample bank app (examples/bank-web) on its default port: its page runs the Web SDK. */
export const SANDBOX_PAGE_ORIGINS = ['http://localhost:4000', 'http://127.0.0.1:4000'];

/** The folder beside the embedded database (`.data/` by default), where first-start secrets go. */
function dataFolder(environment: Environment): string {
  const dataDir =
    environment.EMBEDDED_DATA_DIR === 'memory://'
      ? './.data/pglite'
      : environment.EMBEDDED_DATA_DIR;
  return path.dirname(path.resolve(dataDir));
}

/** Where the sandbox client's secrets go, beside the embedded database (`.data/` by default). */
function sandboxCredentialsFile(environment: Environment): string {
  return path.join(dataFolder(environment), 'sandbox-credentials.json');
}

/** Where the first admin key goes on a development machine. */
function firstAdminKeyFile(environment: Environment): string {
  return path.join(dataFolder(environment), 'admin-key.json');
}

/** Written readable by the owner only (0600, also when the file existed with wider modes). */
async function writeSecretFile(file: string, content: object): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * First start of the HTTP gateway in development:
 * - an admin key, when none was ever issued (on any database), so the admin API works without
 *   stopping the gateway to run the CLI;
 * - on the embedded on-disk database, one sandbox client with every product whose pages may run
 *   on the sample bank app's origins, so the README quickstart and `npm run example:bank-web` work
 *   at once (a marker row makes it happen once).
 * Secrets go only to 0600 files under `.data/`; the log gets one line naming the file, never a
 * secret (log pipelines must not carry them). Never in production (ADMIN_BOOTSTRAP_SECRET there)
 * or in tests.
 */
@Injectable()
export class SandboxBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(SandboxBootstrap.name);

  constructor(
    private readonly environment: Environment,
    private readonly repository: CredentialsRepository,
    private readonly clients: ClientManagementService,
    private readonly issuance: CredentialIssuanceService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Only the HTTP gateway: a CLI command creates nothing behind the operator's back.
    if (!this.adapterHost?.httpAdapter || this.environment.NODE_ENV !== 'development') return;
    await this.createFirstAdmin();
    if (this.environment.isDeveloperSandbox) await this.createSandboxClient();
  }

  private async createFirstAdmin(): Promise<void> {
    const created = await this.issuance.createFirstAdminKey();
    if (!created) return;
    const file = firstAdminKeyFile(this.environment);
    await writeSecretFile(file, {
      id: created.id,
      role: 'admin',
      key: created.key,
      usage: 'Authorization: Bearer <key> on /admin/v1/**',
    });
    this.logger.log(`created the first admin key ${created.id}; the key is in ${file} (mode 0600)`);
  }

  private async createSandboxClient(): Promise<void> {
    const claimed = await this.repository.transaction((tx) =>
      this.repository.claimSystemSetting(MARKER, { at: new Date().toISOString() }, tx),
    );
    if (!claimed) return;
    const created = await this.clients.createClient({
      name: 'Sandbox client',
      environment: 'SANDBOX',
      products: [...CLIENT_PRODUCTS],
      allowedOrigins: SANDBOX_PAGE_ORIGINS,
    });
    const file = sandboxCredentialsFile(this.environment);
    await writeSecretFile(file, created);
    this.logger.log(
      `created the sandbox client ${created.clientId}; its credentials are in ${file} (mode 0600)`,
    );
  }
}
