import { InvalidArgumentError, type Command } from 'commander';
import type { ConsoleRole } from '../common/auth/caller.js';
import { printResult, withAppContext } from './cli-context.js';
import { Environment } from '../common/config/environment.js';
import { SYSTEM_ACTOR } from '../modules/credentials/credential-audit.js';
import { ConsoleUsersService } from '../modules/console/console-users.service.js';

function parseRole(value: string): ConsoleRole {
  if (value !== 'admin' && value !== 'auditor' && value !== 'client')
    throw new InvalidArgumentError('must be admin, auditor or client');
  return value;
}

/** CLI commands of the console module (`npm run cli -- …`). */
export function registerConsoleCommands(program: Command): void {
  program
    .command('user:create')
    .description(
      'Create a console user (the first admin) and print their one-time invitation link: they set their password and authenticator there.',
    )
    .requiredOption('--email <email>', 'the person’s email address (their sign-in name)')
    .requiredOption('--role <role>', 'admin | auditor | client', parseRole)
    .option(
      '--client <clientId...>',
      'for a client user: the client id (or a sandbox and a live one)',
    )
    .option('--json', 'print one JSON object')
    .action(
      async (options: { email: string; role: ConsoleRole; client?: string[]; json?: boolean }) => {
        const { invitation, base } = await withAppContext(async (app) => ({
          invitation: await app
            .get(ConsoleUsersService)
            .invite(
              { email: options.email, role: options.role, clientIds: options.client },
              SYSTEM_ACTOR,
            ),
          base:
            app.get(Environment).CONSOLE_PUBLIC_URL?.replace(/\/$/, '') ??
            `http://localhost:${app.get(Environment).PORT}`,
        }));
        const link = `${base}${invitation.path}`;
        printResult(
          Boolean(options.json),
          {
            user: invitation.user,
            invitationToken: invitation.token,
            invitationUrl: link,
            expiresAt: invitation.expiresAt,
          },
          `Console ${options.role} ${invitation.user.email} created.\nOpen this link (once, before ${invitation.expiresAt}) to choose a password${options.role === 'client' ? '' : ' and set up the authenticator app'}:\n  ${link}`,
        );
      },
    );
}
