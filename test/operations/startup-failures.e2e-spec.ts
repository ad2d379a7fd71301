import { spawn } from 'node:child_process';
import { TEST_SECRETS } from '../support/test-database.js';

/** Runs the built gateway (`npm start`'s `node dist/main.js`) with `env` and collects how it ended. */
function startGateway(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only what the case sets: no DATABASE_URL or secrets leak in from the test run's environment.
  const child = spawn('node', ['dist/main.js'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) =>
    child.once('close', (code) => {
      resolve({ code, stdout, stderr });
    }),
  );
}

const ON_POSTGRES = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/unused_test',
};

describe('start-up failures', () => {
  it.each([
    [
      'the database is unreachable',
      {
        DATABASE_URL: 'postgresql://gateway:hunter2-password@127.0.0.1:1/gateway',
        ...TEST_SECRETS,
      },
      /^Invalid configuration: DATABASE_URL: cannot reach the server \(ECONNREFUSED\) at 127\.0\.0\.1:1\/gateway; start PostgreSQL or fix DATABASE_URL/,
    ],
    [
      'TRUSTED_PROXIES is not a list of addresses',
      { ...ON_POSTGRES, TRUSTED_PROXIES: 'notanip', ...TEST_SECRETS },
      /^Invalid configuration: TRUSTED_PROXIES: must be a comma-separated list of IP addresses or CIDR ranges/,
    ],
    [
      'production lacks its secrets',
      { ...ON_POSTGRES, NODE_ENV: 'production' },
      /^Invalid configuration: API_KEY_PEPPER, PHONE_HASH_PEPPER, SECRET_ENCRYPTION_KEYS: required when NODE_ENV=production; set each/,
    ],
    [
      'production has no DATABASE_URL',
      { NODE_ENV: 'production', ...TEST_SECRETS },
      /^Invalid configuration: DATABASE_URL: required when NODE_ENV=production .*ALLOW_EMBEDDED_IN_PRODUCTION=true/,
    ],
  ])(
    'when %s: exits non-zero with one line on stderr naming the variable, no stack',
    async (_case, env, line) => {
      const ended = await startGateway(env);
      expect(ended.code).not.toBe(0);
      expect(ended.code).not.toBeNull();
      expect(ended.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(line)]);
      expect(ended.stderr).not.toMatch(/\n\s+at /);
      expect(ended.stderr).not.toContain('hunter2');
      expect(ended.stdout).toBe('');
    },
  );
});
