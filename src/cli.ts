import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { printResult } from './cli/cli-context.js';
import { EnvironmentError, validateEnvironment } from './common/config/environment.js';
import { openDatabaseConnection } from './common/database/database-connection.js';
import { migrateDatabase } from './common/database/database.module.js';
import { registerOpenApiCommands } from './cli/openapi.commands.js';
import { registerAuditCommands } from './cli/audit.commands.js';
import { registerConsoleCommands } from './cli/console.commands.js';
import { registerCredentialsCommands } from './cli/credentials.commands.js';
import { registerOperatorsCommands } from './cli/operators.commands.js';
import { registerPushCommands } from './cli/push.commands.js';

if (existsSync('.env')) process.loadEnvFile('.env');

const program = new Command()
  .name('npm run cli --')
  .description('Administration commands of the Mobile Identity Gateway.')
  // A usage error is its one line on stderr (exit 1), naming the option; `--help` shows the rest.
  .showHelpAfterError(false);

program
  .command('db:migrate')
  .description('Apply pending database migrations (the same runner the gateway uses at start-up).')
  .option('--json', 'print one JSON object')
  .action(async (options: { json?: boolean }) => {
    // Deliberately without the application context: it is what must work before the app can.
    const connection = await openDatabaseConnection(validateEnvironment(process.env));
    try {
      const applied = await migrateDatabase(connection);
      printResult(
        Boolean(options.json),
        { applied },
        applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`,
      );
    } finally {
      await connection.close();
    }
  });

registerCredentialsCommands(program);
registerAuditCommands(program);
registerOperatorsCommands(program);
registerOpenApiCommands(program);
registerConsoleCommands(program);
registerPushCommands(program);

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(
    error instanceof EnvironmentError || error instanceof Error
      ? `${error.message}\n`
      : `${String(error)}\n`,
  );
  process.exit(1);
});
