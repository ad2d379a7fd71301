import { InvalidArgumentError, type Command } from 'commander';
import { CLIENT_PRODUCTS, type ClientProduct } from '../../common/auth/caller.js';
import { printResult, withAppContext } from '../../common/cli/cli-context.js';
import { CredentialsMaintenanceService } from './credentials-maintenance.service.js';
import { CredentialsService, SYSTEM_ACTOR } from './credentials.service.js';

function parseRole(value: string): 'admin' | 'auditor' {
  if (value !== 'admin' && value !== 'auditor') throw new InvalidArgumentError('must be admin or auditor');
  return value;
}

function parseProducts(value: string): ClientProduct[] {
  const products = value.split(',').map((entry) => entry.trim().toUpperCase()).filter(Boolean);
  const unknown = products.filter((product) => !(CLIENT_PRODUCTS as readonly string[]).includes(product));
  if (unknown.length > 0 || products.length === 0) {
    throw new InvalidArgumentError(`products must be a comma-separated list of ${CLIENT_PRODUCTS.join(', ')}`);
  }
  return products as ClientProduct[];
}

function parseOrigins(value: string): string[] {
  return value.split(',').map((entry) => entry.trim()).filter(Boolean);
}

/** CLI commands of the credentials module (`npm run cli -- …`), run over the application context. */
export function registerCredentialsCommands(program: Command): void {
  program
    .command('admin-key:create')
    .description('Create an admin key for the admin API (role admin or auditor). The key is printed once.')
    .requiredOption('--role <role>', 'admin | auditor', parseRole)
    .option('--json', 'print one JSON object')
    .action(async (options: { role: 'admin' | 'auditor'; json?: boolean }) => {
      const created = await withAppContext((app) => app.get(CredentialsService).createAdminKey(options.role));
      printResult(
        Boolean(options.json),
        { id: created.id, role: options.role, key: created.key },
        `Admin key (${options.role}) ${created.id}\n  key: ${created.key}\nStore it now: it is not shown again.`,
      );
    });

  program
    .command('client:create')
    .description('Create a client and print its id and every secret once (API key, client secret, JWT key id and secret).')
    .requiredOption('--name <name>', 'display name of the client')
    .option('--sandbox', 'a SANDBOX client (default: LIVE)')
    .option('--products <list>', `comma-separated, of ${CLIENT_PRODUCTS.join(', ')} (default: all)`, parseProducts)
    .option('--allowed-origins <list>', 'comma-separated browser origins whose pages may use the Web SDK (https://bank.example)', parseOrigins)
    .option('--json', 'print one JSON object')
    .action(async (options: { name: string; sandbox?: boolean; products?: ClientProduct[]; allowedOrigins?: string[]; json?: boolean }) => {
      const environment = options.sandbox ? 'SANDBOX' : 'LIVE';
      const products = options.products ?? [...CLIENT_PRODUCTS];
      const created = await withAppContext((app) =>
        app.get(CredentialsService).createClient({ name: options.name, environment, products, allowedOrigins: options.allowedOrigins }),
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
    });

  program
    .command('client:allowed-origins')
    .description('Show or set the browser origins whose pages may use a client\'s SDK tokens (CORS of the enrichment and SDK session endpoints).')
    .requiredOption('--client <clientId>', 'the client id (cli_…)')
    .option('--set <list>', 'comma-separated origins, replacing the current list (empty string: none)', parseOrigins)
    .option('--json', 'print one JSON object')
    .action(async (options: { client: string; set?: string[]; json?: boolean }) => {
      const client = await withAppContext((app) => {
        const credentials = app.get(CredentialsService);
        return options.set ? credentials.updateClient(options.client, { allowedOrigins: options.set }, SYSTEM_ACTOR) : credentials.getClient(options.client);
      });
      printResult(
        Boolean(options.json),
        { clientId: client.clientId, allowedOrigins: client.allowedOrigins },
        `Client ${client.clientId} allows ${client.allowedOrigins.length === 0 ? 'no browser origin' : client.allowedOrigins.join(', ')}.`,
      );
    });

  program
    .command('credentials:rotate-due')
    .description('Run the credentials job once: end credentials past their grace period or expiry, report those due for rotation, re-seal secrets under the newest KEK, roll the proof key when due.')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const report = await withAppContext((app) => app.get(CredentialsMaintenanceService).runDue());
      printResult(
        Boolean(options.json),
        report,
        report.skipped
          ? 'Another instance is running the credentials job; nothing done.'
          : `Expired ${report.expired}, due for rotation ${report.dueForRotation}, re-sealed ${report.resealed}, proof key ${report.proofKeyRolled ? `rolled to ${report.proofKeyRolled}` : 'unchanged'}.`,
      );
    });
}
