import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { formatTable, printResult, validatedOptions, withAppContext } from './cli-context.js';
import { progressBar } from './progress.js';
import { Clock } from '../common/clock/clock.js';
import type { AuditRecord } from '../modules/audit/audit-chain.js';
import {
  AuditIntegrityService,
  type AnchorCheck,
} from '../modules/audit/audit-integrity.service.js';
import { AuditRetentionService } from '../modules/audit/audit-retention.service.js';
import { AuditVerificationRunsService } from '../modules/audit/audit-verification-runs.service.js';
import { AuditService, type AuditEventInput } from '../modules/audit/audit.service.js';
import {
  AuditEventsQueryDto,
  AuditExportQueryDto,
  describeQuery,
  toAuditQuery,
} from '../modules/audit/dto/audit-query.dto.js';

/** The admin API's audit filters (GET /admin/v1/audit/events), as options named after its query parameters. */
const FILTERS = [
  ['from', '--from <iso8601>', 'inclusive start (ISO 8601)'],
  ['to', '--to <iso8601>', 'exclusive end (ISO 8601)'],
  ['clientId', '--client-id <id>', 'events of one client (cli_…)'],
  ['action', '--action <action>', 'e.g. verify, sim_swap.check, credential.revoke'],
  ['contract', '--contract <contract>', 'authmatech | identity_match | camara | admin | system'],
  ['outcome', '--outcome <outcome>', 'success | failure'],
  ['verdict', '--verdict <key:value>', 'a verdict value, e.g. validNumber:true'],
  ['serviceType', '--service-type <type>', 'service type'],
  ['operatorId', '--operator-id <id>', 'operator id'],
  [
    'phoneNumber',
    '--phone-number <e164>',
    'searched by its keyed hash, never printed (it stays in your shell history: prefer a correlation id)',
  ],
  ['correlationId', '--correlation-id <id>', 'the x-correlator of a request'],
] as const;

type FilterOptions = Partial<Record<(typeof FILTERS)[number][0], string>>;

function withFilterOptions(command: Command): Command {
  for (const [, flags, description] of FILTERS) command.option(flags, description);
  return command;
}

function filtersOf(options: FilterOptions): FilterOptions {
  return Object.fromEntries(
    FILTERS.map(([name]) => [name, options[name]]).filter(([, value]) => value !== undefined),
  ) as FilterOptions;
}

/**
 * Reading the trail from the CLI is audited like reading it through the admin API (the same
 * action and query description), with the CLI as the actor.
 */
function cliReadEvent(
  action: string,
  query: object,
  detail: Record<string, unknown>,
): AuditEventInput {
  return {
    action,
    contract: 'admin',
    actorType: 'system',
    actorId: 'cli',
    correlationId: `cli-${randomUUID()}`,
    outcome: 'success',
    ...((query as { phoneNumber?: string }).phoneNumber !== undefined
      ? { phoneNumber: (query as { phoneNumber: string }).phoneNumber }
      : {}),
    detail: { query: describeQuery(query), ...detail },
  };
}

const EVENT_COLUMNS = [
  { header: 'ID', value: (event: AuditRecord) => event.id },
  { header: 'OCCURRED AT', value: (event: AuditRecord) => event.occurredAt },
  { header: 'ACTION', value: (event: AuditRecord) => event.action },
  { header: 'CONTRACT', value: (event: AuditRecord) => event.contract },
  { header: 'OUTCOME', value: (event: AuditRecord) => event.outcome },
  { header: 'STATUS', value: (event: AuditRecord) => event.httpStatus },
  { header: 'CLIENT', value: (event: AuditRecord) => event.clientId },
  {
    header: 'ACTOR',
    value: (event: AuditRecord) =>
      event.actorId ? `${event.actorType}:${event.actorId}` : event.actorType,
  },
  { header: 'OPERATOR', value: (event: AuditRecord) => event.operatorId },
  { header: 'PHONE', value: (event: AuditRecord) => event.phoneMasked },
  { header: 'ERROR', value: (event: AuditRecord) => event.errorCode },
  { header: 'CORRELATION ID', value: (event: AuditRecord) => event.correlationId },
];

