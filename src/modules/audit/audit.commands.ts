import type { Command } from 'commander';
import { printResult, withAppContext } from '../../common/cli/cli-context.js';
import { progressBar } from '../../common/cli/progress.js';
import { Clock } from '../../common/clock/clock.js';
import { AuditIntegrityService } from './audit-integrity.service.js';
import { AuditRetentionService } from './audit-retention.service.js';
import { AuditVerificationRunsService } from './audit-verification-runs.service.js';

/** CLI commands of the audit module (`npm run cli -- …`), run over the application context. */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit:verify')
    .description('Recompute the audit hash chain and report the first broken link (exit code 2 when broken).')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const progress = progressBar('audit:verify', Boolean(options.json));
      // Stored as a verification run, so the console shows the last result of the CLI's check too.
      const { report } = await withAppContext((app) =>
        app.get(AuditVerificationRunsService).runToCompletion({ type: 'system' }, (checked, total) => progress.update(checked, total)),
      ).finally(() => progress.stop());
      if (!report) throw new Error('The check could not read the audit trail (see the log above).');
      printResult(
        Boolean(options.json),
        report,
        report.ok
          ? `Audit chain intact: ${report.checkedEvents} events checked (positions ${report.fromPosition ?? '-'} to ${report.headPosition}), head ${report.headHash}.`
          : `Audit chain BROKEN at position ${report.firstBroken!.position} (${report.firstBroken!.kind}): ${report.firstBroken!.message}`,
      );
      if (!report.ok) process.exitCode = 2;
    });

  program
    .command('audit:anchor')
    .description('Print the chain head (position and hash) to keep outside the database.')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const anchor = await withAppContext((app) => app.get(AuditIntegrityService).anchor(app.get(Clock).now()));
      printResult(Boolean(options.json), anchor, `position ${anchor.position} hash ${anchor.hash} (read at ${anchor.readAt})`);
    });

  program
    .command('audit:retention')
    .description('Create the coming months’ audit partitions and drop whole months past the retention policy.')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const result = await withAppContext((app) => app.get(AuditRetentionService).run());
      printResult(
        Boolean(options.json),
        result,
        result.skipped
          ? 'Another instance is running retention; nothing done.'
          : result.droppedPartitions.length === 0
            ? `Nothing past ${result.retentionDays} days (cutoff ${result.cutoff}); ${result.partitionsCreated} partitions created ahead.`
            : `Dropped ${result.droppedPartitions.join(', ')} (${result.droppedFrom} to ${result.droppedTo}, through chain position ${result.throughPosition ?? 'none'}).`,
      );
    });

  program
    .command('audit:retention-policy')
    .description('Show the audit retention policy, or set it with --days (needs the database owner: the application role cannot change it).')
    .option('--days <days>', 'days audit events are kept, from now on')
    .option('--allow-short', 'accept fewer than 365 days (test systems only; PCI DSS 10.5.1)')
    .option('--json', 'print one JSON object')
    .action(async (options: { days?: string; allowShort?: boolean; json?: boolean }) => {
      const days = await withAppContext(async (app) => {
        const retention = app.get(AuditRetentionService);
        if (options.days !== undefined) {
          try {
            await retention.setPolicy(Number(options.days), Boolean(options.allowShort), `cli ${process.env.USER ?? 'unknown'}`);
          } catch (error) {
            // The application role has only SELECT on the policy: say what to do instead of a driver error.
            if (/permission denied/i.test(error instanceof Error ? error.message : String(error))) {
              throw new Error('Permission denied: the retention policy can only be set as the database owner (run with the owner\'s DATABASE_URL).', { cause: error });
            }
            throw error;
          }
        }
        return retention.currentRetentionDays();
      });
      printResult(Boolean(options.json), { retentionDays: days }, `Audit events are kept ${days} days.`);
    });
}
