import type { Command } from 'commander';
import { printResult, withAppContext } from './cli-context.js';
import { PushAdminService } from '../modules/push/push-admin.service.js';

/** CLI commands of the push module. */
export function registerPushCommands(program: Command): void {
  program
    .command('push:replay')
    .description(
      'Send a dead (or cancelled) webhook event again, with the same CloudEvents id (recorded in the audit trail).',
    )
    .argument('<eventId>', 'the event id (uuid)')
    .option('--json', 'print one JSON object')
    .action(async (eventId: string, options: { json?: boolean }) => {
      const delivery = await withAppContext((app) =>
        app.get(PushAdminService).replayFromCli(eventId),
      );
      printResult(
        Boolean(options.json),
        delivery,
        `Event ${delivery.id} is due again (status ${delivery.status}).`,
      );
    });

  program
    .command('push:dead-letters')
    .description('List dead webhook events (every attempt failed), newest first.')
    .option('--limit <n>', 'how many', (value) => Number(value), 50)
    .option('--json', 'print one JSON object')
    .action(async (options: { limit: number; json?: boolean }) => {
      const page = await withAppContext((app) =>
        app.get(PushAdminService).list({ status: 'dead' }, options.limit),
      );
      printResult(
        Boolean(options.json),
        page,
        page.items
          .map(
            (item) =>
              `${item.id}  ${item.type}  attempts=${item.attempts}  last=${item.lastHttpStatus ?? '-'} ${item.lastError ?? ''}`,
          )
          .join('\n') || 'No dead events.',
      );
    });
}
