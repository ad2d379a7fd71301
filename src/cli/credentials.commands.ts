import { InvalidArgumentError, type Command } from 'commander';
import { CLIENT_PRODUCTS, type ClientProduct } from '../common/auth/caller.js';
import { randomUUID } from 'node:crypto';
import { formatTable, printResult, withAppContext } from './cli-context.js';
import { ApiError } from '../common/errors/api-error.js';
import type { Page } from '../common/http/pagination.js';
import { CredentialsMaintenanceService } from '../modules/credentials/credentials-maintenance.service.js';
import { ClientManagementService } from '../modules/credentials/client-management.service.js';
import { CredentialIssuanceService } from '../modules/credentials/credential-issuance.service.js';
import { CredentialViewsService } from '../modules/credentials/credential-views.service.js';
import { SYSTEM_ACTOR, type Actor } from '../modules/credentials/credential-audit.js';
import type { ClientView, CredentialView } from '../modules/credentials/credential-views.js';
import { SecretsResealService } from '../modules/secrets/secrets-reseal.service.js';
import { ProofKeysService } from '../modules/verification/proof-keys.service.js';

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new InvalidArgumentError('must be a whole number from 1 to 100');
  return limit;
}

/** Every page of a listing (a client has a handful of credentials; the pages exist for the API). */
async function allPages<T>(list: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

/** The CLI as the actor of a change: a system actor on the admin contract, like the admin API's change it mirrors. */
function cliActor(): Actor {
  return { type: 'system', id: 'cli', contract: 'admin', correlationId: `cli-${randomUUID()}` };
}

const CLIENT_COLUMNS = [
  { header: 'CLIENT ID', value: (client: ClientView) => client.clientId },
  { header: 'NAME', value: (client: ClientView) => client.name },
  { header: 'ENVIRONMENT', value: (client: ClientView) => client.environment },
  { header: 'STATUS', value: (client: ClientView) => client.status },
  { header: 'PRODUCTS', value: (client: ClientView) => client.products.join(',') },
  { header: 'RATE/MIN', value: (client: ClientView) => client.rateLimitPerMinute },
  { header: 'CREATED AT', value: (client: ClientView) => client.createdAt },
];

/** Never a secret: the fingerprint is the first 16 hex digits of the secret's SHA-256, for telling keys apart. */
const CREDENTIAL_COLUMNS = [
  { header: 'ID', value: (credential: CredentialView) => credential.id },
  {
    header: 'KIND',
    value: (credential: CredentialView) =>
      credential.role ? `${credential.kind} (${credential.role})` : credential.kind,
  },
  { header: 'STATUS', value: (credential: CredentialView) => credential.status },
  { header: 'FINGERPRINT', value: (credential: CredentialView) => credential.fingerprint },
  { header: 'CREATED AT', value: (credential: CredentialView) => credential.createdAt },
  { header: 'EXPIRES AT', value: (credential: CredentialView) => credential.expiresAt },
  { header: 'ENDED AT', value: (credential: CredentialView) => credential.endedAt },
  { header: 'LAST USED AT', value: (credential: CredentialView) => credential.lastUsedAt },
];

const CREDENTIAL_KINDS = ['api_key', 'client_secret', 'jwt_key'] as const;

function parseKind(value: string): (typeof CREDENTIAL_KINDS)[number] {
  if (!(CREDENTIAL_KINDS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${CREDENTIAL_KINDS.join(', ')}`);
  return value as (typeof CREDENTIAL_KINDS)[number];
}

function parseRole(value: string): 'admin' | 'auditor' {
  if (value !== 'admin' && value !== 'auditor')
    throw new InvalidArgumentError('must be admin or auditor');
  return value;
}

function parseProducts(value: string): ClientProduct[] {
  const products = value
    .split(',')
    .map((entry) => entry.trim().toUpperCase())
    .filter(Boolean);
  const unknown = products.filter(
    (product) => !(CLIENT_PRODUCTS as readonly string[]).includes(product),
  );
  if (unknown.length > 0 || products.length === 0) {
    throw new InvalidArgumentError(
      `products must be a comma-separated list of ${CLIENT_PRODUCTS.join(', ')}`,
    );
  }
  return products as ClientProduct[];
}

function parseOrigins(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** CLI commands of the credentials module (`npm run cli -- …`), run over the application context. */
export function registerCredentialsCommands(program: Command): void {
  program
    .command('admin-key:create')
    .description(
      'Create an admin key for the admin API (role admin or auditor). The key is printed once.',
    )
    .requiredOption('--role <role>', 'admin | auditor', parseRole)
    .option('--json', 'print one JSON object')
    .action(async (options: { role: 'admin' | 'auditor'; json?: boolean }) => {
      const created = await withAppContext((app) =>
        app.get(CredentialIssuanceService).createAdminKey(options.role),
      );
      printResult(
        Boolean(options.json),
        { id: created.id, role: options.role, key: created.key },
        `Admin key (${options.role}) ${created.id}\n  key: ${created.key}\nStore it now: it is not shown again.`,
      );
    });

  program
    .command('client:create')
    .description(
      'Create a client and print its id and every secret once (API key, client secret, JWT key id and secret).',
    )
    .requiredOption('--name <name>', 'display name of the client')
    .option('--sandbox', 'a SANDBOX client (default: LIVE)')
    .option(
      '--products <list>',
      `comma-separated, of ${CLIENT_PRODUCTS.join(', ')} (default: all)`,
      parseProducts,
    )
    .option(
      '--allowed-origins <list>',
      'comma-separated browser origins whose pages may use the Web SDK (https://bank.example)',
      parseOrigins,
    )
    .option('--json', 'print one JSON object')
    .action(
      async (options: {
        name: string;
        sandbox?: boolean;
        products?: ClientProduct[];
        allowedOrigins?: string[];
        json?: boolean;
      }) => {
        const environment = options.sandbox ? 'SANDBOX' : 'LIVE';
        const products = options.products ?? [...CLIENT_PRODUCTS];
        const created = await withAppContext((app) =>
          app.get(ClientManagementService).createClient({
            name: options.name,
            environment,
            products,
            allowedOrigins: options.allowedOrigins,
          }),
        );
        printResult(
          Boolean(options.json),
          { ...created, environment, products },
          [
            `Client ${created.clientId} (${environment}; ${products.join(', ')})`,
            `  API key:       ${created.apiKey}`,
            `  client secret: ${created.clientSecret}`,
            `  JWT key id:    ${created.jwtKeyId}`,
            `  JWT secret:    ${created.jwtSecret}`,
            'Store them now: they are not shown again.',
          ].join('\n'),
        );
      },
    );

  program
    .command('client:allowed-origins')
    .description(
      "Show or set the browser origins whose pages may use a client's SDK tokens (CORS of the enrichment and SDK session endpoints).",
    )
    .requiredOption('--client <clientId>', 'the client id (cli_…)')
    .option(
      '--set <list>',
      'comma-separated origins, replacing the current list (empty string: none)',
      parseOrigins,
    )
    .option('--json', 'print one JSON object')
    .action(async (options: { client: string; set?: string[]; json?: boolean }) => {
      const client = await withAppContext((app) =>
        options.set
          ? app
              .get(ClientManagementService)
              .updateClient(options.client, { allowedOrigins: options.set }, SYSTEM_ACTOR)
          : app.get(CredentialViewsService).getClient(options.client),
      );
      printResult(
        Boolean(options.json),
        { clientId: client.clientId, allowedOrigins: client.allowedOrigins },
        `Client ${client.clientId} allows ${client.allowedOrigins.length === 0 ? 'no browser origin' : client.allowedOrigins.join(', ')}.`,
      );
    });

  program
    .command('client:list')
    .description(
      'List clients, oldest first (as GET /admin/v1/clients): ids, names, environments, status. Never secrets.',
    )
    .option('--limit <n>', 'clients per page, 1 to 100', parseLimit, 50)
    .option('--cursor <cursor>', 'the next-page cursor a previous listing printed')
    .option('--json', 'print one JSON object: {items, nextCursor}')
    .action(async (options: { limit: number; cursor?: string; json?: boolean }) => {
      const page = await withAppContext((app) =>
        app.get(CredentialViewsService).listClients(options.limit, options.cursor),
      );
      printResult(
        Boolean(options.json),
        page,
        page.items.length === 0
          ? 'No clients.'
          : [
              formatTable(CLIENT_COLUMNS, page.items),
              ...(page.nextCursor ? [`More: --cursor ${page.nextCursor}`] : []),
            ].join('\n'),
      );
    });

  program
    .command('key:list')
    .description(
      "List a client's credentials (API keys, client secrets, JWT keys), or the admin keys with --admin: ids, state, dates, fingerprints. Never secrets.",
    )
    .option('--client <clientId>', 'the client id (cli_…)')
    .option('--admin', 'list the admin and auditor keys instead')
    .option('--kind <kind>', `only one kind: ${CREDENTIAL_KINDS.join(', ')}`, parseKind)
    .option('--json', 'print one JSON object: {clientId, items}')
    .action(
      async (options: { client?: string; admin?: boolean; kind?: string; json?: boolean }) => {
        if (Boolean(options.admin) === (options.client !== undefined))
          throw new Error('Give either --client <clientId> or --admin.');
        const all = await withAppContext((app) => {
          const credentials = app.get(CredentialViewsService);
          return allPages((cursor) =>
            // Exactly one of --admin and --client was given (checked above).
            options.client === undefined
              ? credentials.listAdminKeys(100, cursor)
              : credentials.listCredentials(options.client, 100, cursor),
          );
        });
        const items = options.kind
          ? all.filter((credential) => credential.kind === options.kind)
          : all;
        printResult(
          Boolean(options.json),
          { clientId: options.client ?? null, items },
          items.length === 0 ? 'No credentials.' : formatTable(CREDENTIAL_COLUMNS, items),
        );
      },
    );

  program
    .command('key:revoke')
    .description(
      "Revoke a client's credential (or an admin key with --admin) at once, as the admin API does: irreversible and audited (credential.revoke).",
    )
    .argument('<keyId>', 'the credential id, as key:list shows it')
    .option(
      '--client <clientId>',
      'the client the credential belongs to (a credential of another client is refused)',
    )
    .option('--admin', 'the id is an admin or auditor key')
    .option('--json', 'print one JSON object: {credential}')
    .action(
      async (keyId: string, options: { client?: string; admin?: boolean; json?: boolean }) => {
        if (Boolean(options.admin) === (options.client !== undefined))
          throw new Error('Give either --client <clientId> or --admin.');
        // The admin API's own method: the same checks (owner, still active), the same transaction and audit event.
        const credential = await withAppContext((app) =>
          app
            .get(CredentialIssuanceService)
            .revokeCredential(options.client ?? null, keyId, cliActor()),
        ).catch((error: unknown) => {
          // Only an id-shaped value is echoed: a secret pasted by mistake must not reach the terminal's scrollback.
          const named = /^[0-9a-f-]{36}$/i.test(keyId)
            ? `Credential ${keyId}`
            : 'That credential id';
          const owner =
            options.client === undefined ? 'as an admin key' : `for client ${options.client}`;
          if (error instanceof ApiError && error.status === 404)
            throw new Error(
              `${named} does not exist ${owner} (unknown id, or a credential of another client).`,
              { cause: error },
            );
          if (error instanceof ApiError && error.status === 409)
            throw new Error(
              `${named} is no longer active (already revoked or expired); nothing changed.`,
              { cause: error },
            );
          throw error;
        });
        printResult(
          Boolean(options.json),
          { credential },
          `Revoked ${credential.kind} ${credential.id} (fingerprint ${credential.fingerprint}) at ${credential.endedAt}. Other running instances refuse it within their credential cache time (at most 5 s).`,
        );
      },
    );

  program
    .command('credentials:rotate-due')
    .description(
      'Run the credentials job once: end credentials past their grace period or expiry, report those due for rotation, re-seal secrets under the newest KEK, roll the proof key when due.',
    )
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      // The three jobs a minute's tick runs, in one command and one report, as before they were
      // split by owner: when another instance holds the credentials job, nothing is done.
      const report = await withAppContext(async (app) => {
        const credentials = await app.get(CredentialsMaintenanceService).runDue();
        if (credentials.skipped) return { ...credentials, resealed: 0, proofKeyRolled: null };
        const { resealed } = await app.get(SecretsResealService).resealAll();
        const proofKeyRolled = await app.get(ProofKeysService).rollIfDue();
        return { ...credentials, resealed, proofKeyRolled };
      });
      printResult(
        Boolean(options.json),
        report,
        report.skipped
          ? 'Another instance is running the credentials job; nothing done.'
          : `Expired ${report.expired}, due for rotation ${report.dueForRotation}, re-sealed ${report.resealed}, proof key ${report.proofKeyRolled ? `rolled to ${report.proofKeyRolled}` : 'unchanged'}.`,
      );
    });
}
