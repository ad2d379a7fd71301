import {
  ConsoleLogger,
  type INestApplicationContext,
  type LogLevel,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Table from 'cli-table3';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppModule } from '../app.module.js';

/** Logs on stderr, so a command's stdout stays clean for `--json` output and pipes. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr');
  }
}

/** Runs `work` inside the gateway's application context (no HTTP server, no scheduled jobs). */
export async function withAppContext<T>(
  work: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ JOBS_ENABLED: 'false' }),
    {
      // Colour only for a person at a terminal: piped or captured logs stay plain text.
      logger: new StderrLogger({
        logLevels: ['fatal', 'error', 'warn'],
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- a piped stderr has no isTTY (undefined), though @types/node declares it boolean
        colors: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
      }),
      abortOnError: false,
      // A failed start is the command's one error line (cli.ts), not Nest's stack trace of it too.
      bufferLogs: true,
      autoFlushLogs: false,
    },
  );
  app.flushLogs();
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/** Prints a command's result: one JSON object with `--json`, readable lines otherwise. */
export function printResult(json: boolean, result: object, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human}\n`);
}

/** A command's option name as typed (`clientId` → `--client-id`), for error lines. */
function flagOf(property: string): string {
  return `--${property.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/**
 * Options checked by the same DTO, with the same rules, as the HTTP route they mirror, so the CLI
 * accepts exactly what the API accepts. The first problem becomes the command's one error line.
 */
export function validatedOptions<T extends object>(
  dto: Type<T>,
  options: Record<string, unknown>,
): T {
  const plain = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  );
  const instance = plainToInstance(dto, plain);
  const problem = validateSync(instance, { whitelist: true }).at(0);
  if (problem) {
    const reason = Object.values(problem.constraints ?? {})[0] ?? 'is not valid';
    throw new Error(`Invalid ${flagOf(problem.property)}: ${reason}.`);
  }
  return instance;
}

const NO_BORDER = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

/**
 * Rows as a plain-text table (cli-table3): no borders or colour, columns padded, so it reads on a
 * terminal and greps or cuts when piped. Missing values print as `-`.
 */
export function formatTable<R>(
  columns: readonly { header: string; value: (row: R) => string | number | null | undefined }[],
  rows: readonly R[],
): string {
  const table = new Table({
    head: columns.map((column) => column.header),
    style: { head: [], border: [], compact: true, 'padding-left': 0, 'padding-right': 2 },
    chars: NO_BORDER,
  });
  for (const row of rows) {
    table.push(
      columns.map((column) => {
        const value = column.value(row);
        if (value === null || value === undefined || value === '') return '-';
        return String(value);
      }),
    );
  }
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