/** An anchor as `audit:anchor --json` (or the console's download) writes it; its human line is accepted too. */
async function readAnchor(file: string): Promise<{ position: string; hash: string }> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new Error(
      `Cannot read the anchor file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      { cause: error },
    );
  }
  let candidate: { position?: unknown; hash?: unknown } | undefined;
  try {
    const parsed = JSON.parse(text) as {
      position?: unknown;
      hash?: unknown;
      anchor?: { position?: unknown; hash?: unknown };
    };
    candidate = parsed.anchor ?? parsed;
  } catch {
    const match = /^position (\S+) hash (\S+)/.exec(text);
    candidate = match ? { position: match[1], hash: match[2] } : undefined;
  }
  const position =
    typeof candidate?.position === 'number' ? String(candidate.position) : candidate?.position;
  if (
    typeof position !== 'string' ||
    !/^\d{1,19}$/.test(position) ||
    typeof candidate?.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(candidate.hash)
  ) {
    throw new Error(
      `The anchor file ${file} is not an anchor: expected {"position": "…", "hash": "<64 hex>"} as audit:anchor --json prints it.`,
    );
  }
  return { position, hash: candidate.hash };
}

/** CLI commands of the audit module (`npm run cli -- …`), run over the application context. */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit:verify')
    .description(
      'Recompute the audit hash chain and report the first broken link (exit code 2 when broken, or when the chain does not match --anchor).',
    )
    .option(
      '--anchor <file>',
      'also check that the chain still has the hash of this anchor (as audit:anchor --json wrote it) at its position',
    )
    .option('--json', 'print one JSON object')
    .action(async (options: { anchor?: string; json?: boolean }) => {
      // Read first: a bad file is a one-line error before minutes of checking.
      const anchor = options.anchor === undefined ? undefined : await readAnchor(options.anchor);
      const progress = progressBar('audit:verify', Boolean(options.json));
      // Stored as a verification run, so the console shows the last result of the CLI's check too.
      const { report, anchorCheck } = await withAppContext(async (app) => {
        // Compared before the run appends its own audit.verify event, which could fill the
        // position of an anchor beyond a chain cut back by someone with the owner's rights.
        const compared = anchor && (await app.get(AuditIntegrityService).checkAnchor(anchor));
        const { report: checked } = await app
          .get(AuditVerificationRunsService)
          .runToCompletion({ type: 'system' }, (done, total) => {
            progress.update(done, total);
          })
          .finally(() => {
            progress.stop();
          });
        return { report: checked, anchorCheck: compared };
      });
      if (!report) throw new Error('The check could not read the audit trail (see the log above).');
      const ok = report.ok && (anchorCheck?.ok ?? true);
      const lines = [
        report.ok
          ? `Audit chain intact: ${report.checkedEvents} events checked (positions ${report.fromPosition ?? '-'} to ${report.headPosition}), head ${report.headHash}.`
          : report.firstBroken
            ? `Audit chain BROKEN at position ${report.firstBroken.position} (${report.firstBroken.kind}): ${report.firstBroken.message}`
            : 'Audit chain BROKEN.',
        ...(anchorCheck ? [anchorLine(anchorCheck)] : []),
      ];
      printResult(
        Boolean(options.json),
        anchorCheck ? { ...report, ok, chainOk: report.ok, anchor: anchorCheck } : report,
        lines.join('\n'),
      );
      if (!ok) process.exitCode = 2;
    });

  withFilterOptions(
    program
      .command('audit:search')
      .description(
        'Query the audit trail, newest first, with the filters of GET /admin/v1/audit/events (paged; the read is audited).',
      ),
  )
    .option('--limit <n>', 'events per page, 1 to 500', '50')
    .option('--cursor <cursor>', 'the next-page cursor a previous search printed')
    .option('--json', 'print one JSON object: {items, nextCursor}')
    .action(async (options: FilterOptions & { limit: string; cursor?: string; json?: boolean }) => {
      const dto = validatedOptions(AuditEventsQueryDto, {
        ...filtersOf(options),
        limit: options.limit,
        cursor: options.cursor,
      });
      const page = await withAppContext(async (app) => {
        const audit = app.get(AuditService);
        const found = await audit.list(toAuditQuery(dto), dto.limit ?? 50, dto.cursor);
        await audit.record(
          cliReadEvent('audit.events.list', dto, { returned: found.items.length }),
        );
        return found;
      });
      printResult(
        Boolean(options.json),
        page,
        page.items.length === 0
          ? 'No audit events match.'
          : [
              formatTable(EVENT_COLUMNS, page.items),
              `${page.items.length} ${page.items.length === 1 ? 'event' : 'events'}; ${page.nextCursor ? `older ones: --cursor ${page.nextCursor}` : 'no older ones.'}`,
            ].join('\n'),
      );
    });

  withFilterOptions(
    program
      .command('audit:export')
      .description(
        'Export the filtered trail as CSV or NDJSON, newest first: the rows and columns of GET /admin/v1/audit/export, streamed (the export is audited).',
      ),
  )
    .addOption(
      new Option('--format <format>', 'csv | ndjson')
        .choices(['csv', 'ndjson'])
        .makeOptionMandatory(),
    )
    .option('--out <file>', 'write to this file (default: standard output)')
    .option('--json', 'with --out: print one JSON object describing the export')
    .action(
      async (
        options: FilterOptions & { format: 'csv' | 'ndjson'; out?: string; json?: boolean },
      ) => {
        if (options.json && options.out === undefined)
          throw new Error('--json needs --out: without it the export itself is standard output.');
        const dto = validatedOptions(AuditExportQueryDto, {
          ...filtersOf(options),
          format: options.format,
        });
        // Written beside the target and renamed at the end, so a failed export leaves no half file.
        const partial =
          options.out === undefined ? undefined : `${options.out}.partial-${process.pid}`;
        // Not over rows printed to the same terminal: the bar would be drawn into the export.
        const progress = progressBar(
          'audit:export',
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- commander leaves an absent flag undefined and a piped stdout has no isTTY, whatever the types say
          Boolean(options.json) || (partial === undefined && Boolean(process.stdout.isTTY)),
        );
        const result = await withAppContext(async (app) => {
          const audit = app.get(AuditService);
          const query = toAuditQuery(dto);
          const total = progress.active ? await audit.count(query) : 0;
          let rows = 0;
          const stream = audit.export(query, dto.format, app.get(Clock).now(), (exported) => {
            rows = exported;
            progress.update(exported, Math.max(total, exported));
          });
          const target: Writable =
            partial === undefined ? process.stdout : createWriteStream(partial, { mode: 0o600 });
          try {
            // Standard output is not ours to close; a file is ended with the export.
            await pipeline(stream, target, { end: partial !== undefined });
            if (partial !== undefined && options.out !== undefined)
              await rename(partial, options.out);
          } catch (error) {
            if (partial !== undefined) await rm(partial, { force: true });
            // A reader that stopped early (`| head`) ends the export; it is not a failure of it.
            if (partial !== undefined || (error as NodeJS.ErrnoException).code !== 'EPIPE')
              throw error;
          } finally {
            progress.stop();
          }
          await audit.record(
            cliReadEvent('audit.export', dto, {
              rows,
              to: options.out === undefined ? 'stdout' : 'file',
            }),
          );
          return { format: dto.format, rows };
        });
        if (options.out !== undefined) {
          printResult(
            Boolean(options.json),
            { ...result, out: options.out },
            `Exported ${result.rows} events as ${result.format} to ${options.out}.`,
          );
        }
      },
    );

  program
    .command('audit:anchor')
    .description('Print the chain head (position and hash) to keep outside the database.')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const anchor = await withAppContext((app) =>
        app.get(AuditIntegrityService).anchor(app.get(Clock).now()),
      );
      printResult(
        Boolean(options.json),
        anchor,
        `position ${anchor.position} hash ${anchor.hash} (read at ${anchor.readAt})`,
      );
    });

  program
    .command('audit:retention')
    .description(
      'Create the coming months’ audit partitions and drop whole months past the retention policy.',
    )
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const progress = progressBar('audit:retention', Boolean(options.json));
      const result = await withAppContext((app) =>
        app.get(AuditRetentionService).run((dropped, total) => {
          progress.update(dropped, total);
        }),
      ).finally(() => {
        progress.stop();
      });
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
    .description(
      'Show the audit retention policy, or set it with --days (needs the database owner: the application role cannot change it).',
    )
    .option('--days <days>', 'days audit events are kept, from now on')
    .option('--allow-short', 'accept fewer than 365 days (test systems only; PCI DSS 10.5.1)')
    .option('--json', 'print one JSON object')
    .action(async (options: { days?: string; allowShort?: boolean; json?: boolean }) => {
      const days = await withAppContext(async (app) => {
        const retention = app.get(AuditRetentionService);
        if (options.days !== undefined) {
          try {
            await retention.setPolicy(
              Number(options.days),
              Boolean(options.allowShort),
              `cli ${process.env.USER ?? 'unknown'}`,
            );
          } catch (error) {
            // The application role has only SELECT on the policy: say what to do instead of a driver error.
            if (/permission denied/i.test(error instanceof Error ? error.message : String(error))) {
              throw new Error(
                "Permission denied: the retention policy can only be set as the database owner (run with the owner's DATABASE_URL).",
                { cause: error },
              );
            }
            throw error;
          }
        }
        return retention.currentRetentionDays();
      });
      printResult(
        Boolean(options.json),
        { retentionDays: days },
        `Audit events are kept ${days} days.`,
      );
    });
}

function anchorLine(check: AnchorCheck): string {
  return check.ok
    ? `Anchor matches: ${check.message}`
    : `Anchor does NOT match (${check.problem}): ${check.message}`;
}
