import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import * as OTPAuth from 'otpauth';
import type { TestDatabase } from '../support/test-database.js';

/** Debian's Chromium (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** On PostgreSQL with Chromium present; CI must have both, so there a missing browser fails the suite. */
export function browserTestsCanRun(): boolean {
  if (!process.env.DATABASE_URL) return false;
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI)
    throw new Error(
      `Chromium is missing at ${CHROMIUM}: .ci/run installs it with apt-get install -y chromium`,
    );
  return false;
}

/** The code an authenticator app shows `offsetSteps` periods from now. */
export function totpCode(secret: string, offsetSteps = 0): string {
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  });
  return totp.generate({ timestamp: Date.now() + offsetSteps * 30_000 });
}

/** The public fingerprint listings show for a key. */
export function fingerprintOf(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/** Runs the built CLI against the test database (as `npm run cli -- …`). */
export function cli(
  env: Record<string, string | undefined>,
  ...args: string[]
): Record<string, unknown> {
  const output = execFileSync('node', ['dist/cli.js', ...args, '--json'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(output) as Record<string, unknown>;
}

/** Polls until `check` returns a value, or fails after the deadline (never a fixed sleep). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  deadlineMs = 30_000,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The sandbox quickstart through the public API: SDK token, enrichment, verify. Answers the verify's body. */
export async function sandboxVerify(
  baseUrl: string,
  clientId: string,
  apiKey: string,
  correlator: string,
  msisdn = '+962791234567',
): Promise<{ status: number; body: Record<string, unknown> }> {
  const token = await fetch(`${baseUrl}/v1/api/sdk/token`, {
    method: 'POST',
    headers: { 'x-client-id': clientId, 'x-api-key': apiKey },
  });
  if (token.status !== 200 && token.status !== 201)
    return { status: token.status, body: (await token.json()) as Record<string, unknown> };
  const sdkToken = ((await token.json()) as { data: { sdkToken: string } }).data.sdkToken;
  const he = await fetch(`${baseUrl}/v1/he/ZAIN_JO`, {
    headers: { 'x-client-id': clientId, 'x-sdk-token': sdkToken, 'x-sandbox-msisdn': msisdn },
  });
  const proof = ((await he.json()) as { data: { authmatechCode: string } }).data.authmatechCode;
  const verify = await fetch(`${baseUrl}/v1/api/verify?maskMobile=false`, {
    method: 'POST',
    headers: {
      'x-client-id': clientId,
      'x-api-key': apiKey,
      'content-type': 'application/json',
      'x-correlator': correlator,
    },
    body: JSON.stringify({
      mobileNumber: msisdn,
      encryptedMobileNumber: proof,
      operatorId: 'ZAIN_JO',
      serviceType: 'LOGIN',
    }),
  });
  return { status: verify.status, body: (await verify.json()) as Record<string, unknown> };
}

/** Runs one statement as the database owner and answers its rows. */
export async function rowsOf(
  database: TestDatabase,
  statement: string,
  params: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const client = await database.connect();
  try {
    return (await client.query<Record<string, unknown>>(statement, params)).rows;
  } finally {
    await client.end();
  }
}
