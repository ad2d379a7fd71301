import type { Command } from 'commander';
import { printResult, withAppContext } from '../../common/cli/cli-context.js';
import { Clock } from '../../common/clock/clock.js';
import { AuditIntegrityService } from './audit-integrity.service.js';
import { AuditRetentionService } from './audit-retention.service.js';

/** CLI commands of the audit module (`npm run cli -- …`), run over the application context. */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit:verify')
    .description('Recompute the audit hash chain and report the first broken link (exit code 2 when broken).')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const report = await withAppContext((app) => app.get(AuditIntegrityService).verify());
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
    .description('Create the coming months’ audit partitions and drop whole months past AUDIT_RETENTION_DAYS.')
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
}
