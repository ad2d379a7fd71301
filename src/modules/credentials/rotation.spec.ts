import { jest } from '@jest/globals';
import type { Environment } from '../../common/config/environment.js';
import type { Actor, CredentialAudit } from './credential-audit.js';
import type { CredentialCache } from './credential-cache.js';
import type { Credential, CredentialsRepository, Tx } from './credentials.repository.js';
import {
  credentialNotActive,
  credentialNotFound,
  unsupportedCredentialKind,
} from './credentials.errors.js';
import { CredentialIssuanceService } from './credential-issuance.service.js';
import type { SecretBox } from '../../common/crypto/secret-box.js';

// The rotation rule, with hand-made repositories (no database): when a credential's predecessor
// stops working (the overlap). The proof key's roll is specified in verification/proof-keys.service.spec.ts.

const NOW = new Date('2026-12-06T12:00:00Z');
const TX = { tx: true } as unknown as Tx;
const CLIENT_ID = 'cli_rotating';
const CURRENT = '11111111-1111-4111-8111-111111111111';
const IN_GRACE = '22222222-2222-4222-8222-222222222222';

/** A clock the test moves. */
function clockAt(at: Date) {
  let now = at.getTime();
  return { clock: { now: () => new Date(now) }, advance: (ms: number) => (now += ms) };
}

/** An identity SecretBox: sealing is not what these rules are about. */
const box = {
  seal: (value: string) => ({ ciphertext: value, keyVersion: 1 }),
  open: (sealed: { ciphertext: string }) => sealed.ciphertext,
  currentKeyVersion: 1,
} as unknown as SecretBox;

function credentialRow(id: string, overrides: Partial<Credential> = {}): Credential {
  return {
    id,
    clientId: CLIENT_ID,
    kind: 'API_KEY',
    status: 'ACTIVE',
    fingerprint: 'f'.repeat(16),
    role: null,
    createdAt: NOW,
    expiresAt: null,
    endedAt: null,
    lastUsedAt: null,
    rotatedFromId: null,
    ...overrides,
  } as Credential;
}

describe('credential rotation: the overlap', () => {
  function credentials(existing: Credential = credentialRow(CURRENT)) {
    const log: string[] = [];
    const repository = {
      findCredentialById: jest.fn(() => Promise.resolve(existing)),
      transaction: jest.fn((work: (tx: Tx) => Promise<unknown>) => work(TX)),
      findClientById: jest.fn(() => Promise.resolve({ id: CLIENT_ID, environment: 'SANDBOX' })),
      // One current credential of the kind, and one still in the grace period of an earlier rotation.
      lockActiveOfKind: jest.fn(() =>
        Promise.resolve([
          { id: CURRENT, expires_at: null },
          { id: IN_GRACE, expires_at: new Date(NOW.getTime() + 60_000) },
        ]),
      ),
      endCredentials: jest.fn((ids: string[], status: string, at: Date) => {
        if (ids.length > 0) log.push(`end ${ids.join(',')} ${status} at ${at.toISOString()}`);
        return Promise.resolve(ids.length);
      }),
      setExpiry: jest.fn((id: string, at: Date) => {
        log.push(`expire ${id} at ${at.toISOString()}`);
        return Promise.resolve();
      }),
      createCredential: jest.fn((row: Partial<Credential>) => {
        log.push(`issue rotated from ${row.rotatedFromId}`);
        return Promise.resolve(credentialRow('33333333-3333-4333-8333-333333333333', row));
      }),
    };
    const audit = {
      claim: jest.fn(() => Promise.resolve()),
      recordAnswered: jest.fn(() => Promise.resolve()),
    };
    const cache = { clear: jest.fn() };
    const environment = { CREDENTIAL_GRACE_PERIOD_SECONDS: 86_400 } as Environment;
    const service = new CredentialIssuanceService(
      repository as unknown as CredentialsRepository,
      audit as unknown as CredentialAudit,
      box,
      { apiKeyPepper: Buffer.from('pepper') } as never,
      environment,
      clockAt(NOW).clock,
      cache as unknown as CredentialCache,
    );
    const actor = {
      type: 'admin',
      id: 'adm_1',
      contract: 'admin',
      correlationId: 'corr',
    } as unknown as Actor;
    return { service, repository, audit, cache, log, actor };
  }

  it('keeps the current credential working for the grace period, ends one still in an earlier grace period now, and issues the successor', async () => {
    const { service, log, actor, cache } = credentials();
    const rotated = await service.rotateCredential(CLIENT_ID, CURRENT, actor, 3_600);
    expect(log).toEqual([
      `end ${IN_GRACE} EXPIRED at ${NOW.toISOString()}`,
      `expire ${CURRENT} at 2026-12-06T13:00:00.000Z`,
      `issue rotated from ${CURRENT}`,
    ]);
    expect(rotated.previousValidUntil).toBe('2026-12-06T13:00:00.000Z');
    // Cached lookups of the old credentials must not outlive the change.
    expect(cache.clear).toHaveBeenCalledTimes(1);
  });

  it('uses CREDENTIAL_GRACE_PERIOD_SECONDS when the admin names no grace period', async () => {
    const { service, actor } = credentials();
    await expect(service.rotateCredential(CLIENT_ID, CURRENT, actor)).resolves.toMatchObject({
      previousValidUntil: '2026-12-07T12:00:00.000Z',
    });
  });

  it('with a grace period of 0 ends the current credential at once: no overlap', async () => {
    const { service, log, actor, repository } = credentials();
    await service.rotateCredential(CLIENT_ID, CURRENT, actor, 0);
    expect(log).toEqual([
      `end ${IN_GRACE} EXPIRED at ${NOW.toISOString()}`,
      `end ${CURRENT} EXPIRED at ${NOW.toISOString()}`,
      `issue rotated from ${CURRENT}`,
    ]);
    expect(repository.setExpiry).not.toHaveBeenCalled();
  });

  it.each([
    [
      'another client’s credential',
      credentialRow(CURRENT, { clientId: 'cli_other' }),
      credentialNotFound,
    ],
    [
      'an admin key',
      credentialRow(CURRENT, { kind: 'ADMIN_KEY', clientId: CLIENT_ID }),
      unsupportedCredentialKind,
    ],
    ['an ended credential', credentialRow(CURRENT, { status: 'EXPIRED' }), credentialNotActive],
  ])('refuses to rotate %s before anything changes', async (_what, existing, refusal) => {
    const { service, repository, actor } = credentials(existing);
    const error = await service
      .rotateCredential(CLIENT_ID, CURRENT, actor, 3_600)
      .catch((caught: unknown) => caught);
    const expected = refusal();
    expect(error).toMatchObject({
      status: expected.status,
      code: expected.code,
      message: expected.message,
    });
    expect(repository.transaction).not.toHaveBeenCalled();
  });
});
