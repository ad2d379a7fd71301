import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { appRoleUrl, databaseUrl, withClient } from './postgres.js';
import { freePort, run, startService, type Service } from './processes.js';

export interface GatewayHandle {
  service: Service;
  env: Record<string, string>;
  /** Runs `node dist/cli.js <args>` against the gateway's database and secrets; returns stdout. */
  cli(args: string[], okCodes?: number[]): Promise<string>;
}

export interface GatewayOptions {
  database: string;
  distDir: string;
  /** Extra variables (e.g. rate limits raised for the benchmark), `--gateway-env K=V`. */
  extraEnv: Record<string, string>;
  /** Preload that writes a CPU profile on SIGUSR2 (see bench/profile-preload.mjs). */
  profileDir?: string;
}

/** Secrets of one benchmark run: random, held only in this process and its children. */
export function benchSecrets(): Record<string, string> {
  return {
    API_KEY_PEPPER: randomBytes(32).toString('base64url'),
    PHONE_HASH_PEPPER: randomBytes(32).toString('base64url'),
    SECRET_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64url')}`,
  };
}

/**
 * Starts the built gateway in production mode on its own database and a free loopback port, as
 * production runs it: migrations applied by the owner first, then the gateway and its CLI as the
 * application role `mig_app` (no DDL, no UPDATE or DELETE on the audit trail), MIGRATE_ON_START off.
 */
export async function startGateway(
  options: GatewayOptions,
  secrets: Record<string, string>,
): Promise<GatewayHandle> {
  const port = await freePort();
  await run(process.execPath, [path.join(options.distDir, 'cli.js'), 'db:migrate'], {
    env: {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl(options.database),
      LOG_LEVEL: 'warn',
      JOBS_ENABLED: 'false',
      ...secrets,
    },
  });
  // The role is created NOLOGIN by the migrations; production gives it a login (README, "Audit trail").
  await withClient(options.database, (client) => client.query('ALTER ROLE mig_app LOGIN'));
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    DATABASE_URL: appRoleUrl(options.database),
    MIGRATE_ON_START: 'false',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ...secrets,
    ...options.extraEnv,
  };
  const args = [path.join(options.distDir, 'main.js')];
  if (options.profileDir) {
    args.unshift('--import', path.resolve('bench/profile-preload.mjs'));
    env.BENCH_PROFILE_DIR = options.profileDir;
  }
  const service = await startService({
    name: 'gateway',
    args,
    env,
    port,
    readyPath: '/health/ready',
    readyTimeoutMs: 120_000,
  });
  return {
    service,
    env,
    cli: (cliArgs, okCodes) =>
      run(process.execPath, [path.join(options.distDir, 'cli.js'), ...cliArgs], {
        env: { ...env, JOBS_ENABLED: 'false' },
        okCodes,
      }),
  };
}
