import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { EnvironmentError, validateEnvironment } from '../../src/common/config/environment.js';

const run = promisify(execFile);

describe('environment validation', () => {
  it('applies safe defaults when nothing is configured', () => {
    const environment = validateEnvironment({});
    expect(environment).toMatchObject({ PORT: 3000, NODE_ENV: 'development', MIGRATE_ON_START: true });
    expect(environment.usesEmbeddedDatabase).toBe(true);
  });

  it('names each invalid variable without echoing its value', () => {
    let caught: unknown;
    try {
      validateEnvironment({ PORT: 'eighty', DATABASE_URL: 'mysql://secret-password@db/x', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvironmentError);
    const message = (caught as Error).message;
    expect(message).toMatch(/PORT/);
    expect(message).toMatch(/DATABASE_URL/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect(message).not.toContain('secret-password');
  });

  it('stops the CLI process with a message naming the variable', async () => {
    // The built CLI, as operators run it (`npm test` builds first).
    const failure = run('node', ['dist/cli.js', 'db:migrate'], {
      env: { ...process.env, DATABASE_POOL_MAX: '0' },
    });
    await expect(failure).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('DATABASE_POOL_MAX') });
  });
});
