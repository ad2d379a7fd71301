import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AppConfigModule } from '../../src/common/config/config.module.js';
import {
  Environment,
  EnvironmentError,
  validateEnvironment,
} from '../../src/common/config/environment.js';

const run = promisify(execFile);

describe('environment validation', () => {
  it('applies safe defaults when nothing is configured', () => {
    const environment = validateEnvironment({});
    expect(environment).toMatchObject({
      PORT: 3000,
      NODE_ENV: 'development',
      MIGRATE_ON_START: true,
    });
    expect(environment.usesEmbeddedDatabase).toBe(true);
  });

  it('names each invalid variable without echoing its value', () => {
    let caught: unknown;
    try {
      validateEnvironment({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://secret-password@db/x',
        LOG_LEVEL: 'loud',
      });
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
    await expect(failure).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('DATABASE_POOL_MAX'),
    });
  });

  describe('outbound operator settings (OPERATOR_* and their deprecated aliases)', () => {
    it('defaults both families to the same settings', () => {
      const environment = validateEnvironment({});
      const defaults = {
        deadlineMs: 2_000,
        breakerVolumeThreshold: 5,
        breakerErrorPercent: 50,
        breakerResetMs: 30_000,
      };
      expect(environment.outboundSettings('verify')).toEqual(defaults);
      expect(environment.outboundSettings('swap')).toEqual(defaults);
      expect(environment.deprecatedVariables()).toEqual([]);
    });

    it('reads an old name while the new one is unset, only for the calls it steered', () => {
      const environment = validateEnvironment({
        SIM_SWAP_DEADLINE_MS: '700',
        CIRCUIT_BREAKER_VOLUME_THRESHOLD: '3',
        SIM_SWAP_BREAKER_RESET_MS: '900000',
      });
      expect(environment.outboundSettings('swap')).toMatchObject({
        deadlineMs: 700,
        breakerVolumeThreshold: 5,
        breakerResetMs: 900_000,
      });
      expect(environment.outboundSettings('verify')).toMatchObject({
        deadlineMs: 2_000,
        breakerVolumeThreshold: 3,
        breakerResetMs: 30_000,
      });
    });

    it('lets the new name win when both are set', () => {
      const environment = validateEnvironment({
        OPERATOR_DEADLINE_MS: '400',
        SIM_SWAP_DEADLINE_MS: '700',
        OPERATOR_BREAKER_VOLUME_THRESHOLD: '8',
        CIRCUIT_BREAKER_VOLUME_THRESHOLD: '3',
        SIM_SWAP_BREAKER_VOLUME_THRESHOLD: '10000',
      });
      for (const family of ['verify', 'swap'] as const) {
        expect(environment.outboundSettings(family)).toMatchObject({
          deadlineMs: 400,
          breakerVolumeThreshold: 8,
        });
      }
    });

    it('validates the old names and the new ones alike', () => {
      expect(() => validateEnvironment({ SIM_SWAP_BREAKER_ERROR_PERCENT: '0' })).toThrow(
        /SIM_SWAP_BREAKER_ERROR_PERCENT/,
      );
      expect(() => validateEnvironment({ OPERATOR_BREAKER_ERROR_PERCENT: '101' })).toThrow(
        /OPERATOR_BREAKER_ERROR_PERCENT/,
      );
      expect(() => validateEnvironment({ OPERATOR_DEADLINE_MS: 'soon' })).toThrow(
        /OPERATOR_DEADLINE_MS/,
      );
    });

    it('warns at boot, naming the old variable and its replacement', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const module = await Test.createTestingModule({
          imports: [
            AppConfigModule.forRoot({
              SIM_SWAP_DEADLINE_MS: '700',
              OPERATOR_BREAKER_RESET_MS: '1000',
              CIRCUIT_BREAKER_RESET_MS: '2000',
            }),
          ],
        }).compile();
        expect(module.get(Environment).outboundSettings('swap').deadlineMs).toBe(700);
        const messages = warn.mock.calls.map(([message]) => String(message));
        expect(messages).toEqual(
          expect.arrayContaining([
            expect.stringMatching(
              /^SIM_SWAP_DEADLINE_MS is deprecated; set OPERATOR_DEADLINE_MS instead/,
            ),
            expect.stringMatching(
              /^CIRCUIT_BREAKER_RESET_MS is deprecated and ignored because OPERATOR_BREAKER_RESET_MS is set/,
            ),
          ]),
        );
        await module.close();
      } finally {
        warn.mockRestore();
      }
    });
  });
});
