import { ConsoleLogger, type INestApplicationContext, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../app.module.js';

/** Logs on stderr, so a command's stdout stays clean for `--json` output and pipes. */
class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel): void {
    super.printMessages(messages, context, logLevel, 'stderr');
  }
}

/** Runs `work` inside the gateway's application context (no HTTP server, no scheduled jobs). */
export async function withAppContext<T>(work: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ JOBS_ENABLED: 'false' }), {
    logger: new StderrLogger({ logLevels: ['fatal', 'error', 'warn'] }),
    abortOnError: false,
    // A failed start is the command's one error line (cli.ts), not Nest's stack trace of it too.
    bufferLogs: true,
    autoFlushLogs: false,
  });
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
